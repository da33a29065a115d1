-- Launch checklist state per channel, its audit trail, and the SMS channel's consent and outbox.

ALTER TABLE channels ADD COLUMN secrets TEXT NOT NULL DEFAULT '{}';
ALTER TABLE channels ADD COLUMN checks TEXT NOT NULL DEFAULT '{}';
ALTER TABLE channels ADD COLUMN launch_state TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE channels ADD COLUMN activated_at TEXT;
ALTER TABLE channels ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- The SMS number, copied out of the settings so an inbound webhook finds its workspace.
ALTER TABLE channels ADD COLUMN sms_number TEXT;
CREATE UNIQUE INDEX channels_by_sms_number ON channels (sms_number) WHERE sms_number IS NOT NULL;

CREATE TABLE launch_transitions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    channel       TEXT NOT NULL,
    from_state    TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    actor_id      TEXT REFERENCES accounts (id),
    reason        TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX launch_transitions_by_channel ON launch_transitions (workspace_id, channel, id);

CREATE TABLE sms_consent (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    phone         TEXT NOT NULL,
    opted_out     INTEGER NOT NULL,
    source        TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, phone)
);

CREATE TABLE sms_outbox (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id),
    room_id          TEXT NOT NULL REFERENCES rooms (id),
    message_id       TEXT NOT NULL REFERENCES messages (id),
    to_number        TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,
    twilio_sid       TEXT UNIQUE,
    error_message    TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX customers_by_phone ON customers (workspace_id, phone);

ALTER TABLE messages ADD COLUMN delivery_status TEXT;
ALTER TABLE messages ADD COLUMN delivery_error TEXT;
