-- Per-site learning (issue 22): each site's adapters over the shared model, trained on its
-- moderators' decisions, versioned per site; which one scores the site's comments; and which
-- adapter scored each comment (model_version stays the base model's version).

CREATE TABLE site_adapters (
    site_id       bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    base_version  text NOT NULL,
    digest        text NOT NULL,
    -- the adapter as numpy arrays (np.savez, read with allow_pickle=False) with its JSON
    -- metadata inside; figures: the training report (per label: decisions, base and adapted
    -- out-of-fold ROC AUC, adopted)
    arrays        bytea NOT NULL,
    figures       jsonb NOT NULL,
    decisions     integer NOT NULL CHECK (decisions >= 0),
    adopted       boolean NOT NULL,
    state         text NOT NULL CHECK (state IN ('adopted', 'not_better')),
    PRIMARY KEY (site_id, version)
);

-- The owner's choices and adoptions, for the audit log.
CREATE TABLE site_adapter_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL CHECK (action IN ('adopted', 'pinned', 'unpinned', 'enabled', 'disabled')),
    version     integer
);

CREATE INDEX site_adapter_events_site ON site_adapter_events (site_id, created_at);

-- adapter_current: the latest adopted version; adapter_pinned: the owner's choice (a roll
-- back), which wins; adapter_enabled false: the site scores with the base model alone.
ALTER TABLE sites
    ADD COLUMN adapter_current  integer,
    ADD COLUMN adapter_pinned   integer,
    ADD COLUMN adapter_enabled  boolean NOT NULL DEFAULT true;

ALTER TABLE comments ADD COLUMN adapter_version integer;
