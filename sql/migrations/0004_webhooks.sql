-- Webhook delivery: a signing secret per site, a state per outbox row, a log of every attempt,
-- and the review queue's projection written once as a view.

-- "whsec_" + 43 characters of urlsafe base64 over 32 bytes; sha256 of three random uuids (366
-- random bits) needs no extension. A volatile default gives each existing site its own value.
ALTER TABLE sites ADD COLUMN webhook_secret text NOT NULL DEFAULT (
    'whsec_' || rtrim(translate(encode(sha256(
        uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
        || uuid_send(gen_random_uuid())
    ), 'base64'), '+/', '-_'), '=')
);

-- pending until a 2xx (delivered), 24 h of failures (failed), or no webhook_url (skipped).
ALTER TABLE outbox ADD COLUMN state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'delivered', 'failed', 'skipped'));
UPDATE outbox SET state = 'delivered' WHERE delivered_at IS NOT NULL;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';

CREATE TABLE webhook_deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id      bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    outbox_id    bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    event_id     uuid NOT NULL,
    attempt      integer NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'skipped')),
    http_status  integer,
    error        text,
    duration_ms  double precision NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhook_deliveries_outbox ON webhook_deliveries (site_id, outbox_id, id);

-- What a moderator sees of a comment, for queue_oldest and queue_by_score. A plain view: the
-- planner inlines it, so their WHERE and ORDER BY still reach the comments indexes.
CREATE VIEW queue_items AS
SELECT c.site_id, c.id AS comment_id, c.id::text AS id, c.thread, c.author_name AS name,
       c.body, c.public_body, c.email_masked, c.status, c.scores, c.reasons,
       c.model_version, c.policy_version,
       CASE WHEN c.claim_expires_at > now() THEN u.username END AS claimed_by,
       CASE WHEN c.claim_expires_at > now() THEN c.claim_expires_at END AS claim_expires_at,
       c.created_at, c.top_score, a.author_history
FROM comments c
LEFT JOIN users u ON u.site_id = c.site_id AND u.id = c.claimed_by
LEFT JOIN LATERAL (
    -- the author's earlier comments on this site, by status (index comments_author)
    SELECT jsonb_build_object(
        'published', count(*) FILTER (WHERE h.status = 'published'),
        'pending', count(*) FILTER (WHERE h.status = 'pending'),
        'rejected', count(*) FILTER (WHERE h.status = 'rejected'),
        'spam', count(*) FILTER (WHERE h.status = 'spam')
    ) AS author_history
    FROM comments h
    WHERE h.site_id = c.site_id AND h.email_hash = c.email_hash AND h.created_at < c.created_at
) a ON true;
