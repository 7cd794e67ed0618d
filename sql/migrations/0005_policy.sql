-- Site owners' policy: what each policy version changed (for the audit log), the text
-- fingerprint duplicate detection counts, and indexes for the per-author, per-IP and
-- per-fingerprint counts insert_comment makes, and for stats and previews by time.

ALTER TABLE policies ADD COLUMN changes jsonb;
ALTER TABLE comments ADD COLUMN fingerprint bytea;

-- Replaces (site_id, email_hash): the same look-ups, plus "this author's recent comments".
DROP INDEX comments_author;
CREATE INDEX comments_author ON comments (site_id, email_hash, created_at);
CREATE INDEX comments_ip ON comments (site_id, ip_prefix, created_at) WHERE ip_prefix IS NOT NULL;
-- Fingerprints are stored only while a site's duplicate detection is on.
CREATE INDEX comments_fingerprint
    ON comments (site_id, fingerprint, created_at) WHERE fingerprint IS NOT NULL;
CREATE INDEX comments_recent ON comments (site_id, created_at);
