-- Routing (product §4): agents' skills and presence, the contacts being routed and the live
-- figures, kept current from the routing engine's events so that a restart loses no contact.
-- Ids are UUIDv7 text; instants are unix milliseconds; JSON documents are text.

-- One row per staff member who takes contacts (agents, and supervisors who help out).
CREATE TABLE routing_agents (
    user_id         TEXT PRIMARY KEY REFERENCES users (id),
    hub             TEXT NOT NULL,
    -- {"department": proficiency 1-5}
    departments     TEXT NOT NULL,
    -- {"language": proficiency 1-5}
    languages       TEXT NOT NULL,
    -- ["tier", ...] the card tiers the agent serves
    tiers           TEXT NOT NULL,
    -- 1 = takes calls; digital = chats and messages at once
    voice           BIGINT NOT NULL,
    digital         BIGINT NOT NULL,
    availability    TEXT NOT NULL,
    ready_since     BIGINT NOT NULL,
    wrap_up_started BIGINT,
    updated_at      BIGINT NOT NULL
);

-- Contacts waiting, offered or connected; a finished or abandoned contact's row is deleted
-- (its outbox events remain).
CREATE TABLE routing_contacts (
    id          TEXT PRIMARY KEY,
    -- the contact as it entered routing: kind, reason, tier, language, manager, context
    contact     TEXT NOT NULL,
    -- waiting | offered | connected
    status      TEXT NOT NULL,
    agent_id    TEXT,
    -- offered: when the offer expires; connected: when it was answered
    status_at   BIGINT,
    -- ["agent id", ...] who declined it
    declined_by TEXT NOT NULL,
    arrived_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX routing_contacts_agent ON routing_contacts (agent_id);

-- The engine's cumulative counters and learned handle times (a single row).
CREATE TABLE routing_figures (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    since        BIGINT NOT NULL,
    counters     TEXT NOT NULL,
    handle_times TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
