-- Claims must not walk past comments other moderators hold: with thousands under live leases
-- at the head of comments_pending, every claim scanned them all. Split the pending queue into
-- what nobody holds (oldest first) and what is held (by lease end, so lapsed leases come first).

CREATE INDEX comments_pending_unclaimed
    ON comments (site_id, created_at, id) WHERE status = 'pending' AND claimed_by IS NULL;
CREATE INDEX comments_pending_claimed
    ON comments (site_id, claim_expires_at, id) WHERE status = 'pending' AND claimed_by IS NOT NULL;
