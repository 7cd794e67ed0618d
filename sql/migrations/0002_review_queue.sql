-- The review queue: claims with leases on comments, the top score for sorting, and the
-- moderator's action on each event (the label the feedback loop learns from).

ALTER TABLE comments
    ADD COLUMN claimed_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN claim_expires_at  timestamptz,
    ADD COLUMN top_score         double precision GENERATED ALWAYS AS (GREATEST(
        COALESCE((scores ->> 'spam')::double precision, 0),
        COALESCE((scores ->> 'abuse')::double precision, 0),
        COALESCE((scores ->> 'hate')::double precision, 0)
    )) STORED;

-- Highest score first; the oldest-first order uses comments_pending from 0001.
CREATE INDEX comments_pending_score
    ON comments (site_id, top_score DESC, id) WHERE status = 'pending';

ALTER TABLE comment_events ADD COLUMN action text
    CHECK (action IN ('approve', 'reject', 'spam', 'not_spam'));
