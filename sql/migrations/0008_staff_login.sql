-- Staff log in to the web pages: an argon2id password per user, sessions stored only as a
-- hash of their id, and failed logins recorded so every process and host throttles alike.

ALTER TABLE users ADD COLUMN password_hash text;

CREATE TABLE sessions (
    id_hash     bytea PRIMARY KEY,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

CREATE INDEX sessions_user ON sessions (site_id, user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- One row per failed login. account_hash and address_hash are keyed hashes (of site/username
-- and of the client address): the table holds neither names nor addresses. site_id is null
-- when the site named does not exist; the per-address count spans sites on purpose, since
-- it protects the service itself.
CREATE TABLE login_failures (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id       bigint REFERENCES sites (id) ON DELETE CASCADE,
    account_hash  bytea NOT NULL,
    address_hash  bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX login_failures_account ON login_failures (account_hash, created_at);
CREATE INDEX login_failures_address ON login_failures (address_hash, created_at);
CREATE INDEX login_failures_age ON login_failures (created_at);
