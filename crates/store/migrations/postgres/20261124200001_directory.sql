-- The helpline directory (product §1): every listed line with who asserted it, and the scam
-- reports of cardholders and staff with their moderation. Ids are UUIDv7 text; instants are
-- unix milliseconds; JSON documents are text.

-- One row per (source, coverage, service, number): importing a source again updates its rows.
CREATE TABLE directory_entries (
    id          TEXT PRIMARY KEY,
    -- provenance: the issuer, an import source name, or the moderator of a scam report
    source      TEXT NOT NULL,
    -- ISO 3166 alpha-2, or global
    coverage    TEXT NOT NULL,
    service     TEXT NOT NULL,
    -- E.164, +…
    number      TEXT NOT NULL,
    -- official | third_party | reported_scam
    status      TEXT NOT NULL,
    -- the whole entry (tiers, languages, hours, flags, notes, provenance) as JSON
    entry       TEXT NOT NULL,
    asserted_at BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (source, coverage, service, number)
);
CREATE INDEX directory_entries_number ON directory_entries (number);

CREATE TABLE directory_scam_reports (
    id              TEXT PRIMARY KEY,
    -- E.164 of the reported number (never the text as typed)
    number          TEXT NOT NULL,
    -- free text, card numbers removed
    description     TEXT NOT NULL,
    -- who reported it, as the audit log names them (user:…, cardholder:…)
    reporter        TEXT NOT NULL,
    -- pending | approved | rejected
    status          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    moderated_by    TEXT,
    moderated_at    BIGINT,
    moderation_note TEXT,
    -- the reported_scam entry an approval added
    entry_id        TEXT
);
CREATE INDEX directory_scam_reports_status ON directory_scam_reports (status, created_at);
