-- Named statements used by moderation.store. Each starts at a "-- name: x" line.

-- name: database_role
-- Whether the server reached takes writes: a standby or a read-only default does not.
SELECT pg_is_in_recovery() AS standby,
       current_setting('transaction_read_only') = 'on' AS read_only;

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
SELECT s.id, s.slug, p.version AS policy_version, p.body AS policy,
       CASE WHEN s.adapter_enabled THEN coalesce(s.adapter_pinned, s.adapter_current) END
           AS adapter
FROM sites s
LEFT JOIN LATERAL (
    SELECT version, body FROM policies
    WHERE site_id = s.id ORDER BY version DESC LIMIT 1
) p ON true
WHERE s.key_hash = $1
   OR (s.previous_key_hash = $1 AND s.previous_key_expires_at > now());

-- name: site_by_slug
SELECT s.id, s.slug, p.version AS policy_version, p.body AS policy,
       CASE WHEN s.adapter_enabled THEN coalesce(s.adapter_pinned, s.adapter_current) END
           AS adapter
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
-- The same statement applies the policy's history rules, each only when switched on (the
-- $n IS NOT NULL / CASE guards are one-time filters: nothing is scanned when a rule is off):
-- flood limits per author ($27) and per IP prefix ($28) in a window of $26 seconds (a flooded
-- comment is not stored: flood and retry_after come back instead); duplicates (more than $23
-- copies of fingerprint $22 in $24 seconds -> status $25); premoderation ($29) and trust
-- ($30) by the author's history. $14 and $16 are the status and reasons decided from scores
-- and signals; the result keeps the worst. Mirrored by moderation.policy.escalate. $32: the
-- site's adapter version that scored it (null: the base model alone). $33 and $34: the
-- article's title and address when the website sent them (save_thread, folded in: WordPress
-- sends them with every comment; nothing is written or locked while they are unchanged).
-- Last, the author's rule a moderator set (author_rules, by $5): ban rejects (spam stays
-- spam), premoderate holds what would be published, trust publishes what would be held (a
-- hard reject or a blocked term still wins).
WITH parent_ok AS (
    SELECT $3::uuid IS NULL OR EXISTS (
        SELECT 1 FROM comments WHERE site_id = $1 AND id = $3::uuid AND thread = $2
    ) AS ok
), by_author AS (
    -- ORDER BY the index's own columns keeps generic plans on comments_author / comments_ip
    SELECT count(*) AS n, min(created_at) AS oldest FROM (
        SELECT created_at FROM comments
        WHERE $27::int IS NOT NULL AND site_id = $1 AND email_hash = $5
          AND created_at > now() - make_interval(secs => $26::float8)
        ORDER BY email_hash DESC, created_at DESC LIMIT $27::int
    ) recent
), by_ip AS (
    SELECT count(*) AS n, min(created_at) AS oldest FROM (
        SELECT created_at FROM comments
        WHERE $28::int IS NOT NULL AND $8::text IS NOT NULL AND site_id = $1
          AND ip_prefix = $8::text::cidr AND created_at > now() - make_interval(secs => $26::float8)
        ORDER BY ip_prefix DESC, created_at DESC LIMIT $28::int
    ) recent
), flood AS (
    SELECT CASE
        -- a retry of a stored comment answers that comment, whatever the limits
        WHEN $20::text IS NOT NULL AND EXISTS (
            SELECT 1 FROM comments WHERE site_id = $1 AND idempotency_key = $20::text
        ) THEN NULL
        WHEN a.n >= $27::int THEN 'author'
        WHEN i.n >= $28::int THEN 'ip'
    END AS hit,
    -- until the oldest counted comment leaves the window
    greatest(1, ceil($26::float8 - extract(epoch FROM now() - CASE
        WHEN a.n >= $27::int THEN a.oldest ELSE i.oldest END)))::int AS retry_after
    FROM by_author a, by_ip i
), history AS MATERIALIZED (
    SELECT
        CASE WHEN $29::bool OR $30::bool THEN EXISTS (
            -- status || '' keeps the planner on comments_author, off the site's published index
            SELECT 1 FROM comments
            WHERE site_id = $1 AND email_hash = $5 AND status || '' = 'published'
        ) END AS approved,
        CASE WHEN $30::bool THEN EXISTS (
            SELECT 1 FROM (
                SELECT status FROM comments WHERE site_id = $1 AND email_hash = $5
                ORDER BY email_hash DESC, created_at DESC LIMIT 20
            ) recent WHERE status IN ('rejected', 'spam')
        ) END AS recent_bad,
        CASE WHEN $23::int IS NOT NULL AND $22::bytea IS NOT NULL THEN (
            SELECT count(*) FROM (
                SELECT 1 FROM comments
                WHERE site_id = $1 AND fingerprint = $22::bytea
                  AND created_at > now() - make_interval(secs => $24::float8)
                LIMIT $23::int
            ) copies
        ) END AS copies
), facts AS MATERIALIZED (
    SELECT h.approved, h.recent_bad, h.copies,
           coalesce(h.copies >= $23::int, false) AS dup,
           coalesce($29::bool AND NOT h.approved, false) AS new_author,
           coalesce($30::bool AND h.approved AND NOT h.recent_bad, false) AS trusted
    FROM history h
), verdict AS (
    SELECT f.*, CASE
        WHEN $14::text IN ('rejected', 'spam') THEN $14::text
        WHEN f.dup THEN $25::text
        WHEN f.trusted AND $14::text = 'pending' THEN 'published'
        WHEN f.new_author THEN 'pending'
        ELSE $14::text
    END AS status,
    $16::text[] || array_remove(ARRAY[
        CASE WHEN f.dup THEN CASE WHEN $25::text = 'spam' THEN 'duplicate:reject'
                                   ELSE 'duplicate:hold' END END,
        CASE WHEN f.new_author THEN 'new_author:hold' END,
        CASE WHEN f.trusted AND $14::text = 'pending' AND NOT f.dup
             THEN 'trusted_author:publish' END
    ], NULL) AS reasons
    FROM facts f
), ruled AS (
    SELECT v.approved, v.recent_bad, v.copies, r.rule, CASE
        WHEN r.rule = 'ban' AND v.status <> 'spam' THEN 'rejected'
        WHEN r.rule = 'trust' AND v.status = 'pending' THEN 'published'
        WHEN r.rule = 'premoderate' AND v.status = 'published' THEN 'pending'
        ELSE v.status
    END AS status,
    v.reasons || array_remove(ARRAY[
        CASE WHEN r.rule = 'ban' THEN 'author_banned:reject' END,
        CASE WHEN r.rule = 'trust' AND v.status = 'pending' THEN 'author_trusted:publish' END,
        CASE WHEN r.rule = 'premoderate' AND v.status = 'published'
             THEN 'author_premoderated:hold' END
    ], NULL) AS reasons
    FROM verdict v
    LEFT JOIN author_rules r ON r.site_id = $1 AND r.email_hash = $5
), ins AS (
    INSERT INTO comments (
        site_id, thread, parent_id, author_name, email_hash, email_domain, email_masked,
        ip_prefix, user_agent, author_url, permalink, body, public_body, status, intake_status,
        scores, reasons, signals, model_version, policy_version, idempotency_key, form_shown_at,
        fingerprint, adapter_version
    )
    SELECT $1, $2, $3::uuid, $4, $5, $6, $7, $8::text::cidr, $9, $10, $11, $12, $13, v.status,
           v.status, $15::jsonb, v.reasons, $17::jsonb || jsonb_strip_nulls(jsonb_build_object(
               'author_approved', v.approved, 'author_recent_bad', v.recent_bad,
               'copies', v.copies, 'author_rule', v.rule)),
           $18, $19, $20, $21, CASE WHEN $23::int IS NOT NULL THEN $22::bytea END, $32::int
    FROM parent_ok, ruled v, flood
    WHERE parent_ok.ok AND flood.hit IS NULL
    ON CONFLICT (site_id, idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
    RETURNING id, site_id, thread, intake_status, scores, reasons, model_version, policy_version,
              adapter_version, created_at, public_body, (xmax = 0) AS inserted
), event AS (
    INSERT INTO comment_events (
        site_id, comment_id, actor, from_status, to_status, model_version, policy_version
    )
    SELECT site_id, id, 'system', NULL, intake_status, model_version, policy_version
    FROM ins WHERE inserted
), outbox_row AS (
    -- $31: the site has a webhook_url. Without one there is no event to send, ever: no row
    -- (it cost a third of the statement: the row, its indexes and two foreign-key checks).
    INSERT INTO outbox (site_id, comment_id, event, state, payload)
    SELECT site_id, id, 'comment.created', 'pending',
    jsonb_build_object(
        'event', 'comment.created',
        'comment', jsonb_build_object(
            'id', id, 'thread', thread, 'status', intake_status, 'scores', scores,
            'reasons', to_jsonb(reasons), 'model_version', model_version,
            'policy_version', policy_version, 'created_at', created_at,
            'public_body', public_body
        )
    )
    FROM ins WHERE inserted AND $31::bool
), thread_row AS (
    INSERT INTO threads AS t (site_id, thread, title, url)
    SELECT $1, $2, $33::text, $34::text
    FROM parent_ok, flood
    WHERE ($33::text IS NOT NULL OR $34::text IS NOT NULL) AND parent_ok.ok AND flood.hit IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM threads x WHERE x.site_id = $1 AND x.thread = $2
            AND ($33::text IS NULL OR x.title = $33::text) AND ($34::text IS NULL OR x.url = $34::text)
      )
    ON CONFLICT (site_id, thread) DO UPDATE
    SET title = coalesce(EXCLUDED.title, t.title), url = coalesce(EXCLUDED.url, t.url),
        updated_at = now()
    WHERE (EXCLUDED.title IS NOT NULL AND EXCLUDED.title IS DISTINCT FROM t.title)
       OR (EXCLUDED.url IS NOT NULL AND EXCLUDED.url IS DISTINCT FROM t.url)
)
SELECT i.id::text AS id, i.intake_status AS status, i.scores, i.reasons, i.model_version,
       i.adapter_version, i.inserted, f.hit AS flood, f.retry_after
FROM flood f LEFT JOIN ins i ON true;

-- name: insert_comments
-- insert_comment for many comments of one site and policy version in one statement (group
-- commit, moderation.store.batches): the same rules (the author's rule included) and rows,
-- each comment an element of the
-- arrays $3..$26 (reasons joined by U+001F), the policy's parameters once ($27..$35, as
-- insert_comment's $23..$31). The caller sends no two comments sharing an idempotency key or
-- a counted key (author, IP prefix, fingerprint): a statement does not see its own rows, so
-- its counts hold only while each key appears once. $36/$37: the advisory keys the rows
-- count and the row (ordinal) each belongs to; the function insert_comments runs in
-- (install_batch_insert) try-locks them and leaves in $37 only the rows whose keys it could
-- not get: those come back `deferred`, unstored, for a later batch, so one hot /24 held by
-- another transaction holds no other row. Rows go in idempotency-key order, so two batches
-- never wait on each other's keys in a cycle. `n` is the row's ordinal in the arrays (the
-- answer's order is not the input's); comment ids are chosen by the caller ($3).
WITH r AS (
    SELECT * FROM unnest(
        $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::bytea[], $8::text[], $9::text[],
        $10::text[]::cidr[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
        $16::text[], $17::jsonb[], $18::text[], $19::jsonb[], $20::text[], $21::text[],
        $22::timestamptz[], $23::bytea[], $24::int[], $25::text[], $26::text[]
    ) WITH ORDINALITY AS r (
        id, thread, parent_id, name, email_hash, email_domain, email_masked, ip_prefix,
        user_agent, author_url, permalink, body, public_body, status, scores, reasons, signals,
        model_version, idempotency_key, form_shown_at, fingerprint, adapter_version,
        thread_title, thread_url, n
    )
), facts AS MATERIALIZED (
    SELECT r.*, r.n = ANY($37::bigint[]) AND $36::bigint[] IS NOT NULL AS deferred,
        r.parent_id IS NULL OR EXISTS (
            SELECT 1 FROM comments c
            WHERE c.site_id = $1 AND c.id = r.parent_id AND c.thread = r.thread
        ) AS parent_ok,
        r.idempotency_key IS NOT NULL AND EXISTS (
            SELECT 1 FROM comments c WHERE c.site_id = $1 AND c.idempotency_key = r.idempotency_key
        ) AS replay,
        a.n AS author_n, a.oldest AS author_oldest, i.n AS ip_n, i.oldest AS ip_oldest,
        CASE WHEN $33::bool OR $34::bool THEN EXISTS (
            SELECT 1 FROM comments c
            WHERE c.site_id = $1 AND c.email_hash = r.email_hash AND c.status || '' = 'published'
        ) END AS approved,
        CASE WHEN $34::bool THEN EXISTS (
            SELECT 1 FROM (
                SELECT c.status FROM comments c
                WHERE c.site_id = $1 AND c.email_hash = r.email_hash
                ORDER BY c.email_hash DESC, c.created_at DESC LIMIT 20
            ) recent WHERE recent.status IN ('rejected', 'spam')
        ) END AS recent_bad,
        CASE WHEN $27::int IS NOT NULL AND r.fingerprint IS NOT NULL THEN (
            SELECT count(*) FROM (
                SELECT 1 FROM comments c
                WHERE c.site_id = $1 AND c.fingerprint = r.fingerprint
                  AND c.created_at > now() - make_interval(secs => $28::float8)
                LIMIT $27::int
            ) copies
        ) END AS copies
    FROM r
    CROSS JOIN LATERAL (
        SELECT count(*) AS n, min(created_at) AS oldest FROM (
            SELECT c.created_at FROM comments c
            WHERE $31::int IS NOT NULL AND c.site_id = $1 AND c.email_hash = r.email_hash
              AND c.created_at > now() - make_interval(secs => $30::float8)
            ORDER BY c.email_hash DESC, c.created_at DESC LIMIT $31::int
        ) recent
    ) a
    CROSS JOIN LATERAL (
        SELECT count(*) AS n, min(created_at) AS oldest FROM (
            SELECT c.created_at FROM comments c
            WHERE $32::int IS NOT NULL AND r.ip_prefix IS NOT NULL AND c.site_id = $1
              AND c.ip_prefix = r.ip_prefix
              AND c.created_at > now() - make_interval(secs => $30::float8)
            ORDER BY c.ip_prefix DESC, c.created_at DESC LIMIT $32::int
        ) recent
    ) i
), verdict AS (
    SELECT f.*,
        CASE
            WHEN f.replay THEN NULL
            WHEN f.author_n >= $31::int THEN 'author'
            WHEN f.ip_n >= $32::int THEN 'ip'
        END AS hit,
        greatest(1, ceil($30::float8 - extract(epoch FROM now() - CASE
            WHEN f.author_n >= $31::int THEN f.author_oldest ELSE f.ip_oldest END)))::int
            AS retry_after,
        coalesce(f.copies >= $27::int, false) AS dup,
        coalesce($33::bool AND NOT f.approved, false) AS new_author,
        coalesce($34::bool AND f.approved AND NOT f.recent_bad, false) AS trusted
    FROM facts f
), decided AS (
    SELECT v.*, CASE
        WHEN v.status IN ('rejected', 'spam') THEN v.status
        WHEN v.dup THEN $29::text
        WHEN v.trusted AND v.status = 'pending' THEN 'published'
        WHEN v.new_author THEN 'pending'
        ELSE v.status
    END AS final_status,
    string_to_array(v.reasons, E'\x1f') || array_remove(ARRAY[
        CASE WHEN v.dup THEN CASE WHEN $29::text = 'spam' THEN 'duplicate:reject'
                                   ELSE 'duplicate:hold' END END,
        CASE WHEN v.new_author THEN 'new_author:hold' END,
        CASE WHEN v.trusted AND v.status = 'pending' AND NOT v.dup
             THEN 'trusted_author:publish' END
    ], NULL) AS final_reasons
    FROM verdict v
    WHERE NOT v.deferred
), ruled AS (
    -- the author's rule, last, as insert_comment's
    SELECT d.*, ar.rule, CASE
        WHEN ar.rule = 'ban' AND d.final_status <> 'spam' THEN 'rejected'
        WHEN ar.rule = 'trust' AND d.final_status = 'pending' THEN 'published'
        WHEN ar.rule = 'premoderate' AND d.final_status = 'published' THEN 'pending'
        ELSE d.final_status
    END AS ruled_status,
    d.final_reasons || array_remove(ARRAY[
        CASE WHEN ar.rule = 'ban' THEN 'author_banned:reject' END,
        CASE WHEN ar.rule = 'trust' AND d.final_status = 'pending'
             THEN 'author_trusted:publish' END,
        CASE WHEN ar.rule = 'premoderate' AND d.final_status = 'published'
             THEN 'author_premoderated:hold' END
    ], NULL) AS ruled_reasons
    FROM decided d
    LEFT JOIN author_rules ar ON ar.site_id = $1 AND ar.email_hash = d.email_hash
), ins AS (
    INSERT INTO comments (
        id, site_id, thread, parent_id, author_name, email_hash, email_domain, email_masked,
        ip_prefix, user_agent, author_url, permalink, body, public_body, status, intake_status,
        scores, reasons, signals, model_version, policy_version, idempotency_key, form_shown_at,
        fingerprint, adapter_version
    )
    SELECT d.id, $1, d.thread, d.parent_id, d.name, d.email_hash, d.email_domain,
           d.email_masked, d.ip_prefix, d.user_agent, d.author_url, d.permalink, d.body,
           d.public_body, d.ruled_status, d.ruled_status, d.scores, d.ruled_reasons,
           d.signals || jsonb_strip_nulls(jsonb_build_object(
               'author_approved', d.approved, 'author_recent_bad', d.recent_bad,
               'copies', d.copies, 'author_rule', d.rule)),
           d.model_version, $2, d.idempotency_key, d.form_shown_at,
           CASE WHEN $27::int IS NOT NULL THEN d.fingerprint END, d.adapter_version
    FROM ruled d
    WHERE d.parent_ok AND d.hit IS NULL
    ORDER BY d.idempotency_key, d.n
    ON CONFLICT (site_id, idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
    RETURNING id, idempotency_key, site_id, thread, intake_status, scores, reasons,
              model_version, policy_version, adapter_version, created_at, public_body,
              (xmax = 0) AS inserted
), event AS (
    INSERT INTO comment_events (
        site_id, comment_id, actor, from_status, to_status, model_version, policy_version
    )
    SELECT site_id, id, 'system', NULL, intake_status, model_version, policy_version
    FROM ins WHERE inserted
), outbox_row AS (
    -- $35: the site has a webhook_url (no row without one, as insert_comment)
    INSERT INTO outbox (site_id, comment_id, event, state, payload)
    SELECT site_id, id, 'comment.created', 'pending',
    jsonb_build_object(
        'event', 'comment.created',
        'comment', jsonb_build_object(
            'id', id, 'thread', thread, 'status', intake_status, 'scores', scores,
            'reasons', to_jsonb(reasons), 'model_version', model_version,
            'policy_version', policy_version, 'created_at', created_at,
            'public_body', public_body
        )
    )
    FROM ins WHERE inserted AND $35::bool
), thread_row AS (
    -- sorted by thread: two batches updating the same articles take their rows in one order
    INSERT INTO threads AS t (site_id, thread, title, url)
    SELECT DISTINCT ON (d.thread) $1, d.thread, d.thread_title, d.thread_url
    FROM decided d
    WHERE (d.thread_title IS NOT NULL OR d.thread_url IS NOT NULL)
      AND d.parent_ok AND d.hit IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM threads x WHERE x.site_id = $1 AND x.thread = d.thread
            AND (d.thread_title IS NULL OR x.title = d.thread_title)
            AND (d.thread_url IS NULL OR x.url = d.thread_url)
      )
    ORDER BY d.thread, d.n DESC
    ON CONFLICT (site_id, thread) DO UPDATE
    SET title = coalesce(EXCLUDED.title, t.title), url = coalesce(EXCLUDED.url, t.url),
        updated_at = now()
    WHERE (EXCLUDED.title IS NOT NULL AND EXCLUDED.title IS DISTINCT FROM t.title)
       OR (EXCLUDED.url IS NOT NULL AND EXCLUDED.url IS DISTINCT FROM t.url)
)
SELECT v.n, v.deferred, i.id::text AS id, i.intake_status AS status, i.scores, i.reasons,
       i.model_version, i.adapter_version, i.inserted, v.hit AS flood, v.retry_after
FROM verdict v
LEFT JOIN ins i ON NOT v.deferred AND (
    i.id = v.id OR (v.idempotency_key IS NOT NULL AND i.idempotency_key = v.idempotency_key)
);

-- name: get_comment
SELECT id::text AS id, thread, parent_id::text AS parent_id, author_name AS name,
       email_masked, email_domain, body, public_body, status, scores, reasons,
       model_version, adapter_version, policy_version, created_at
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
-- Events, outbox rows and redactions go with their comments (ON DELETE CASCADE); the author's
-- rule and its history go too (the hash is the author's trace).
WITH gone AS (
    DELETE FROM comments WHERE site_id = $1 AND email_hash = $2 RETURNING id
), rule AS (
    DELETE FROM author_rules WHERE site_id = $1 AND email_hash = $2
), rule_events AS (
    DELETE FROM author_rule_events WHERE site_id = $1 AND email_hash = $2
)
SELECT count(*) AS erased FROM gone;

-- Per-author view and rules, search, redaction (issue 19; moderation.usecases.deskwork).

-- name: author_summary
-- An author of site $1 by keyed email hash $2: their latest name and up to 5 others used,
-- comments per status, first and last comment (index comments_author), and the rule in
-- force. No row when the author has no comment on this site.
SELECT c.name, c.names, c.published, c.pending, c.rejected, c.spam, c.first_at, c.last_at,
       r.rule, r.set_by, r.set_at, r.note
FROM (
    SELECT (array_agg(author_name ORDER BY created_at DESC))[1] AS name,
           count(*) AS total,
           count(*) FILTER (WHERE status = 'published') AS published,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'rejected') AS rejected,
           count(*) FILTER (WHERE status = 'spam') AS spam,
           min(created_at) AS first_at, max(created_at) AS last_at,
           ARRAY(SELECT DISTINCT n.author_name FROM comments n
                 WHERE n.site_id = $1 AND n.email_hash = $2 ORDER BY 1 LIMIT 6) AS names
    FROM comments
    WHERE site_id = $1 AND email_hash = $2
) c
LEFT JOIN author_rules r ON r.site_id = $1 AND r.email_hash = $2
WHERE c.total > 0;

-- name: author_comments
-- Keyset page of an author's comments in any status, newest first (index comments_author).
SELECT q.* FROM queue_items q
WHERE q.site_id = $1 AND q.comment_id = ANY(ARRAY(
    SELECT id FROM comments
    WHERE site_id = $1 AND email_hash = $2
      AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
    ORDER BY created_at DESC, id DESC
    LIMIT $5
))
ORDER BY q.created_at DESC, q.comment_id DESC;

-- name: author_rule_set
-- Set ($3: ban, premoderate or trust) or lift ($3 null) the rule of author $2 of site $1, by
-- actor $4 with note $5; an event (the audit log's) only when the rule changes. Only for an
-- author with comments on the site: ok is false otherwise and nothing is written.
WITH known AS (
    SELECT EXISTS (SELECT 1 FROM comments WHERE site_id = $1 AND email_hash = $2) AS ok
), before AS (
    SELECT (SELECT rule FROM author_rules
            WHERE site_id = $1 AND email_hash = $2 FOR UPDATE) AS rule
), upsert AS (
    INSERT INTO author_rules (site_id, email_hash, rule, set_by, note)
    SELECT $1, $2, $3::text, $4, $5::text FROM known WHERE ok AND $3::text IS NOT NULL
    ON CONFLICT (site_id, email_hash) DO UPDATE
    SET rule = EXCLUDED.rule, set_by = EXCLUDED.set_by, note = EXCLUDED.note, set_at = now()
    WHERE author_rules.rule IS DISTINCT FROM EXCLUDED.rule
), lifted AS (
    DELETE FROM author_rules WHERE site_id = $1 AND email_hash = $2 AND $3::text IS NULL
), event AS (
    INSERT INTO author_rule_events (site_id, email_hash, rule, previous, actor, note)
    SELECT $1, $2, $3::text, b.rule, $4, $5::text
    FROM known k, before b WHERE k.ok AND b.rule IS DISTINCT FROM $3::text
)
SELECT k.ok, b.rule AS previous FROM known k, before b;

-- name: author_rule_history
-- The changes of an author's rule, newest first.
SELECT rule, previous, actor, note, created_at FROM author_rule_events
WHERE site_id = $1 AND email_hash = $2
ORDER BY id DESC
LIMIT $3;

-- name: item_authors
-- For comments $2 of site $1: the author's id (hex of the keyed email hash), their rule, and
-- whether a moderator edited the public copy.
SELECT c.id::text AS id, encode(c.email_hash, 'hex') AS author_id, r.rule AS author_rule,
       EXISTS (SELECT 1 FROM comment_redactions d
               WHERE d.site_id = c.site_id AND d.comment_id = c.id) AS redacted
FROM comments c
LEFT JOIN author_rules r ON r.site_id = c.site_id AND r.email_hash = c.email_hash
WHERE c.site_id = $1 AND c.id = ANY($2::uuid[]);

-- name: queue_search
-- Search a site's comments, newest first. At most $10 rows are looked at per page, walking
-- comments_recent back from the position ($6, $7); of those, up to $11 that match come back.
-- Filters: status $2 (null: any), article $3, reason $12 ('reported': comments readers
-- reported), created in [$4, $5), the text $8 and the author's name $9 as ILIKE patterns
-- (the caller escapes the user's wildcards and bounds their length, so each test is linear
-- in the text). A term typed without diacritics ($13 for the text, $14 for the name) is
-- compared with the comment's text without them ('gia xang' finds 'Giá xăng'; translate is
-- linear too); a term with diacritics only with the text as written. Every row says where the walk stopped (scan_at, scan_id) and whether it used
-- its whole bound (scan_full): a page with few or no matches still says where to go on.
WITH walk AS MATERIALIZED (
    SELECT c.id, c.created_at, c.body, c.author_name
    FROM comments c
    WHERE c.site_id = $1
      AND ($2::text IS NULL OR c.status = $2::text)
      AND ($3::text IS NULL OR c.thread = $3::text)
      AND ($12::text IS NULL OR CASE WHEN $12::text = 'reported' THEN c.report_count > 0
                                     ELSE $12::text = ANY(c.reasons) END)
      AND ($4::timestamptz IS NULL OR c.created_at >= $4::timestamptz)
      AND ($5::timestamptz IS NULL OR c.created_at < $5::timestamptz)
      AND ($6::timestamptz IS NULL OR (c.created_at, c.id) < ($6::timestamptz, $7::uuid))
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT $10
), hits AS (
    SELECT w.id FROM walk w
    WHERE ($8::text IS NULL OR (CASE WHEN $13::bool THEN translate(w.body, 'ÀÁÂÃÈÉÊÌÍÎÒÓÔÕÙÚÛÝàáâãèéêìíîòóôõùúûýĂăĔĕĨĩĬĭŎŏŨũŬŭŶŷƠơƯưṌṍṸṹẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹđĐ', 'AAAAEEEIIIOOOOUUUYaaaaeeeiiioooouuuyAaEeIiIiOoUuUuYyOoUuOoUuAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYydD')
                                     ELSE w.body END) ILIKE $8::text)
      AND ($9::text IS NULL OR (CASE WHEN $14::bool THEN translate(w.author_name, 'ÀÁÂÃÈÉÊÌÍÎÒÓÔÕÙÚÛÝàáâãèéêìíîòóôõùúûýĂăĔĕĨĩĬĭŎŏŨũŬŭŶŷƠơƯưṌṍṸṹẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹđĐ', 'AAAAEEEIIIOOOOUUUYaaaaeeeiiioooouuuyAaEeIiIiOoUuUuYyOoUuOoUuAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYydD')
                                     ELSE w.author_name END) ILIKE $9::text)
    ORDER BY w.created_at DESC, w.id DESC
    LIMIT $11
), stop AS (
    SELECT o.created_at AS scan_at, o.id::text AS scan_id, n.total >= $10 AS scan_full
    FROM (SELECT count(*) AS total FROM walk) n
    LEFT JOIN LATERAL (
        SELECT created_at, id FROM walk ORDER BY created_at, id LIMIT 1
    ) o ON true
)
SELECT s.scan_at, s.scan_id, s.scan_full, q.*
FROM stop s
LEFT JOIN (hits h JOIN queue_items q ON q.site_id = $1 AND q.comment_id = h.id) ON true
ORDER BY q.created_at DESC, q.comment_id DESC;

-- name: redact_comment
-- A moderator (user $3, named $4) replaces the public copy of comment $2 of site $1 with $5
-- (note $6): the original body stays as it is, for staff; the edit is kept with the copy
-- before and after, and a `comment.edited` webhook row carries the new copy (the status
-- unchanged) in the same statement. Not while another moderator holds the comment under a
-- live lease (conflict); nothing written when the copy is the same (unchanged). No row: no
-- such comment.
WITH target AS (
    SELECT id, thread, status, public_body, claimed_by, claim_expires_at, scores, reasons,
           model_version, policy_version
    FROM comments
    WHERE site_id = $1 AND id = $2::uuid
    FOR UPDATE
), verdict AS (
    SELECT t.*, CASE
        WHEN t.claimed_by IS DISTINCT FROM $3::bigint AND t.claim_expires_at > now()
            THEN 'conflict'
        WHEN t.public_body = $5::text THEN 'unchanged'
        ELSE 'changed'
    END AS outcome
    FROM target t
), edited AS (
    UPDATE comments c SET public_body = $5::text, updated_at = now()
    FROM verdict v
    WHERE c.site_id = $1 AND c.id = v.id AND v.outcome = 'changed'
), kept AS (
    INSERT INTO comment_redactions (site_id, comment_id, actor, status, public_before,
                                    public_after, note)
    SELECT $1, id, $4, status, public_body, $5::text, $6::text FROM verdict
    WHERE outcome = 'changed'
), outbox_row AS (
    INSERT INTO outbox (site_id, comment_id, event, payload)
    SELECT $1, id, 'comment.edited', jsonb_build_object(
        'event', 'comment.edited',
        'comment', jsonb_build_object(
            'id', id, 'thread', thread, 'status', status, 'previous_status', status,
            'action', NULL, 'actor', $4::text, 'scores', scores,
            'reasons', to_jsonb(reasons), 'model_version', model_version,
            'policy_version', policy_version, 'public_body', $5::text
        )
    )
    FROM verdict WHERE outcome = 'changed'
)
SELECT outcome FROM verdict;

-- name: migration_lock
SELECT pg_advisory_xact_lock(7387020211);

-- name: function_exists
SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = $1);

-- name: type_names
-- The SQL names of types by oid ($1), in the order given.
SELECT format_type(t, NULL) AS name FROM unnest($1::oid[]) WITH ORDINALITY AS u (t, n) ORDER BY n;

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

-- name: staff_by_token
SELECT u.id, u.site_id, s.slug AS site_slug, u.username, u.role
FROM users u JOIN sites s ON s.id = u.site_id
WHERE u.token_hash = $1 AND u.revoked_at IS NULL;

-- name: queue_oldest
-- Keyset page of a site's comments in one status, oldest first (index comments_pending).
SELECT q.* FROM queue_items q
WHERE q.site_id = $1 AND q.status = $2
  AND ($6::text IS NULL OR q.thread = $6::text) AND ($7::text IS NULL OR $7::text = ANY(q.reasons))
  AND ($3::timestamptz IS NULL OR (q.created_at, q.comment_id) > ($3::timestamptz, $4::uuid))
ORDER BY q.created_at, q.comment_id
LIMIT $5;

-- name: queue_by_score
-- Keyset page, highest top score first, ties by id (index comments_pending_score).
SELECT q.* FROM queue_items q
WHERE q.site_id = $1 AND q.status = $2
  AND ($6::text IS NULL OR q.thread = $6::text) AND ($7::text IS NULL OR $7::text = ANY(q.reasons))
  AND ($3::float8 IS NULL OR q.top_score < $3::float8
       OR (q.top_score = $3::float8 AND q.comment_id > $4::uuid))
ORDER BY q.top_score DESC, q.comment_id
LIMIT $5;

-- name: claim_pending
-- One statement: lock up to $3 pending comments nobody holds under a live lease (lapsed
-- leases first, index comments_pending_claimed; then never-claimed ones oldest first, index
-- comments_pending_unclaimed), skipping rows another claim is locking right now, and lease
-- them to user $2 for $4 seconds.
WITH lapsed AS (
    SELECT id FROM comments
    WHERE site_id = $1 AND status = 'pending' AND claimed_by IS NOT NULL
      AND claim_expires_at <= now()
    ORDER BY claim_expires_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), fresh AS (
    SELECT id FROM comments
    WHERE site_id = $1 AND status = 'pending' AND claimed_by IS NULL
    ORDER BY created_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), claimed AS (
    -- ANY(ARRAY(...)) makes the update a primary-key lookup, whatever the row estimates.
    UPDATE comments c
    SET claimed_by = $2, claim_expires_at = now() + make_interval(secs => $4)
    WHERE c.site_id = $1 AND c.id = ANY(ARRAY(
        SELECT id FROM (SELECT id FROM lapsed UNION ALL SELECT id FROM fresh) p LIMIT $3
    ))
    RETURNING c.*
)
SELECT c.id::text AS id, c.thread, c.author_name AS name, c.body, c.public_body,
       c.email_masked, c.status, c.scores, c.reasons, c.model_version, c.policy_version,
       $5::text AS claimed_by, c.claim_expires_at, c.created_at, c.top_score, a.author_history,
       t.title AS thread_title, t.url AS thread_url, c.parent_id::text AS parent_id,
       p.author_name AS parent_name, left(p.public_body, 300) AS parent_excerpt, c.report_count
FROM claimed c
LEFT JOIN threads t ON t.site_id = c.site_id AND t.thread = c.thread
LEFT JOIN comments p ON p.site_id = c.site_id AND p.id = c.parent_id
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

-- name: release_claims
-- A moderator gives back their claims: all of them, or those of the ids in $3.
WITH released AS (
    UPDATE comments SET claimed_by = NULL, claim_expires_at = NULL
    WHERE site_id = $1 AND claimed_by = $2 AND claim_expires_at IS NOT NULL
      AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))
    RETURNING id
)
SELECT count(*) AS released FROM released;

-- name: lock_comments
-- Lock comments of a site in id order (decide's first statement, in the same transaction).
SELECT id FROM comments WHERE site_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE;

-- name: decide
-- One statement for one or many comments ($2): lock them in id order (so concurrent bulk
-- decisions cannot deadlock); skip those another user holds under a live lease ($3 is null
-- for a site's own decision, which any live lease blocks); set the status and release the
-- claim of the others; append the event, with the model ($8) and the site's policy version in
-- force now, even where the status stays (approving a published comment confirms it clean: a
-- label for per-site learning) unless the latest event already is this action (a repeat), and
-- the webhook outbox row only where the status changes.
WITH target AS (
    SELECT id, thread, status, claimed_by, claim_expires_at, scores, reasons, public_body
    FROM comments
    WHERE site_id = $1 AND id = ANY($2::uuid[])
    ORDER BY id
    FOR UPDATE
), verdict AS (
    SELECT t.*, CASE
        WHEN t.claimed_by IS DISTINCT FROM $3::bigint AND t.claim_expires_at > now()
            THEN 'conflict'
        WHEN t.status = $4 THEN 'unchanged'
        ELSE 'changed'
    END AS outcome, (
        SELECT e.action FROM comment_events e
        WHERE e.site_id = $1 AND e.comment_id = t.id ORDER BY e.id DESC LIMIT 1
    ) AS last_action
    FROM target t
), in_force AS (
    SELECT max(version) AS policy_version FROM policies WHERE site_id = $1
), released AS (
    UPDATE comments c
    SET status = $4, claimed_by = NULL, claim_expires_at = NULL, updated_at = now(),
        report_count = 0  -- a decision settles the readers' reports so far
    FROM verdict v
    WHERE c.site_id = $1 AND c.id = v.id AND v.outcome <> 'conflict'
), event AS (
    INSERT INTO comment_events (
        site_id, comment_id, actor, from_status, to_status, note, action,
        model_version, policy_version
    )
    SELECT $1, id, $5, status, $4, $6, $7, $8, policy_version
    FROM verdict, in_force
    WHERE outcome = 'changed' OR (outcome = 'unchanged' AND last_action IS DISTINCT FROM $7)
), outbox_row AS (
    INSERT INTO outbox (site_id, comment_id, event, payload)
    SELECT $1, id, 'comment.status_changed', jsonb_build_object(
        'event', 'comment.status_changed',
        'comment', jsonb_build_object(
            'id', id, 'thread', thread, 'status', $4::text, 'previous_status', status,
            'action', $7::text, 'actor', $5::text, 'scores', scores,
            'reasons', to_jsonb(reasons), 'model_version', $8::text,
            'policy_version', policy_version, 'public_body', public_body
        )
    )
    FROM verdict, in_force WHERE outcome = 'changed'
)
SELECT id::text AS id, outcome FROM verdict;

-- name: comment_events
-- A comment's history, oldest first: its status events, and the edits of its public copy
-- (kind redaction, with the copy before and after; the status unchanged).
SELECT kind, actor, action, from_status, to_status, note, model_version, policy_version,
       created_at, public_before, public_after
FROM (
    SELECT 'status' AS kind, e.actor, e.action, e.from_status, e.to_status, e.note,
           e.model_version, e.policy_version, e.created_at, NULL::text AS public_before,
           NULL::text AS public_after, 1 AS tie, e.id
    FROM comment_events e
    WHERE e.site_id = $1 AND e.comment_id = $2::uuid
    UNION ALL
    SELECT 'redaction', d.actor, NULL, d.status, d.status, d.note, NULL, NULL, d.created_at,
           d.public_before, d.public_after, 0, d.id
    FROM comment_redactions d
    WHERE d.site_id = $1 AND d.comment_id = $2::uuid
) h
ORDER BY created_at, tie, id;

-- name: audit_page
-- Newest first: moderators' decisions and undos, policy versions, staff accounts (added by
-- the operator, or invited, revoked, restored and reset by owners), the site's model
-- (adapters adopted, pinned, switched on or off), authors' rules and edits of public copies
-- of one site.
SELECT created_at, kind, ref, actor, detail FROM (
    SELECT e.created_at, 'decision' AS kind, e.id::text AS ref, e.actor,
           jsonb_build_object('comment_id', e.comment_id, 'action', e.action,
                              'from_status', e.from_status, 'to_status', e.to_status,
                              'note', e.note) AS detail
    FROM comment_events e
    WHERE e.site_id = $1 AND (e.action IS NOT NULL OR e.note = 'undo')
    UNION ALL
    SELECT p.created_at, 'policy', p.version::text, coalesce(p.created_by, 'system'),
           -- changes: {field: {"before", "after"}}, lists as {"added", "removed"}
           jsonb_build_object('version', p.version, 'changes', p.changes)
    FROM policies p
    WHERE p.site_id = $1
    UNION ALL
    SELECT u.created_at, 'staff', u.id::text, 'operator',
           jsonb_build_object('username', u.username, 'role', u.role)
    FROM users u
    WHERE u.site_id = $1
      -- a user an owner invited from the pages shows as that event instead
      AND NOT EXISTS (SELECT 1 FROM staff_events se
                      WHERE se.site_id = u.site_id AND se.user_id = u.id
                        AND se.action = 'invited')
    UNION ALL
    SELECT se.created_at, 'staff', 'e' || se.id::text, se.actor,
           jsonb_build_object('username', se.username, 'role', se.role, 'action', se.action,
                              'method', se.method)
    FROM staff_events se
    WHERE se.site_id = $1
    UNION ALL
    SELECT a.created_at, 'model', a.id::text, a.actor,
           jsonb_build_object('action', a.action, 'version', a.version)
    FROM site_adapter_events a
    WHERE a.site_id = $1
    UNION ALL
    SELECT r.created_at, 'author', r.id::text, r.actor,
           jsonb_build_object('author_id', encode(r.email_hash, 'hex'), 'rule', r.rule,
                              'previous', r.previous, 'note', r.note)
    FROM author_rule_events r
    WHERE r.site_id = $1
    UNION ALL
    SELECT d.created_at, 'redaction', d.id::text, d.actor,
           jsonb_build_object('comment_id', d.comment_id, 'note', d.note)
    FROM comment_redactions d
    WHERE d.site_id = $1
) entries
WHERE $2::timestamptz IS NULL OR (created_at, kind, ref) < ($2::timestamptz, $3::text, $4::text)
ORDER BY created_at DESC, kind DESC, ref DESC
LIMIT $5;

-- name: rotate_site_key
-- The new key takes over at once; the old one keeps working until $3 (now() for none).
UPDATE sites
SET previous_key_hash = key_hash, previous_key_expires_at = $3, key_hash = $2
WHERE slug = $1
RETURNING id;

-- name: revoke_user
-- Revoke a staff member: their token stops at once and every web session of theirs ends;
-- the audit log records the operator's revocation.
WITH target AS (
    UPDATE users SET revoked_at = now()
    WHERE site_id = (SELECT id FROM sites WHERE slug = $1) AND username = $2 AND revoked_at IS NULL
    RETURNING id, site_id, username, role
), ended AS (
    DELETE FROM sessions x USING target t WHERE x.site_id = t.site_id AND x.user_id = t.id
), event AS (
    INSERT INTO staff_events (site_id, user_id, username, role, actor, action)
    SELECT site_id, id, username, role, 'operator', 'revoked' FROM target
)
SELECT id FROM target;

-- name: rotate_user_token
-- A new token for a staff member. It never lifts a revocation (restore_user does). The web
-- sessions the old token opened end (and those of unknown origin); password sessions stay.
WITH target AS (
    UPDATE users SET token_hash = $3
    WHERE site_id = (SELECT id FROM sites WHERE slug = $1) AND username = $2
    RETURNING id, site_id, revoked_at
), ended AS (
    DELETE FROM sessions x USING target t
    WHERE x.site_id = t.site_id AND x.user_id = t.id AND x.credential <> 'password'
)
SELECT id, revoked_at IS NOT NULL AS revoked FROM target;
-- name: outbox_lease
-- Due events of every site (the worker serves them all), locked with SKIP LOCKED so
-- concurrent workers take different rows, and leased by pushing next_attempt_at past the
-- attempt's timeout: a crashed worker's rows come due again. With each: the site's slug,
-- secret, current webhook_url and allowed networks, and the comment's creation time and
-- permalink.
WITH due AS (
    SELECT id FROM outbox
    WHERE state = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE outbox o
    SET next_attempt_at = now() + make_interval(secs => $2), attempts = o.attempts + 1
    WHERE o.id = ANY(ARRAY(SELECT id FROM due))
    RETURNING o.id, o.site_id, o.event_id, o.comment_id, o.event, o.payload, o.attempts,
              o.created_at
)
SELECT l.id, l.site_id, l.event_id, l.event, l.payload, l.attempts, l.created_at,
       s.slug AS site, s.webhook_secret AS secret, p.body ->> 'webhook_url' AS url,
       s.webhook_networks AS networks, c.created_at AS comment_created_at, c.permalink
FROM leased l
JOIN sites s ON s.id = l.site_id
LEFT JOIN LATERAL (
    SELECT body FROM policies WHERE site_id = l.site_id ORDER BY version DESC LIMIT 1
) p ON true
LEFT JOIN comments c ON c.site_id = l.site_id AND c.id = l.comment_id
ORDER BY l.id;

-- name: outbox_settle
-- Record one attempt ($3: delivered, retry or skipped) if this worker still holds the lease
-- (attempts = $4); a retry past the maximum age ($9 seconds) becomes failed. Logs the attempt.
WITH verdict AS (
    SELECT id, CASE
        WHEN $3 = 'retry' AND created_at < now() - make_interval(secs => $9) THEN 'failed'
        ELSE $3::text
    END AS outcome
    FROM outbox
    WHERE site_id = $1 AND id = $2 AND attempts = $4 AND state = 'pending'
), settled AS (
    UPDATE outbox o
    SET state = CASE v.outcome WHEN 'retry' THEN 'pending' ELSE v.outcome END,
        delivered_at = CASE WHEN v.outcome = 'delivered' THEN now() END,
        next_attempt_at = CASE WHEN v.outcome = 'retry'
            THEN now() + make_interval(secs => $5) ELSE o.next_attempt_at END,
        last_error = $7
    FROM verdict v
    WHERE o.site_id = $1 AND o.id = v.id
    RETURNING o.site_id, o.id, o.event_id, o.attempts, v.outcome
)
INSERT INTO webhook_deliveries (
    site_id, outbox_id, event_id, attempt, outcome, http_status, error, duration_ms
)
SELECT site_id, id, event_id, attempts, outcome, $6, $7, $8 FROM settled
RETURNING outcome;

-- name: webhook_secret
-- A site's webhook signing secret, replaced by $2 when given; reading it writes nothing.
WITH replaced AS (
    UPDATE sites SET webhook_secret = $2::text
    WHERE slug = $1 AND $2::text IS NOT NULL
    RETURNING id, webhook_secret
)
SELECT id, webhook_secret FROM replaced
UNION ALL
SELECT id, webhook_secret FROM sites WHERE slug = $1 AND $2::text IS NULL;

-- name: set_webhook_url
-- A new policy version of site $1 equal to the latest but for webhook_url.
INSERT INTO policies (site_id, version, body, created_by)
SELECT site_id, version + 1, body || jsonb_build_object('webhook_url', $2::text), $3
FROM policies
WHERE site_id = $1
ORDER BY version DESC
LIMIT 1
RETURNING version;
-- Site owners: policy versions, previews and stats (moderation.api.policy).

-- name: policy_current
-- The latest version, its body only when it is not version $2 (the one the caller holds).
SELECT version, CASE WHEN version IS DISTINCT FROM $2 THEN body END AS body
FROM policies WHERE site_id = $1 ORDER BY version DESC LIMIT 1;

-- name: policy_save
-- A new version only while $2 is still the latest; of two saves racing from the same version
-- one loses on the primary key. No row back means stale.
INSERT INTO policies (site_id, version, body, created_by, changes)
SELECT $1, $2 + 1, $3::jsonb, $4, $5::jsonb
WHERE $2 = (SELECT max(version) FROM policies WHERE site_id = $1)
ON CONFLICT (site_id, version) DO NOTHING
RETURNING version;

-- name: policy_preview_rows
-- A site's most recent comments (index comments_recent), with what decided them and
-- whether a moderator has decided on them since.
SELECT c.id::text AS id, c.body, c.email_domain, c.scores, c.signals, c.status,
       c.intake_status, c.created_at,
       EXISTS (
           SELECT 1 FROM comment_events e
           WHERE e.site_id = c.site_id AND e.comment_id = c.id AND e.action IS NOT NULL
       ) AS decided
FROM comments c
WHERE c.site_id = $1
ORDER BY c.created_at DESC
LIMIT $2;

-- name: site_stats
-- Comments since $2: volumes per day (in time zone $3) and status; the queue now; and,
-- of those a moderator decided, the median time to the first decision and how each
-- automatic reason fared (published = the moderator let it through).
WITH recent AS (
    SELECT id, status, intake_status, reasons, created_at FROM comments
    WHERE site_id = $1 AND created_at >= $2
), decided AS (
    SELECT r.*, d.first_at FROM recent r
    JOIN LATERAL (
        SELECT min(e.created_at) AS first_at FROM comment_events e
        WHERE e.site_id = $1 AND e.comment_id = r.id AND e.action IS NOT NULL
    ) d ON d.first_at IS NOT NULL
)
SELECT
    (SELECT coalesce(jsonb_agg(v ORDER BY v.day, v.status), '[]'::jsonb) FROM (
        SELECT (created_at AT TIME ZONE $3)::date AS day, status, count(*) AS count
        FROM recent GROUP BY 1, 2
    ) v) AS volumes,
    (SELECT count(*) FROM comments WHERE site_id = $1 AND status = 'pending') AS queue_depth,
    (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM comments
     WHERE site_id = $1 AND status = 'pending') AS oldest_pending_seconds,
    (SELECT percentile_cont(0.5) WITHIN GROUP (
        ORDER BY extract(epoch FROM first_at - created_at)) FROM decided
    ) AS median_decision_seconds,
    (SELECT count(*) FROM decided) AS decided,
    (SELECT count(*) FROM decided WHERE intake_status <> 'pending') AS auto_decided,
    -- published automatically but taken down, or removed automatically but published
    (SELECT count(*) FROM decided
     WHERE (intake_status = 'published') <> (status = 'published')
       AND intake_status <> 'pending') AS overturned,
    (SELECT coalesce(jsonb_agg(o ORDER BY o.reason), '[]'::jsonb) FROM (
        SELECT reason, count(*) AS decided,
               count(*) FILTER (WHERE status = 'published') AS published,
               count(*) FILTER (WHERE status IN ('rejected', 'spam')) AS removed
        FROM decided, unnest(reasons) AS reason GROUP BY reason
    ) o) AS by_reason;

-- name: staff_for_login
-- A staff member of a site by name, with the password hash to verify (web login).
SELECT u.id, u.site_id, s.slug AS site_slug, u.username, u.role, u.password_hash
FROM users u JOIN sites s ON s.id = u.site_id
WHERE s.slug = $1 AND u.username = $2 AND u.revoked_at IS NULL;

-- name: set_password
-- A new password hash for a staff member; their open web sessions end with the old one.
WITH target AS (
    UPDATE users SET password_hash = $3
    WHERE site_id = (SELECT id FROM sites WHERE slug = $1) AND username = $2
    RETURNING id, site_id
), ended AS (
    DELETE FROM sessions x USING target t WHERE x.site_id = t.site_id AND x.user_id = t.id
)
SELECT id FROM target;

-- name: session_create
-- A web session ($1 is the hash of its id) opened by a password ($5 null) or by the token
-- whose hash is $5, dropping the user's expired ones. No row when the user was revoked, or
-- the token replaced, since the credentials were checked.
WITH pruned AS (
    DELETE FROM sessions WHERE site_id = $2 AND user_id = $3 AND expires_at <= now()
)
INSERT INTO sessions (id_hash, site_id, user_id, expires_at, credential, token_hash)
SELECT $1, u.site_id, u.id, now() + make_interval(secs => $4),
       CASE WHEN $5::bytea IS NULL THEN 'password' ELSE 'token' END, $5::bytea
FROM users u
WHERE u.site_id = $2 AND u.id = $3 AND u.revoked_at IS NULL
  AND ($5::bytea IS NULL OR u.token_hash = $5::bytea)
RETURNING expires_at;

-- name: session_staff
-- The staff member of a live session; a revoked user's sessions count as ended, and so does
-- a session opened by a token that is no longer the user's (even if rotating missed it).
SELECT u.id, u.site_id, s.slug AS site_slug, u.username, u.role
FROM sessions x
JOIN users u ON u.site_id = x.site_id AND u.id = x.user_id
JOIN sites s ON s.id = x.site_id
WHERE x.id_hash = $1 AND x.expires_at > now() AND u.revoked_at IS NULL
  AND (x.credential <> 'token' OR x.token_hash = u.token_hash);

-- name: session_delete
DELETE FROM sessions WHERE site_id = $1 AND id_hash = $2;

-- name: login_attempt
-- Record a login attempt as a failure before its credentials are checked, so that parallel
-- guesses all count (a success deletes it again); rows older than the window ($4 seconds) are
-- no longer needed, for any site (housekeeping of this table only).
WITH pruned AS (
    DELETE FROM login_failures WHERE created_at <= now() - make_interval(secs => $4)
)
INSERT INTO login_failures (site_id, account_hash, address_hash) VALUES ($1, $2, $3)
RETURNING id;

-- name: login_failures_count
-- Failed logins in the last $3 seconds for an account ($1) and an address ($2), this attempt's
-- row included, and in how many seconds the oldest of each drops out of the window. A
-- separate statement from the insert: it sees every attempt committed before it.
SELECT
    count(*) FILTER (WHERE account_hash = $1) AS account_failures,
    extract(epoch FROM min(created_at) FILTER (WHERE account_hash = $1)
            + make_interval(secs => $3) - now()) AS account_retry,
    count(*) FILTER (WHERE address_hash = $2) AS address_failures,
    extract(epoch FROM min(created_at) FILTER (WHERE address_hash = $2)
            + make_interval(secs => $3) - now()) AS address_retry
FROM login_failures
WHERE (account_hash = $1 OR address_hash = $2)
  AND created_at > now() - make_interval(secs => $3);

-- name: login_attempt_drop
-- An attempt refused before its credentials were checked (throttled) is no failure.
DELETE FROM login_failures WHERE site_id IS NOT DISTINCT FROM $1 AND id = $2;

-- name: login_failures_clear
-- A successful login forgets the account's failures (not the address's); token logins are
-- recorded without a site (the token names it), so those rows go too.
DELETE FROM login_failures
WHERE (site_id = $1 OR site_id IS NULL) AND account_hash = $2;

-- name: queue_item
SELECT q.* FROM queue_items q WHERE q.site_id = $1 AND q.comment_id = $2::uuid;

-- name: thread_context
-- The latest comments of a thread in any status, for a moderator reading one of them.
SELECT id::text AS id, author_name AS name, public_body AS body, status, created_at
FROM comments
WHERE site_id = $1 AND thread = $2
ORDER BY created_at DESC, id
LIMIT $3;

-- name: undo_decision
-- Undo a staff member's own last decision on a comment: back to pending, claimed by them
-- ($3, lease $5 seconds), with an event (action null, note 'undo', model in force $6) and a
-- webhook row. Only when the comment's latest event is theirs ($4) and still describes its
-- status.
WITH latest AS (
    SELECT actor, to_status FROM comment_events
    WHERE site_id = $1 AND comment_id = $2::uuid
    ORDER BY id DESC LIMIT 1
), target AS (
    SELECT c.id, c.thread, c.status, c.scores, c.reasons, c.public_body
    FROM comments c, latest l
    WHERE c.site_id = $1 AND c.id = $2::uuid AND l.actor = $4 AND l.to_status = c.status
      AND c.status <> 'pending'
    FOR UPDATE OF c
), in_force AS (
    SELECT max(version) AS policy_version FROM policies WHERE site_id = $1
), reopened AS (
    UPDATE comments c
    SET status = 'pending', claimed_by = $3,
        claim_expires_at = now() + make_interval(secs => $5), updated_at = now()
    FROM target t
    WHERE c.site_id = $1 AND c.id = t.id
), event AS (
    INSERT INTO comment_events (site_id, comment_id, actor, from_status, to_status, note,
                                model_version, policy_version)
    SELECT $1, id, $4, status, 'pending', 'undo', $6, policy_version FROM target, in_force
), outbox_row AS (
    INSERT INTO outbox (site_id, comment_id, event, payload)
    SELECT $1, id, 'comment.status_changed', jsonb_build_object(
        'event', 'comment.status_changed',
        'comment', jsonb_build_object(
            'id', id, 'thread', thread, 'status', 'pending', 'previous_status', status,
            'action', NULL, 'actor', $4::text, 'scores', scores,
            'reasons', to_jsonb(reasons), 'model_version', $6::text,
            'policy_version', policy_version, 'public_body', public_body
        )
    )
    FROM target, in_force
)
SELECT id::text AS id FROM target;

-- name: staff_list
SELECT u.username, u.role, u.created_at, u.revoked_at, u.password_hash IS NOT NULL AS has_password,
       (SELECT max(x.created_at) FROM sessions x
        WHERE x.site_id = u.site_id AND x.user_id = u.id) AS last_login,
       EXISTS (SELECT 1 FROM staff_links l
               WHERE l.site_id = u.site_id AND l.user_id = u.id AND l.used_at IS NULL
                 AND l.expires_at > now()) AS link_pending
FROM users u
WHERE u.site_id = $1
ORDER BY u.role, u.username;

-- Feedback loop: moderators' decisions as training labels (moderation.labels).

-- name: label_sites
SELECT id, slug FROM sites WHERE $1::text IS NULL OR slug = $1::text ORDER BY slug;

-- name: export_labels
-- Each comment of site $1 whose latest event is a moderator's decision (index
-- comment_events_comment), kept when that decision is at or after $2: a decision later undone
-- (an event without an action) is no label. The text is the stored body: the author's own
-- address never is in it, and the caller removes any other contact detail.
SELECT l.body, l.action, l.decided_at FROM (
    SELECT DISTINCT ON (e.comment_id) c.body, e.action, e.created_at AS decided_at
    FROM comment_events e
    JOIN comments c ON c.site_id = e.site_id AND c.id = e.comment_id
    WHERE e.site_id = $1
    ORDER BY e.comment_id, e.id DESC
) l
WHERE l.action IS NOT NULL AND ($2::timestamptz IS NULL OR l.decided_at >= $2::timestamptz)
ORDER BY l.decided_at, l.body;

-- name: notify
-- Tell every service process (each LISTENs on channel $1) about a change, e.g. a new model.
SELECT pg_notify($1, $2);

-- name: restore_user
-- Lift a staff member's revocation: their current token works again. Sessions open when they
-- were revoked ended then; any a login racing the revocation opened end now. Audited.
WITH target AS (
    UPDATE users SET revoked_at = NULL
    WHERE site_id = (SELECT id FROM sites WHERE slug = $1) AND username = $2
      AND revoked_at IS NOT NULL
    RETURNING id, site_id, username, role
), ended AS (
    DELETE FROM sessions x USING target t WHERE x.site_id = t.site_id AND x.user_id = t.id
), event AS (
    INSERT INTO staff_events (site_id, user_id, username, role, actor, action)
    SELECT site_id, id, username, role, 'operator', 'restored' FROM target
)
SELECT id FROM target;

-- Webhook networks one site may reach (moderation.egress; set by the operator only).

-- name: site_webhook_networks
SELECT webhook_networks FROM sites WHERE id = $1;

-- name: set_site_webhook_networks
-- Site $1 (by slug): its networks emptied first when $2, then $3 added (each once).
UPDATE sites SET webhook_networks = ARRAY(
    SELECT DISTINCT n FROM unnest(
        CASE WHEN $2 THEN '{}'::cidr[] ELSE webhook_networks END || $3::cidr[]
    ) AS n ORDER BY n
)
WHERE slug = $1
RETURNING id, webhook_networks;

-- name: migrations_table_exists
SELECT to_regclass('schema_migrations') IS NOT NULL;

-- name: report_comment
-- A reader's report relayed by the site: counted once per reader ($4, a keyed hash of their
-- address; null counts every time) and comment, unless the reader sent $6 reports in the
-- last hour; a published comment whose reports reach the site's threshold $5 (0: never) is
-- held, with its event and webhook row. No row when the comment is not in this site.
WITH target AS (
    SELECT id, thread, status, scores, reasons, model_version, report_count, public_body
    FROM comments
    WHERE site_id = $1 AND id = $2::uuid
    FOR UPDATE
), recent AS (
    SELECT count(*) AS n FROM comment_reports
    WHERE site_id = $1 AND $4::bytea IS NOT NULL AND reader_hash = $4::bytea
      AND created_at > now() - interval '1 hour'
), added AS (
    INSERT INTO comment_reports (site_id, comment_id, reason, reader_hash)
    SELECT $1, t.id, $3, $4::bytea FROM target t, recent r WHERE r.n < $6
    ON CONFLICT DO NOTHING
    RETURNING comment_id
), counted AS (
    UPDATE comments c
    SET report_count = c.report_count + 1,
        status = CASE WHEN c.status = 'published' AND $5::int > 0
                       AND c.report_count + 1 >= $5::int THEN 'pending' ELSE c.status END,
        updated_at = now()
    FROM added a
    WHERE c.site_id = $1 AND c.id = a.comment_id
    RETURNING c.id, c.report_count, c.status
), held AS (
    SELECT t.id, t.thread, t.scores, t.reasons, t.model_version, t.public_body
    FROM target t JOIN counted c ON c.id = t.id
    WHERE t.status = 'published' AND c.status = 'pending'
), in_force AS (
    SELECT max(version) AS policy_version FROM policies WHERE site_id = $1
), event AS (
    INSERT INTO comment_events (site_id, comment_id, actor, from_status, to_status, note,
                                policy_version)
    SELECT $1, h.id, 'readers', 'published', 'pending', NULL, i.policy_version
    FROM held h, in_force i
), outbox_row AS (
    INSERT INTO outbox (site_id, comment_id, event, payload)
    SELECT $1, h.id, 'comment.status_changed', jsonb_build_object(
        'event', 'comment.status_changed',
        'comment', jsonb_build_object(
            'id', h.id, 'thread', h.thread, 'status', 'pending', 'previous_status', 'published',
            'action', NULL, 'actor', 'readers', 'scores', h.scores,
            'reasons', to_jsonb(h.reasons), 'model_version', h.model_version,
            'policy_version', i.policy_version, 'public_body', h.public_body
        )
    )
    FROM held h, in_force i
)
SELECT t.id::text AS id, coalesce(c.report_count, t.report_count) AS report_count,
       coalesce(c.status, t.status) AS status, c.id IS NOT NULL AS counted,
       (SELECT n FROM recent) >= $6 AS limited,
       (t.status = 'published' AND c.status IS NOT DISTINCT FROM 'pending') AS held
FROM target t LEFT JOIN counted c ON c.id = t.id;

-- name: queue_reported
-- Keyset page of a site's reported comments whatever their status, most reports first, ties
-- by id (index comments_reported).
SELECT q.* FROM queue_items q
WHERE q.site_id = $1 AND q.report_count > 0
  AND ($5::text IS NULL OR q.thread = $5::text)
  AND ($2::int IS NULL OR q.report_count < $2::int
       OR (q.report_count = $2::int AND q.comment_id > $3::uuid))
ORDER BY q.report_count DESC, q.comment_id
LIMIT $4;

-- Per-site learning (moderation.usecases.adapting).

-- name: adapter_training
-- Each comment of site $1 whose latest event is a moderator's decision (a decision later
-- undone ends in an event without an action: no label), with who decided it (to weigh one
-- moderator's bulk decisions down) and the stored body; erased authors' comments are gone.
SELECT l.body, l.action, l.actor FROM (
    SELECT DISTINCT ON (e.comment_id) c.body, e.action, e.actor, e.id
    FROM comment_events e
    JOIN comments c ON c.site_id = e.site_id AND c.id = e.comment_id
    WHERE e.site_id = $1
    ORDER BY e.comment_id, e.id DESC
) l
WHERE l.action IS NOT NULL
ORDER BY l.id;

-- name: adapter_lock
-- One trainer per site across processes and hosts (held by the training's own connection).
SELECT pg_try_advisory_lock(hashtextextended('moderation.site_adapter:' || $1::bigint, 0));

-- name: adapter_unlock
SELECT pg_advisory_unlock(hashtextextended('moderation.site_adapter:' || $1::bigint, 0));

-- name: adapter_insert
-- The site's next adapter version; when adopted ($8) it becomes the current one and the audit
-- log says so (actor $3).
WITH next AS (
    SELECT coalesce(max(version), 0) + 1 AS version FROM site_adapters WHERE site_id = $1
), ins AS (
    INSERT INTO site_adapters (site_id, version, created_by, base_version, digest, arrays,
                               figures, decisions, adopted, state)
    SELECT $1, next.version, $3, $4, $5, $6, $7::jsonb, $2, $8,
           CASE WHEN $8 THEN 'adopted' ELSE 'not_better' END
    FROM next
    RETURNING version, created_at
), current AS (
    UPDATE sites s SET adapter_current = ins.version FROM ins WHERE s.id = $1 AND $8
), event AS (
    INSERT INTO site_adapter_events (site_id, actor, action, version)
    SELECT $1, $3, 'adopted', ins.version FROM ins WHERE $8
)
SELECT version, created_at FROM ins;

-- name: adapter_blob
SELECT arrays FROM site_adapters WHERE site_id = $1 AND version = $2;

-- name: adapter_state
SELECT s.adapter_current, s.adapter_pinned, s.adapter_enabled,
       (SELECT max(e.created_at) FROM comment_events e
        WHERE e.site_id = s.id AND e.action IS NOT NULL) AS last_decision_at,
       (SELECT count(*) FROM comment_events e
        WHERE e.site_id = s.id AND e.action IS NOT NULL
          AND e.created_at > coalesce((SELECT max(a.created_at) FROM site_adapters a
                                       WHERE a.site_id = s.id), '-infinity')) AS new_decisions,
       (SELECT max(a.created_at) FROM site_adapters a WHERE a.site_id = s.id) AS trained_at
FROM sites s WHERE s.id = $1;

-- name: adapter_history
-- Every version of site $1, newest first (without the arrays).
SELECT version, created_at, created_by, base_version, digest, figures, decisions, adopted, state
FROM site_adapters WHERE site_id = $1 ORDER BY version DESC LIMIT $2;

-- name: adapter_choose
-- The owner's choice for site $1: pin version $2 (null: follow the latest adopted), switch
-- it on or off ($3); each change recorded for the audit log (actor $4). Nothing when $2 names
-- no version of the site.
WITH ok AS (
    SELECT s.id, s.adapter_pinned, s.adapter_enabled FROM sites s
    WHERE s.id = $1 AND ($2::int IS NULL
                         OR EXISTS (SELECT 1 FROM site_adapters a
                                    WHERE a.site_id = $1 AND a.version = $2::int))
    FOR UPDATE
), upd AS (
    UPDATE sites s SET adapter_pinned = $2::int, adapter_enabled = $3
    FROM ok WHERE s.id = ok.id
), pin AS (
    INSERT INTO site_adapter_events (site_id, actor, action, version)
    SELECT $1, $4, CASE WHEN $2::int IS NULL THEN 'unpinned' ELSE 'pinned' END, $2::int
    FROM ok WHERE ok.adapter_pinned IS DISTINCT FROM $2::int
), onoff AS (
    INSERT INTO site_adapter_events (site_id, actor, action, version)
    SELECT $1, $4, CASE WHEN $3 THEN 'enabled' ELSE 'disabled' END, NULL
    FROM ok WHERE ok.adapter_enabled IS DISTINCT FROM $3
)
SELECT id FROM ok;

-- name: adapter_due_sites
-- Sites with at least $1 decisions since their last adapter, or with any since it and a last
-- adapter older than $2 seconds (or none): candidates for background training.
SELECT s.id FROM sites s
CROSS JOIN LATERAL (
    SELECT max(a.created_at) AS trained_at FROM site_adapters a WHERE a.site_id = s.id
) t
CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM (
        SELECT 1 FROM comment_events e
        WHERE e.site_id = s.id AND e.action IS NOT NULL
          AND e.created_at > coalesce(t.trained_at, '-infinity')
        LIMIT $1
    ) x
) d
WHERE d.n >= $1
   OR (d.n > 0 AND coalesce(t.trained_at, '-infinity') < now() - make_interval(secs => $2))
ORDER BY s.id
LIMIT 100;

-- The queue's counts, choices and live check; owners' staff management (issue 19).

-- name: queue_counts
-- One statement per page load and per live check of site $1: how many comments are in each
-- status and how many are reported, each count stopping at $2 (it reads at most that many
-- entries of index comments_site_status or comments_reported; the page shows "N+"); how many
-- comments matching the page ($4 status, $5 thread, $6 reason; with $7, comments reported)
-- came after $3 (none asked when null), and the database's time (the next check's $3).
SELECT
    (SELECT count(*) FROM (SELECT 1 FROM comments
        WHERE site_id = $1 AND status = 'pending' LIMIT $2) x) AS pending,
    (SELECT count(*) FROM (SELECT 1 FROM comments
        WHERE site_id = $1 AND status = 'published' LIMIT $2) x) AS published,
    (SELECT count(*) FROM (SELECT 1 FROM comments
        WHERE site_id = $1 AND status = 'rejected' LIMIT $2) x) AS rejected,
    (SELECT count(*) FROM (SELECT 1 FROM comments
        WHERE site_id = $1 AND status = 'spam' LIMIT $2) x) AS spam,
    (SELECT count(*) FROM (SELECT 1 FROM comments
        WHERE site_id = $1 AND report_count > 0 LIMIT $2) x) AS reported,
    CASE
        WHEN $3::timestamptz IS NULL THEN 0
        WHEN $7::boolean THEN (SELECT count(*) FROM (
            SELECT DISTINCT r.comment_id FROM comment_reports r
            JOIN comments c ON c.site_id = r.site_id AND c.id = r.comment_id
            WHERE r.site_id = $1 AND r.created_at > $3::timestamptz AND c.report_count > 0
              AND ($5::text IS NULL OR c.thread = $5::text)
            LIMIT $2) x)
        ELSE (SELECT count(*) FROM (SELECT 1 FROM comments
            WHERE site_id = $1 AND status = $4::text AND created_at > $3::timestamptz
              AND ($5::text IS NULL OR thread = $5::text)
              AND ($6::text IS NULL OR $6::text = ANY(reasons))
            LIMIT $2) x)
    END AS fresh,
    now() AS as_of;

-- name: thread_choices
-- The articles the thread filter offers ($2 at most): threads with pending comments (the
-- latest 1,000 of them, index comments_pending), then the latest the site described (index
-- threads_recent), each with its title when the site sent one.
WITH waiting AS (
    SELECT DISTINCT thread FROM (
        SELECT thread FROM comments WHERE site_id = $1 AND status = 'pending'
        ORDER BY created_at DESC LIMIT 1000
    ) p
), recent AS (
    SELECT thread FROM threads WHERE site_id = $1 ORDER BY updated_at DESC LIMIT $2
), chosen AS (
    SELECT thread, 0 AS rank FROM waiting
    UNION
    SELECT thread, 1 FROM recent
)
SELECT c.thread, t.title FROM (
    SELECT thread, min(rank) AS rank FROM chosen GROUP BY thread
) c
LEFT JOIN threads t ON t.site_id = $1 AND t.thread = c.thread
ORDER BY c.rank, t.title NULLS LAST, c.thread
LIMIT $2;

-- name: staff_invite
-- Owner $4 adds staff member $2 (role $3) to site $1, in one statement: the user (with a
-- token hash $5 nobody holds: they use a password), either the password hash $6 or a
-- one-time link (hash $7, valid $8 seconds), and the audit event.
WITH added AS (
    INSERT INTO users (site_id, username, role, token_hash, password_hash)
    VALUES ($1, $2, $3, $5, $6)
    RETURNING id, site_id, username, role
), link AS (
    INSERT INTO staff_links (site_id, user_id, token_hash, purpose, created_by, expires_at)
    SELECT site_id, id, $7::bytea, 'invite', $4, now() + make_interval(secs => $8)
    FROM added WHERE $7::bytea IS NOT NULL
    RETURNING expires_at
), event AS (
    INSERT INTO staff_events (site_id, user_id, username, role, actor, action, method)
    SELECT site_id, id, username, role, $4, 'invited',
           CASE WHEN $7::bytea IS NULL THEN 'password' ELSE 'link' END
    FROM added
)
SELECT a.id, (SELECT expires_at FROM link) AS expires_at FROM added a;

-- name: staff_revoke
-- Owner $3 revokes staff member $2 of site $1: their token and sessions stop at once, their
-- claims go back to the queue, and the audit event, in one statement.
WITH target AS (
    UPDATE users SET revoked_at = now()
    WHERE site_id = $1 AND username = $2 AND revoked_at IS NULL
    RETURNING id, site_id, username, role
), ended AS (
    DELETE FROM sessions x USING target t WHERE x.site_id = t.site_id AND x.user_id = t.id
), released AS (
    UPDATE comments c SET claimed_by = NULL, claim_expires_at = NULL
    FROM target t
    WHERE c.site_id = t.site_id AND c.status = 'pending' AND c.claimed_by = t.id
), event AS (
    INSERT INTO staff_events (site_id, user_id, username, role, actor, action)
    SELECT site_id, id, username, role, $3, 'revoked' FROM target
)
SELECT id FROM target;

-- name: staff_restore
-- Owner $3 lifts the revocation of staff member $2 of site $1, with the audit event; any
-- session a login racing the revocation opened ends.
WITH target AS (
    UPDATE users SET revoked_at = NULL
    WHERE site_id = $1 AND username = $2 AND revoked_at IS NOT NULL
    RETURNING id, site_id, username, role
), ended AS (
    DELETE FROM sessions x USING target t WHERE x.site_id = t.site_id AND x.user_id = t.id
), event AS (
    INSERT INTO staff_events (site_id, user_id, username, role, actor, action)
    SELECT site_id, id, username, role, $3, 'restored' FROM target
)
SELECT id FROM target;

-- name: staff_reset
-- Owner $3 resets the password of active staff member $2 of site $1: the old password stops
-- and their sessions end, earlier links stop working, a new one-time link (hash $4, valid
-- $5 seconds) and the audit event, in one statement.
WITH target AS (
    UPDATE users SET password_hash = NULL
    WHERE site_id = $1 AND username = $2 AND revoked_at IS NULL
    RETURNING id, site_id, username, role
), ended AS (
    DELETE FROM sessions x USING target t WHERE x.site_id = t.site_id AND x.user_id = t.id
), voided AS (
    UPDATE staff_links l SET expires_at = least(l.expires_at, now())
    FROM target t
    WHERE l.site_id = t.site_id AND l.user_id = t.id AND l.used_at IS NULL
), link AS (
    INSERT INTO staff_links (site_id, user_id, token_hash, purpose, created_by, expires_at)
    SELECT site_id, id, $4, 'reset', $3, now() + make_interval(secs => $5) FROM target
    RETURNING expires_at
), event AS (
    INSERT INTO staff_events (site_id, user_id, username, role, actor, action, method)
    SELECT site_id, id, username, role, $3, 'reset', 'link' FROM target
)
SELECT t.id, l.expires_at FROM target t, link l;

-- name: staff_link
-- A one-time link still usable (unused, unexpired, its user not revoked), by its hash; the
-- secret itself names the site, as a personal token does.
SELECT l.purpose, l.expires_at, u.username, u.role, s.slug AS site_slug
FROM staff_links l
JOIN users u ON u.site_id = l.site_id AND u.id = l.user_id
JOIN sites s ON s.id = l.site_id
WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > now()
  AND u.revoked_at IS NULL;

-- name: staff_link_use
-- Use a one-time link (hash $1) once: the user's password hash becomes $2, their other
-- links stop working, their sessions end, and the audit event; the staff member, or no
-- row when the link is used, expired or its user revoked (a concurrent use waits on the
-- row lock and then finds it used).
WITH used AS (
    UPDATE staff_links l SET used_at = now()
    FROM users u
    WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > now()
      AND u.site_id = l.site_id AND u.id = l.user_id AND u.revoked_at IS NULL
    RETURNING l.id, l.site_id, l.user_id
), target AS (
    UPDATE users u SET password_hash = $2
    FROM used
    WHERE u.site_id = used.site_id AND u.id = used.user_id
    RETURNING u.id, u.site_id, u.username, u.role
), others AS (
    UPDATE staff_links l SET expires_at = least(l.expires_at, now())
    FROM used
    WHERE l.site_id = used.site_id AND l.user_id = used.user_id AND l.id <> used.id
      AND l.used_at IS NULL
), ended AS (
    DELETE FROM sessions x USING target t WHERE x.site_id = t.site_id AND x.user_id = t.id
), event AS (
    INSERT INTO staff_events (site_id, user_id, username, role, actor, action, method)
    SELECT site_id, id, username, role, username, 'password_set', 'link' FROM target
)
SELECT t.id, t.site_id, s.slug AS site_slug, t.username, t.role
FROM target t JOIN sites s ON s.id = t.site_id;
