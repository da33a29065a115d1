-- The counselor queue: close types and wrap-up, hold, alarms, flags, a version every change bumps,
-- room history, per-workspace queue settings and counselors' per-date plans.

ALTER TABLE rooms ADD COLUMN close_type TEXT CHECK (close_type IN ('manager', 'auto', 'counselor', 'customer'));
ALTER TABLE rooms ADD COLUMN closed_at TEXT;
ALTER TABLE rooms ADD COLUMN processed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN wrap_up TEXT;
ALTER TABLE rooms ADD COLUMN hold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN alarm_at TEXT;
ALTER TABLE rooms ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
-- Whether the room was ever handed to the counselor queue: a reopened room goes back there.
ALTER TABLE rooms ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET queued = 1 WHERE status NOT IN ('bot', 'closed');

ALTER TABLE customers ADD COLUMN grade TEXT;

-- The room list pages by (sort key, id): with the id in the index, a tab's page is an index range
-- read in order, whatever the number of rooms.
DROP INDEX rooms_by_status;
CREATE INDEX rooms_by_status ON rooms (workspace_id, status, last_message_at, id);
CREATE INDEX rooms_by_created ON rooms (workspace_id, status, created_at, id);
CREATE INDEX rooms_held ON rooms (workspace_id) WHERE hold = 1 AND status <> 'closed';
CREATE INDEX rooms_closed ON rooms (workspace_id, closed_at) WHERE status = 'closed';
CREATE INDEX rooms_alarms ON rooms (alarm_at) WHERE alarm_at IS NOT NULL;
CREATE INDEX customers_by_name ON customers (workspace_id, name);
CREATE INDEX customers_by_email ON customers (workspace_id, email COLLATE NOCASE);
CREATE INDEX rooms_by_customer ON rooms (customer_id);

CREATE TABLE room_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    room_id       TEXT NOT NULL REFERENCES rooms (id),
    kind          TEXT NOT NULL,
    actor_id      TEXT REFERENCES accounts (id),
    target_id     TEXT REFERENCES accounts (id),
    detail        TEXT NOT NULL DEFAULT '{}',
    at            TEXT NOT NULL
);
CREATE INDEX room_events_by_room ON room_events (room_id, id);

-- One row per workspace; assignment locks it, so concurrent hand-offs see each other's choices.
CREATE TABLE queue_settings (
    workspace_id  TEXT PRIMARY KEY REFERENCES workspaces (id),
    distribution  TEXT NOT NULL,
    auto_close    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE counselor_days (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    day           TEXT NOT NULL,
    available     INTEGER NOT NULL,
    breaks        TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account_id, day)
);
CREATE INDEX counselor_days_by_workspace ON counselor_days (workspace_id, day);

-- Substring search of message text through trigrams (FTS5), kept in step with `messages` by
-- triggers. Terms of three characters or more are looked up here when few messages hold them;
-- shorter or very common terms scan, which finds a page of common ones quickly.
CREATE VIRTUAL TABLE messages_search USING fts5 (
    text, content = 'messages', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO messages_search (messages_search) VALUES ('rebuild');
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_search (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_search (messages_search, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_search (messages_search, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_search (rowid, text) VALUES (new.rowid, new.text);
END;
