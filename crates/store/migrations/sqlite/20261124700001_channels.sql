-- Channels that feed cases from outside (issue 7): every inbound email, social post, letter
-- and fax leaves one row, threaded or ignored; the sender's id makes a redelivery a no-op and
-- lets a reply find its conversation.
CREATE TABLE channel_items (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    external_id     TEXT,
    disposition     TEXT NOT NULL,
    conversation_id TEXT REFERENCES conversations (id),
    received_at     BIGINT NOT NULL,
    detail          TEXT NOT NULL
);
CREATE UNIQUE INDEX channel_items_external ON channel_items (channel, external_id);
CREATE INDEX channel_items_recent ON channel_items (channel, received_at);

-- Secure-message attachments, sealed with AES-GCM by the server (nonce || ciphertext || tag);
-- key_id names the data key so keys can rotate.
CREATE TABLE sealed_attachments (
    sha256     TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    content    BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
