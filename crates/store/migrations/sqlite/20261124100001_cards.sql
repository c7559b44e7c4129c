-- Cards (product §2): accounts, cards, transactions, replacement orders, disputes and their
-- documents, the rewards ledger, verification sessions (with channel lockouts).
-- A card number is kept only as an HMAC look-up key (pan_hmac), AES-GCM ciphertext
-- (pan_enc, `v1.<keyid>.<nonce>.<ct>`) and its last four; security codes only as a keyed hash.
-- Aggregates the cards crate owns are kept as its serde JSON next to the columns queries need.

CREATE TABLE card_accounts (
    id              TEXT PRIMARY KEY,
    cardholder_id   TEXT NOT NULL REFERENCES cardholders (id),
    product         TEXT NOT NULL,
    tier            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    -- Kept equal to SUM(rewards_ledger.points): a second guard against a negative balance.
    rewards_balance INTEGER NOT NULL DEFAULT 0 CHECK (rewards_balance >= 0),
    opened_at       INTEGER NOT NULL
);
CREATE INDEX card_accounts_holder ON card_accounts (cardholder_id);

CREATE TABLE cards (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES card_accounts (id),
    cardholder_id TEXT NOT NULL REFERENCES cardholders (id),
    status        TEXT NOT NULL,
    last4         TEXT NOT NULL,
    card          TEXT NOT NULL,
    pan_hmac      TEXT NOT NULL UNIQUE,
    pan_enc       TEXT NOT NULL,
    csc_hash      TEXT NOT NULL,
    pin_hash      TEXT,
    alerts        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    issued_at     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX cards_holder ON cards (cardholder_id, issued_at);

CREATE TABLE card_transactions (
    reference        TEXT PRIMARY KEY,
    card_id          TEXT NOT NULL REFERENCES cards (id),
    at               INTEGER NOT NULL,
    amount_minor     INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    merchant         TEXT NOT NULL,
    merchant_country TEXT NOT NULL,
    card_present     INTEGER NOT NULL,
    status           TEXT NOT NULL
);
CREATE INDEX card_transactions_card ON card_transactions (card_id, at);

CREATE TABLE card_replacements (
    old_card_id TEXT PRIMARY KEY REFERENCES cards (id),
    new_card_id TEXT NOT NULL REFERENCES cards (id),
    order_json  TEXT NOT NULL,
    ordered_at  INTEGER NOT NULL
);

CREATE TABLE disputes (
    id              TEXT PRIMARY KEY,
    card_id         TEXT NOT NULL REFERENCES cards (id),
    cardholder_id   TEXT NOT NULL REFERENCES cardholders (id),
    transaction_ref TEXT NOT NULL,
    status          TEXT NOT NULL,
    dispute         TEXT NOT NULL,
    filed_at        INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX disputes_holder ON disputes (cardholder_id, filed_at);

CREATE TABLE dispute_documents (
    dispute_id TEXT NOT NULL REFERENCES disputes (id),
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    content    BLOB NOT NULL,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (dispute_id, position)
);

CREATE TABLE rewards_ledger (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      TEXT NOT NULL REFERENCES card_accounts (id),
    idempotency_key TEXT NOT NULL,
    position        INTEGER NOT NULL,
    points          INTEGER NOT NULL,
    entry           TEXT NOT NULL,
    at              INTEGER NOT NULL,
    UNIQUE (account_id, idempotency_key, position)
);

CREATE TABLE verification_sessions (
    cardholder_id TEXT NOT NULL REFERENCES cardholders (id),
    channel       TEXT NOT NULL,
    session       TEXT NOT NULL,
    failures      INTEGER NOT NULL,
    locked_until  INTEGER,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (cardholder_id, channel)
);
