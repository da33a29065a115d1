-- The counselor queue: close types and wrap-up, hold, alarms, flags, a version every change bumps,
-- room history, per-workspace queue settings and counselors' per-date plans.

ALTER TABLE rooms ADD COLUMN close_type TEXT CHECK (close_type IN ('manager', 'auto', 'counselor', 'customer'));
ALTER TABLE rooms ADD COLUMN closed_at TIMESTAMPTZ;
ALTER TABLE rooms ADD COLUMN processed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rooms ADD COLUMN wrap_up JSONB;
ALTER TABLE rooms ADD COLUMN hold BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rooms ADD COLUMN alarm_at TIMESTAMPTZ;
ALTER TABLE rooms ADD COLUMN flagged BOOLEAN NOT NULL DEFAULT FALSE;
-- Whether the room was ever handed to the counselor queue: a reopened room goes back there.
ALTER TABLE rooms ADD COLUMN queued BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rooms ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
UPDATE rooms SET queued = TRUE WHERE status NOT IN ('bot', 'closed');

ALTER TABLE customers ADD COLUMN grade TEXT;

-- The room list pages by (sort key, id): with the id in the index, a tab's page is an index range
-- read in order, whatever the number of rooms.
DROP INDEX rooms_by_status;
CREATE INDEX rooms_by_status ON rooms (workspace_id, status, last_message_at, id);
CREATE INDEX rooms_by_created ON rooms (workspace_id, status, created_at, id);
CREATE INDEX rooms_held ON rooms (workspace_id) WHERE hold AND status <> 'closed';
CREATE INDEX rooms_closed ON rooms (workspace_id, closed_at) WHERE status = 'closed';
CREATE INDEX rooms_alarms ON rooms (alarm_at) WHERE alarm_at IS NOT NULL;
CREATE INDEX customers_by_name ON customers (workspace_id, name);
CREATE INDEX customers_by_email ON customers (workspace_id, lower(email));
CREATE INDEX rooms_by_customer ON rooms (customer_id);
-- Tag search: `tags ? term`.
CREATE INDEX customers_by_tag ON customers USING gin (tags);

CREATE TABLE room_events (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    room_id       TEXT NOT NULL REFERENCES rooms (id),
    kind          TEXT NOT NULL,
    actor_id      TEXT REFERENCES accounts (id),
    target_id     TEXT REFERENCES accounts (id),
    detail        JSONB NOT NULL DEFAULT '{}',
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX room_events_by_room ON room_events (room_id, id);

-- One row per workspace; assignment locks it, so concurrent hand-offs see each other's choices.
CREATE TABLE queue_settings (
    workspace_id  TEXT PRIMARY KEY REFERENCES workspaces (id),
    distribution  JSONB NOT NULL,
    auto_close    JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE counselor_days (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    day           DATE NOT NULL,
    available     BOOLEAN NOT NULL,
    breaks        JSONB NOT NULL DEFAULT '[]',
    PRIMARY KEY (account_id, day)
);
CREATE INDEX counselor_days_by_workspace ON counselor_days (workspace_id, day);

-- Substring search of message text (ILIKE '%term%') through trigrams, where the server has the
-- pg_trgm extension and the engine may create it; without it, search scans and stays correct.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX messages_text_trgm ON messages USING gin (text gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%); content search will scan', SQLERRM;
END
$$;
