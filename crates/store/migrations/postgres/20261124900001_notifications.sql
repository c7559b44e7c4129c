-- Notifications (product §3): one row per (outbox event, channel, recipient) the notifications
-- sender handled, written before the provider is called and updated after, so that an event the
-- dispatcher hands out again (it is at-least-once) is not sent again on a channel that already
-- went out. Never holds a card number: templates carry amounts and merchants only.

CREATE TABLE notification_deliveries (
    -- the outbox event that asked for it
    event_id      BIGINT NOT NULL,
    -- sms, push or email
    channel       TEXT NOT NULL,
    -- phone number, email address, or cardholder:<id> for push
    recipient     TEXT NOT NULL,
    cardholder_id TEXT,
    -- the configured provider that took it: log, smtp or webhook
    provider      TEXT NOT NULL,
    template      TEXT NOT NULL,
    -- sending (the provider was called, no answer recorded), sent, failed
    status        TEXT NOT NULL,
    attempts      BIGINT NOT NULL,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    sent_at       BIGINT,
    PRIMARY KEY (event_id, channel, recipient)
);

CREATE INDEX notification_deliveries_cardholder ON notification_deliveries (cardholder_id, created_at);
