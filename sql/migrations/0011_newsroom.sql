-- What a news site's moderation desk needs: the article a comment belongs to (title and
-- address, the latest a website sent), readers' reports, and the queue's view of both.

CREATE TABLE threads (
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    thread      text NOT NULL,
    title       text CHECK (length(title) <= 500),
    url         text CHECK (length(url) <= 2000),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, thread)
);

-- One row per report a reader sent through the site; the reader only as a keyed hash of
-- their address (never the address), for the per-reader limit.
CREATE TABLE comment_reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    comment_id  uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 50),
    reader_hash bytea,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One report per reader per comment (reports without a reader are all counted).
CREATE UNIQUE INDEX comment_reports_once ON comment_reports (site_id, comment_id, reader_hash);
CREATE INDEX comment_reports_reader ON comment_reports (site_id, reader_hash, created_at)
    WHERE reader_hash IS NOT NULL;

-- Counted on the comment, so the "Reported" view sorts by an index, not an aggregate.
ALTER TABLE comments ADD COLUMN report_count integer NOT NULL DEFAULT 0;
CREATE INDEX comments_reported ON comments (site_id, report_count DESC, id)
    WHERE report_count > 0;

-- The queue's view, with the article and the comment replied to (new columns go last).
CREATE OR REPLACE VIEW queue_items AS
SELECT c.site_id, c.id AS comment_id, c.id::text AS id, c.thread, c.author_name AS name,
       c.body, c.public_body, c.email_masked, c.status, c.scores, c.reasons,
       c.model_version, c.policy_version,
       CASE WHEN c.claim_expires_at > now() THEN u.username END AS claimed_by,
       CASE WHEN c.claim_expires_at > now() THEN c.claim_expires_at END AS claim_expires_at,
       c.created_at, c.top_score, a.author_history,
       t.title AS thread_title, t.url AS thread_url, c.parent_id::text AS parent_id,
       p.author_name AS parent_name, left(p.public_body, 300) AS parent_excerpt,
       c.report_count
FROM comments c
LEFT JOIN users u ON u.site_id = c.site_id AND u.id = c.claimed_by
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
