-- Revocable credentials: a rotated site key keeps working for a grace period (so the website
-- can be reconfigured without dropping comments), and a staff member's token can be revoked.

ALTER TABLE sites
    ADD COLUMN previous_key_hash        bytea UNIQUE,
    ADD COLUMN previous_key_expires_at  timestamptz;

ALTER TABLE users ADD COLUMN revoked_at timestamptz;
