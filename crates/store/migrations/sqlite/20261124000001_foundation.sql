-- Foundation: staff, cardholders, sessions, API tokens, audit log, outbox, idempotency keys.
-- Ids are UUIDv7 text; instants are unix milliseconds; flags are 0/1 integers.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language      TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE cardholders (
    id                   TEXT PRIMARY KEY,
    given_name           TEXT NOT NULL,
    family_name          TEXT NOT NULL,
    email                TEXT NOT NULL UNIQUE,
    phone                TEXT,
    language             TEXT NOT NULL,
    country              TEXT NOT NULL,
    time_zone            TEXT NOT NULL,
    tier                 TEXT NOT NULL,
    date_of_birth        TEXT,
    postcode             TEXT,
    tax_id_last4         TEXT,
    address              TEXT NOT NULL,
    password_hash        TEXT,
    relationship_manager TEXT REFERENCES users (id),
    created_at           INTEGER NOT NULL
);
CREATE INDEX cardholders_name ON cardholders (family_name, given_name);

CREATE TABLE sessions (
    token_hash     TEXT PRIMARY KEY,
    principal_kind TEXT NOT NULL,
    principal_id   TEXT NOT NULL,
    csrf_token     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    ip             TEXT NOT NULL,
    user_agent     TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL,
    created_by   TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    ip         TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit_log (subject, at);
CREATE INDEX audit_actor ON audit_log (actor, at);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    topic        TEXT NOT NULL,
    subject      TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    delivered_at INTEGER,
    last_error   TEXT
);
CREATE INDEX outbox_due ON outbox (available_at) WHERE delivered_at IS NULL;
CREATE INDEX outbox_subject ON outbox (subject, id);

CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
