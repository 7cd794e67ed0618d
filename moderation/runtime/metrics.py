"""Prometheus metrics: one registry per application, and with several worker processes
(`moderation serve --workers N`) the sum over all of them, whichever worker is scraped."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

# prometheus-client's multiprocess mode: each process writes its values to files there
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

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
        self.intake_batch = Histogram(
            "moderation_intake_batch_size",
            "Comments per intake statement (group commit; 1: stored alone).",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=self.registry,
        )
        self.webhooks = Counter(
            "moderation_webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered, retry, failed, skipped).",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_failures = Counter(
            "moderation_webhook_failures",
            "Failed webhook delivery attempts by reason (refused, invalid_url, dns, connection,"
            " timeout, error, http_4xx, http_5xx, ...).",
            ["reason"],
            registry=self.registry,
        )
        self.webhook_seconds = Histogram(
            "moderation_webhook_seconds",
            "Time from sending a webhook to its HTTP answer.",
            buckets=(*_LATENCY_BUCKETS, 10.0),
            registry=self.registry,
        )
        self.adapter_bytes = Gauge(
            "moderation_site_adapter_bytes",
            "Memory the sites' adapters loaded for scoring hold (MODERATION_SITE_ADAPTER_MEMORY_MB"
            " caps it in each process).",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self.adapter_loads = Counter(
            "moderation_site_adapter_loads",
            "Sites' adapters read from the database: a new version, or one let go for memory"
            " and needed again (a fast rise: the memory cap is too small for the sites).",
            registry=self.registry,
        )

    def observe_batch(self, size: int, seconds: float) -> None:
        """Record one scoring batch."""
        self.scoring.observe(seconds)
        self.batch_size.observe(size)

    def render(self) -> bytes:
        """The text exposition format: every process's values summed in multiprocess mode."""
        directory = os.environ.get(MULTIPROC_DIR)
        if directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)


@contextlib.contextmanager
def shared_by_processes() -> Iterator[Path]:
    """A fresh directory where the processes forked inside write their metrics, so that any
    of them answers /metrics with the sums of all (counters never seem to reset between
    scrapes); removed at exit. Call before any metric exists: the parent creates none."""
    with tempfile.TemporaryDirectory(prefix="moderation-metrics-") as directory:
        before = os.environ.get(MULTIPROC_DIR)
        os.environ[MULTIPROC_DIR] = directory
        # prometheus-client picks how values are kept when it is imported (already done)
        values.ValueClass = values.get_value_class()
        try:
            yield Path(directory)
        finally:
            if before is None:
                os.environ.pop(MULTIPROC_DIR, None)
            else:
                os.environ[MULTIPROC_DIR] = before
            values.ValueClass = values.get_value_class()


def process_exited(pid: int) -> None:
    """Bookkeeping for a worker that exited (its counts stay in the sums)."""
    if MULTIPROC_DIR in os.environ:
        mark_process_dead(pid)
