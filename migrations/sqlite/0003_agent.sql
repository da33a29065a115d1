-- What the agent remembers per conversation, and its handoff decisions.

ALTER TABLE rooms ADD COLUMN agent_state TEXT;

CREATE TABLE handoffs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    room_id       TEXT NOT NULL REFERENCES rooms (id),
    message_id    TEXT NOT NULL REFERENCES messages (id),
    reason        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    trace         TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX handoffs_by_room ON handoffs (workspace_id, room_id, id);
