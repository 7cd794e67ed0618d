"""The pure domain: models, policy, privacy, term lists, previews and stats; no I/O."""
