-- no-transaction
-- Logins become unique per workspace and case-insensitive; tokens learn their last use and where
-- they came from; SANGDAM_ADMIN_TOKEN values once seen are remembered so a revoked one never
-- returns.
--
-- SQLite cannot drop the old column-level UNIQUE on accounts.login, so the table is rebuilt. That
-- needs foreign keys off (other tables refer to accounts), which SQLite only allows outside a
-- transaction; hence `no-transaction` above and an explicit one below.
--
-- Two accounts of one workspace whose logins differ only in case (`ADMIN` beside `admin`) could
-- exist before: the older keeps its login, each newer one is renamed to `<login>-<last 6 of its
-- id>` so that every account can still sign in and the unique index holds.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE accounts_rebuilt (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id),
    login            TEXT NOT NULL,
    login_normalised TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'agent')),
    manager_id       TEXT REFERENCES accounts (id),
    certified        INTEGER NOT NULL DEFAULT 0,
    counselling      INTEGER NOT NULL DEFAULT 1,
    deleted_at       TEXT,
    created_at       TEXT NOT NULL
);
INSERT INTO accounts_rebuilt (id, workspace_id, login, login_normalised, password_hash, name, role, manager_id,
                              certified, counselling, deleted_at, created_at)
SELECT id, workspace_id, kept, lower(kept), password_hash, name, role, manager_id, certified, counselling,
       deleted_at, created_at
FROM (
    SELECT a.*,
           CASE WHEN EXISTS (
                    SELECT 1 FROM accounts b
                    WHERE b.workspace_id = a.workspace_id AND lower(b.login) = lower(a.login)
                      AND (b.created_at < a.created_at OR (b.created_at = a.created_at AND b.id < a.id)))
                THEN a.login || '-' || lower(substr(a.id, -6))
                ELSE a.login
           END AS kept
    FROM accounts a
);
DROP TABLE accounts;
ALTER TABLE accounts_rebuilt RENAME TO accounts;
CREATE INDEX accounts_by_workspace ON accounts (workspace_id, created_at);
CREATE UNIQUE INDEX accounts_login_per_workspace ON accounts (workspace_id, login_normalised);
CREATE INDEX accounts_by_login ON accounts (login_normalised);

-- NULL last_used_at means "not used since it was issued". `source` is 'login' (expires) or 'env'
-- (the SANGDAM_ADMIN_TOKEN token, which lives until revoked).
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE api_tokens ADD COLUMN source TEXT NOT NULL DEFAULT 'login' CHECK (source IN ('login', 'env'));

CREATE TABLE admin_env_tokens (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    seen_at     TEXT NOT NULL
);
COMMIT;
PRAGMA foreign_keys = ON;
