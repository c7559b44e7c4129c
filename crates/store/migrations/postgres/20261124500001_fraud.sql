-- Fraud monitoring (product §6): every authorization decision (written in batches by the
-- server's group-commit writer), the alerts that need the cardholder or an analyst, and a
-- snapshot of the engine's learned state. Ids are UUIDv7 text; instants are unix milliseconds;
-- money is minor units; JSON documents are text. No card number is ever stored here.

CREATE TABLE fraud_decisions (
    id            TEXT PRIMARY KEY,
    -- the card's id when it is known (unknown cards are declined and recorded too)
    card_id       TEXT,
    cardholder_id TEXT,
    -- the authorization's own time, and when the decision was made
    at            BIGINT NOT NULL,
    decided_at    BIGINT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    -- {"id","name","mcc","country","city","lat","lon"}
    merchant      TEXT NOT NULL,
    card_present  BIGINT NOT NULL,
    -- approve | challenge | decline
    verdict       TEXT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    -- [{"signal","points","reason"}]
    reasons       TEXT NOT NULL,
    -- the engine's feature vector (null for missing values): handed back when the truth is known
    features      TEXT NOT NULL,
    -- 1 = the engine ran out of time and the configured stand-in answered
    stand_in      BIGINT NOT NULL,
    -- the truth once known: fraud | genuine, who said so, when
    label         TEXT,
    label_source  TEXT,
    label_at      BIGINT
);
CREATE INDEX fraud_decisions_card ON fraud_decisions (card_id, at);
CREATE INDEX fraud_decisions_holder ON fraud_decisions (cardholder_id, at);
CREATE INDEX fraud_decisions_decided ON fraud_decisions (decided_at, id);

-- A decision that needs a person: a challenge waiting for the cardholder, or an alert for the
-- analysts' queue.
CREATE TABLE fraud_alerts (
    id            TEXT PRIMARY KEY,
    decision_id   TEXT NOT NULL REFERENCES fraud_decisions (id),
    card_id       TEXT,
    cardholder_id TEXT,
    -- challenged | open | confirmed_fraud | genuine
    status        TEXT NOT NULL,
    opened_at     BIGINT NOT NULL,
    -- challenged: when an unanswered challenge goes to the analysts' queue
    answer_by     BIGINT,
    resolved_at   BIGINT,
    -- sms | portal | ivr | analyst:<user id> | timeout
    resolved_by   TEXT,
    note          TEXT,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX fraud_alerts_status ON fraud_alerts (status, opened_at);
CREATE INDEX fraud_alerts_card ON fraud_alerts (card_id, opened_at);

-- The engine's learned state (profiles, merchant risk, model) as of `at` (a single row).
CREATE TABLE fraud_snapshot (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    at         BIGINT NOT NULL,
    state      TEXT NOT NULL
);
