-- IVR (product §5): one row per phone call the IVR answers, so that a call survives a restart
-- mid-call. The state is the interpreter's serialized CallState (JSON text); it never holds a
-- card number, security code or PIN (the interpreter checks those as they are keyed).

CREATE TABLE ivr_calls (
    -- the telephony provider's id for the call (TwiML CallSid)
    call_sid    TEXT PRIMARY KEY,
    flow_id     TEXT NOT NULL,
    state       TEXT NOT NULL,
    -- bumped by every update; an update names the version it read (optimistic concurrency)
    version     BIGINT NOT NULL,
    started_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    -- set by the provider's final status callback (completed, busy, failed, no-answer, canceled)
    ended_at    BIGINT,
    end_status  TEXT
);

CREATE INDEX ivr_calls_ended_at ON ivr_calls (ended_at);
