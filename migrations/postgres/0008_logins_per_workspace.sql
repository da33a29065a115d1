-- Logins become unique per workspace and case-insensitive; tokens learn their last use and where
-- they came from; SANGDAM_ADMIN_TOKEN values once seen are remembered so a revoked one never
-- returns.
--
-- Two accounts of one workspace whose logins differ only in case (`ADMIN` beside `admin`) could
-- exist before: the older keeps its login, each newer one is renamed to `<login>-<last 6 of its
-- id>` so that every account can still sign in and the unique index holds.
UPDATE accounts a SET login = a.login || '-' || lower(right(a.id, 6))
WHERE EXISTS (
    SELECT 1 FROM accounts b
    WHERE b.workspace_id = a.workspace_id AND lower(b.login) = lower(a.login)
      AND (b.created_at, b.id) < (a.created_at, a.id)
);
ALTER TABLE accounts ADD COLUMN login_normalised TEXT;
UPDATE accounts SET login_normalised = lower(login);
ALTER TABLE accounts ALTER COLUMN login_normalised SET NOT NULL;
ALTER TABLE accounts DROP CONSTRAINT accounts_login_key;
CREATE UNIQUE INDEX accounts_login_per_workspace ON accounts (workspace_id, login_normalised);
CREATE INDEX accounts_by_login ON accounts (login_normalised);

-- NULL last_used_at means "not used since it was issued". `source` is 'login' (expires) or 'env'
-- (the SANGDAM_ADMIN_TOKEN token, which lives until revoked).
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN source TEXT NOT NULL DEFAULT 'login' CHECK (source IN ('login', 'env'));

CREATE TABLE admin_env_tokens (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    seen_at     TIMESTAMPTZ NOT NULL
);
