-- Cases and conversations (product §3). A case is kept as its timeline (case_events, the truth)
-- and a snapshot (cases.snapshot, the replayed state) with the columns lists filter on.
-- Ids are UUIDv7 text; instants are unix milliseconds; JSON documents are text.

CREATE TABLE cases (
    id            TEXT PRIMARY KEY,
    -- HL-XXX-XXX-XXX, read aloud over the phone
    reference     TEXT NOT NULL UNIQUE,
    cardholder_id TEXT REFERENCES cardholders (id),
    status        TEXT NOT NULL,
    department    TEXT NOT NULL,
    priority      TEXT NOT NULL,
    assignee      TEXT REFERENCES users (id),
    -- 1 while an escalation to a supervisor is open
    escalated     INTEGER NOT NULL,
    -- 1 while a formal complaint awaits its final response
    complaint     INTEGER NOT NULL,
    subject       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    -- the whole case as JSON (cases::Case)
    snapshot      TEXT NOT NULL,
    -- when the case's next timer (SLA breach, follow-up, auto-close) fires
    next_timer    INTEGER,
    opened_at     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX cases_cardholder ON cases (cardholder_id);
CREATE INDEX cases_assignee ON cases (assignee, status);
CREATE INDEX cases_status ON cases (status, updated_at);
CREATE INDEX cases_next_timer ON cases (next_timer);

-- Every change of a case, numbered 1, 2, … per case: the timeline.
CREATE TABLE case_events (
    case_id TEXT NOT NULL REFERENCES cases (id),
    version INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    -- opened, note_added, resolved, … (cases::CaseEventKind::name)
    kind    TEXT NOT NULL,
    -- the whole event as JSON (cases::CaseEvent); internal notes are among them
    event   TEXT NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- Uploaded documents, stored once per content (by SHA-256), type checked by content.
CREATE TABLE attachments (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    content    BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- One conversation model that every channel feeds (this issue: chat).
CREATE TABLE conversations (
    id               TEXT PRIMARY KEY,
    channel          TEXT NOT NULL,
    cardholder_id    TEXT REFERENCES cardholders (id),
    case_id          TEXT REFERENCES cases (id),
    -- anonymous web chat: the name the visitor gave, and the hash of their chat token
    guest_name       TEXT,
    guest_token_hash TEXT UNIQUE,
    status           TEXT NOT NULL,
    last_seq         INTEGER NOT NULL,
    -- the whole conversation as JSON (cases::Conversation: receipts, unanswered_since, …)
    snapshot         TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX conversations_cardholder ON conversations (cardholder_id, updated_at);
CREATE INDEX conversations_case ON conversations (case_id);

-- Messages, numbered 1, 2, … per conversation without gaps. A retry carries the same
-- client_key and is recognised instead of stored twice.
CREATE TABLE conversation_messages (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL,
    id              TEXT NOT NULL UNIQUE,
    -- {"kind": "cardholder"} | {"kind": "agent", "id": …} | {"kind": "system"} as JSON
    author          TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- [AttachmentRef, …] as JSON
    attachments     TEXT NOT NULL,
    client_key      TEXT,
    sent_at         INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX conversation_messages_client_key
    ON conversation_messages (conversation_id, client_key);

-- Full-text search over case subjects, internal notes and messages (FTS5). case_id is '' for a
-- message (its case comes from its conversation, which may be linked later); conversation_id
-- and seq are '' and 0 for case text.
CREATE VIRTUAL TABLE search_docs USING fts5 (
    case_id UNINDEXED,
    conversation_id UNINDEXED,
    seq UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
