-- Which credential opened each web session, so that a session ends with that credential:
-- rotating a staff member's token ends the sessions its old value opened, and a token
-- session is live only while its token is the user's current one (session_staff checks).
-- 'unknown': sessions opened before this migration, or by a process still running the
-- previous release (it inserts without these columns); rotating the token ends them too.

ALTER TABLE sessions
    ADD COLUMN credential text NOT NULL DEFAULT 'unknown'
        CHECK (credential IN ('password', 'token', 'unknown')),
    ADD COLUMN token_hash bytea,
    ADD CONSTRAINT sessions_token_hash CHECK ((credential = 'token') = (token_hash IS NOT NULL));
