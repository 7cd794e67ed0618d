"""Prometheus metrics, one registry per application (per worker process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Counters and histograms the service exports at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "moderation_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "moderation_http_request_seconds",
            "HTTP request latency by route.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "moderation_decisions",
            "Comments stored, by the status the policy gave them.",
            ["status"],
            registry=self.registry,
        )
        self.scoring = Histogram(
            "moderation_scoring_seconds",
            "Time to score one batch of comments.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "moderation_scoring_batch_size",
            "Comments per scoring batch.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
        self.webhooks = Counter(
            "moderation_webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered, retry, failed, skipped).",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_seconds = Histogram(
            "moderation_webhook_seconds",
            "Time from sending a webhook to its HTTP answer.",
            buckets=(*_LATENCY_BUCKETS, 10.0),
            registry=self.registry,
        )

    def observe_batch(self, size: int, seconds: float) -> None:
        """Record one scoring batch."""
        self.scoring.observe(seconds)
        self.batch_size.observe(size)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
