-- Sites, credentials, versioned policies, comments with their events, and the webhook outbox.
-- Every table carries site_id and every query filters by it.

CREATE TABLE sites (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    username    text NOT NULL CHECK (length(username) BETWEEN 1 AND 100),
    role        text NOT NULL CHECK (role IN ('owner', 'moderator')),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, username)
);

CREATE TABLE policies (
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version > 0),
    body        jsonb NOT NULL,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, version)
);

CREATE TABLE comments (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id          bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    thread           text NOT NULL,
    parent_id        uuid REFERENCES comments (id) ON DELETE SET NULL,
    author_name      text NOT NULL,
    email_hash       bytea NOT NULL,
    email_domain     text NOT NULL,
    email_masked     text NOT NULL,
    ip_prefix        cidr,
    user_agent       text,
    author_url       text,
    permalink        text,
    body             text NOT NULL,
    public_body      text NOT NULL,
    status           text NOT NULL CHECK (status IN ('published', 'pending', 'rejected', 'spam')),
    intake_status    text NOT NULL CHECK (intake_status IN ('published', 'pending', 'rejected', 'spam')),
    scores           jsonb NOT NULL,
    reasons          text[] NOT NULL,
    signals          jsonb NOT NULL DEFAULT '{}',
    model_version    text NOT NULL,
    policy_version   integer NOT NULL,
    idempotency_key  text,
    form_shown_at    timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, idempotency_key)
);

CREATE INDEX comments_thread_published
    ON comments (site_id, thread, created_at, id) WHERE status = 'published';
CREATE INDEX comments_pending ON comments (site_id, created_at, id) WHERE status = 'pending';
CREATE INDEX comments_author ON comments (site_id, email_hash);

CREATE TABLE comment_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    comment_id      uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    actor           text NOT NULL,
    from_status     text,
    to_status       text NOT NULL,
    note            text,
    model_version   text,
    policy_version  integer,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX comment_events_comment ON comment_events (site_id, comment_id, id);

CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    site_id          bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    comment_id       uuid REFERENCES comments (id) ON DELETE CASCADE,
    event            text NOT NULL,
    payload          jsonb NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL;
