"""What a running process holds: the scorer and its reloads, the site cache, the webhook worker,
rate limiters, metrics and logs."""
