-- Keys the engine signs with, one per purpose, shared by every engine process on the database.
CREATE TABLE signing_keys (
    purpose     TEXT PRIMARY KEY,
    key         TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- Widget load tokens that were used, kept until they expire: each completes at most one load.
CREATE TABLE widget_load_nonces (
    nonce       TEXT PRIMARY KEY,
    expires_at  TEXT NOT NULL
);
CREATE INDEX widget_load_nonces_expiry ON widget_load_nonces (expires_at);
