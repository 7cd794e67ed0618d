-- A desk a newsroom works in all day (issue 19): owners manage their staff from the pages
-- (one-time links to set a password, revocations, resets, all audited), and the queue
-- counts each status and notices new comments and reports without a reload.

-- One-time links an owner hands a new or reset staff member: only a hash of the link's
-- secret is kept; a link works once (used_at) and only until it expires.
CREATE TABLE staff_links (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    purpose     text NOT NULL CHECK (purpose IN ('invite', 'reset')),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE INDEX staff_links_user ON staff_links (site_id, user_id) WHERE used_at IS NULL;

-- What owners (and staff setting their own password from a link) did to staff accounts.
CREATE TABLE staff_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    username    text NOT NULL,
    role        text NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL CHECK (action IN (
        'invited', 'revoked', 'restored', 'reset', 'password_set'
    )),
    method      text CHECK (method IN ('link', 'password')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX staff_events_site ON staff_events (site_id, created_at);

-- The queue's counts per status (each capped, so a count reads at most that many index
-- entries) and its "new since" checks by status and time.
CREATE INDEX comments_site_status ON comments (site_id, status, created_at, id);

-- New readers' reports since a time, for the Reported view's live check.
CREATE INDEX comment_reports_recent ON comment_reports (site_id, created_at);

-- The articles the thread filter offers, most recently seen first.
CREATE INDEX threads_recent ON threads (site_id, updated_at DESC);
