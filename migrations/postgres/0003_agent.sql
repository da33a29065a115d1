-- What the agent remembers per conversation, and its handoff decisions.

ALTER TABLE rooms ADD COLUMN agent_state JSONB;

CREATE TABLE handoffs (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    room_id       TEXT NOT NULL REFERENCES rooms (id),
    message_id    TEXT NOT NULL REFERENCES messages (id),
    reason        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    trace         JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX handoffs_by_room ON handoffs (workspace_id, room_id, id);
