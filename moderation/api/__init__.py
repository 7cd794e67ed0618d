"""HTTP API: thin handlers per actor, one error middleware."""
