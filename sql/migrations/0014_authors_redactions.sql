-- A moderation desk's per-author rules (issue 19): ban (reject every new comment), premoderate
-- (hold every new one) or trust (publish unless a blocked term or a hard reject), one rule per
-- author of a site, by the keyed email hash the comments already carry (never the address);
-- every change kept for the audit log. And redactions of a comment's public copy: the
-- original stays in comments.body for staff, each edit is kept with the copy before and after.

CREATE TABLE author_rules (
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    email_hash  bytea NOT NULL,
    rule        text NOT NULL CHECK (rule IN ('ban', 'premoderate', 'trust')),
    set_by      text NOT NULL,
    note        text CHECK (length(note) <= 2000),
    set_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, email_hash)
);

-- rule null: the rule was lifted; previous: the rule before (null: none).
CREATE TABLE author_rule_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    email_hash  bytea NOT NULL,
    rule        text CHECK (rule IN ('ban', 'premoderate', 'trust')),
    previous    text CHECK (previous IN ('ban', 'premoderate', 'trust')),
    actor       text NOT NULL,
    note        text CHECK (length(note) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX author_rule_events_author ON author_rule_events (site_id, email_hash, id);
CREATE INDEX author_rule_events_recent ON author_rule_events (site_id, created_at);

-- status: the comment's status when its public copy was edited.
CREATE TABLE comment_redactions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id      bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    comment_id   uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    actor        text NOT NULL,
    status       text NOT NULL CHECK (status IN ('published', 'pending', 'rejected', 'spam')),
    public_before text NOT NULL,
    public_after  text NOT NULL,
    note         text CHECK (length(note) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX comment_redactions_comment ON comment_redactions (site_id, comment_id, id);
CREATE INDEX comment_redactions_recent ON comment_redactions (site_id, created_at);

-- Search needs no index of its own: it walks comments_recent (0005) newest first, a bounded
-- number of rows per page (moderation.usecases.deskwork).
