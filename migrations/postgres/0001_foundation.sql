-- Workspaces, accounts, channels, customers, rooms and messages.
-- Times are TIMESTAMPTZ (UTC); tags and settings are JSONB.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    seats       BIGINT NOT NULL CHECK (seats >= 1),
    time_zone   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    login         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'agent')),
    manager_id    TEXT REFERENCES accounts (id),
    certified     BOOLEAN NOT NULL DEFAULT FALSE,
    counselling   BOOLEAN NOT NULL DEFAULT TRUE,
    deleted_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_by_workspace ON accounts (workspace_id, created_at);

CREATE TABLE api_tokens (
    token_hash    TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_tokens_by_account ON api_tokens (account_id);

CREATE TABLE channels (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    kind          TEXT NOT NULL,
    widget_key    TEXT UNIQUE,
    settings      JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, kind)
);

CREATE TABLE widget_origins (
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    origin         TEXT NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, origin)
);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    external_id   TEXT,
    name          TEXT,
    phone         TEXT,
    email         TEXT,
    tags          JSONB NOT NULL DEFAULT '[]',
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX customers_by_external_id ON customers (workspace_id, external_id)
    WHERE external_id IS NOT NULL;

CREATE TABLE rooms (
    id                   TEXT PRIMARY KEY,
    workspace_id         TEXT NOT NULL REFERENCES workspaces (id),
    channel              TEXT NOT NULL,
    customer_id          TEXT NOT NULL REFERENCES customers (id),
    status               TEXT NOT NULL,
    assignee_id          TEXT REFERENCES accounts (id),
    token_hash           TEXT UNIQUE,
    tags                 JSONB NOT NULL DEFAULT '[]',
    last_seq             BIGINT NOT NULL DEFAULT 0,
    last_message_author  TEXT,
    last_message_at      TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX rooms_by_status ON rooms (workspace_id, status, last_message_at);
CREATE INDEX rooms_by_assignee ON rooms (assignee_id, status);

CREATE TABLE messages (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id),
    room_id            TEXT NOT NULL REFERENCES rooms (id),
    seq                BIGINT NOT NULL,
    author             TEXT NOT NULL,
    author_account_id  TEXT REFERENCES accounts (id),
    text               TEXT NOT NULL,
    client_message_id  TEXT,
    created_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (room_id, seq)
);
CREATE UNIQUE INDEX messages_by_client_id ON messages (room_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
