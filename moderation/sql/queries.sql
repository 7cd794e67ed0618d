-- Named statements used by moderation.store. Each starts at a "-- name: x" line.

-- name: ping
SELECT 1;

-- name: create_site
-- A site and its first policy version, in one statement.
WITH site AS (
    INSERT INTO sites (slug, key_hash) VALUES ($1, $2)
    RETURNING id
), policy AS (
    INSERT INTO policies (site_id, version, body, created_by)
    SELECT id, 1, $3::jsonb, 'system' FROM site
)
SELECT id FROM site;

-- name: site_by_key
SELECT s.id, s.slug, p.version AS policy_version, p.body AS policy
FROM sites s
LEFT JOIN LATERAL (
    SELECT version, body FROM policies
    WHERE site_id = s.id ORDER BY version DESC LIMIT 1
) p ON true
WHERE s.key_hash = $1;

-- name: site_by_slug
SELECT s.id, s.slug, p.version AS policy_version, p.body AS policy
FROM sites s
LEFT JOIN LATERAL (
    SELECT version, body FROM policies
    WHERE site_id = s.id ORDER BY version DESC LIMIT 1
) p ON true
WHERE s.slug = $1;

-- name: create_user
INSERT INTO users (site_id, username, role, token_hash)
VALUES ($1, $2, $3, $4)
RETURNING id;

-- name: insert_comment
-- One round trip: the comment, its first event and its webhook outbox row, or, when the
-- idempotency key was already used by this site, the first comment unchanged. DO UPDATE
-- (not DO NOTHING) so that a concurrent retry waits for the first insert and returns its row.
WITH parent_ok AS (
    SELECT $3::uuid IS NULL OR EXISTS (
        SELECT 1 FROM comments WHERE site_id = $1 AND id = $3::uuid AND thread = $2
    ) AS ok
), ins AS (
    INSERT INTO comments (
        site_id, thread, parent_id, author_name, email_hash, email_domain, email_masked,
        ip_prefix, user_agent, author_url, permalink, body, public_body, status, intake_status,
        scores, reasons, signals, model_version, policy_version, idempotency_key, form_shown_at
    )
    SELECT $1, $2, $3::uuid, $4, $5, $6, $7, $8::cidr, $9, $10, $11, $12, $13, $14, $14,
           $15::jsonb, $16::text[], $17::jsonb, $18, $19, $20, $21
    FROM parent_ok WHERE ok
    ON CONFLICT (site_id, idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
    RETURNING id, site_id, thread, intake_status, scores, reasons, model_version, policy_version,
              created_at, (xmax = 0) AS inserted
), event AS (
    INSERT INTO comment_events (
        site_id, comment_id, actor, from_status, to_status, model_version, policy_version
    )
    SELECT site_id, id, 'system', NULL, intake_status, model_version, policy_version
    FROM ins WHERE inserted
), outbox_row AS (
    INSERT INTO outbox (site_id, comment_id, event, payload)
    SELECT site_id, id, 'comment.created', jsonb_build_object(
        'event', 'comment.created',
        'comment', jsonb_build_object(
            'id', id, 'thread', thread, 'status', intake_status, 'scores', scores,
            'reasons', to_jsonb(reasons), 'model_version', model_version,
            'policy_version', policy_version, 'created_at', created_at
        )
    )
    FROM ins WHERE inserted
)
SELECT id::text AS id, intake_status AS status, scores, reasons, model_version, inserted
FROM ins;

-- name: get_comment
SELECT id::text AS id, thread, parent_id::text AS parent_id, author_name AS name,
       email_masked, email_domain, body, public_body, status, scores, reasons,
       model_version, policy_version, created_at
FROM comments
WHERE site_id = $1 AND id = $2::uuid;

-- name: thread_page
SELECT id::text AS id, parent_id::text AS parent_id, author_name AS name,
       public_body AS body, created_at
FROM comments
WHERE site_id = $1 AND thread = $2 AND status = 'published'
  AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
ORDER BY created_at, id
LIMIT $5;

-- name: erase_author
-- Events and outbox rows go with their comments (ON DELETE CASCADE).
WITH gone AS (
    DELETE FROM comments WHERE site_id = $1 AND email_hash = $2 RETURNING id
)
SELECT count(*) AS erased FROM gone;

-- name: migration_lock
SELECT pg_advisory_xact_lock(7387020211);

-- name: migration_table
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- name: applied_migrations
SELECT version FROM schema_migrations ORDER BY version;

-- name: record_migration
INSERT INTO schema_migrations (version, name) VALUES ($1, $2);
