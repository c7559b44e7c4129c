-- Appointments at service centres (product §3). A booking holds one seat of one slot: its
-- slot_key (centre/start/seat) is unique among booked appointments, so a seat can never be
-- booked twice, even by concurrent requests. Cancelled rows stay for the record.
-- Ids are UUIDv7 text; instants are unix milliseconds.

CREATE TABLE appointments (
    id           TEXT PRIMARY KEY,
    slot_key     TEXT NOT NULL,
    centre       TEXT NOT NULL,
    cardholder   TEXT NOT NULL REFERENCES cardholders (id),
    case_id      TEXT,
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    -- booked | cancelled
    status       TEXT NOT NULL,
    booked_at    BIGINT NOT NULL,
    -- cardholder | agent, and the principal (cardholder:<id>, staff:<id>)
    booked_by    TEXT NOT NULL,
    booked_actor TEXT NOT NULL,
    cancelled_at BIGINT,
    cancelled_by TEXT,
    -- the appointment this one replaced when it was rescheduled
    replaces     TEXT
);
CREATE UNIQUE INDEX appointments_booked_seat ON appointments (slot_key) WHERE status = 'booked';
CREATE INDEX appointments_cardholder ON appointments (cardholder, starts_at);
CREATE INDEX appointments_centre ON appointments (centre, starts_at);
