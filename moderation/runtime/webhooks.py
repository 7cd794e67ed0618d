"""The webhook worker: leases due outbox events, POSTs them signed, records each attempt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import aiohttp

from moderation.domain.errors import DatabaseUnavailable, InvalidField
from moderation.domain.outbox import Attempt, OutboxItem, backoff
from moderation.domain.targets import UnsafeTarget, literal, parse, refused_address
from moderation.runtime.egress import Clients, check_url, failure_reason, refused_message
from moderation.runtime.metrics import Metrics
from moderation.settings import Settings
from moderation.store import Store

log = logging.getLogger("moderation.webhooks")


class WebhookWorker:
    """Delivers outbox events of every site; any number may run in any number of processes."""

    def __init__(
        self, store: Store, settings: Settings, metrics: Metrics, clients: Clients
    ) -> None:
        self._store = store
        self._settings = settings
        self._metrics = metrics
        self._clients = clients
        self._wake = asyncio.Event()
        # longer than one attempt can take, so a live worker never loses its lease
        self._lease = 3 * settings.webhook_timeout_seconds + 5

    def wake(self) -> None:
        """Look for due events now rather than at the next poll (new events were written)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; a database outage only delays delivery."""
        while True:
            try:
                busy = await self.run_once()
            except DatabaseUnavailable as exc:
                log.warning("webhooks: database unavailable (%s)", exc)
                busy = 0
            except Exception:  # a bug must not stop delivery for good; the leases protect rows
                log.exception("webhooks: unexpected error")
                busy = 0
            if busy < self._settings.webhook_batch:
                await self._idle()

    async def run_once(self) -> int:
        """Lease one batch of due events and deliver them concurrently; how many."""
        items = await self._store.lease_outbox(self._settings.webhook_batch, self._lease)
        done = await asyncio.gather(*(self._deliver(i) for i in items), return_exceptions=True)
        for failure in (d for d in done if isinstance(d, Exception)):
            # the event's lease lapses and it is tried again
            log.error("webhooks: delivery crashed", exc_info=failure)
        return len(items)

    async def _idle(self) -> None:
        """Sleep until woken or until the next poll.

        asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
        arrives as the event is set (a wake() just before shutdown), and the worker then ran
        on and held up the application's cleanup.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._settings.webhook_poll_seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _deliver(self, item: OutboxItem) -> None:
        """One attempt at one event, then its outcome recorded (and a failure logged)."""
        attempt = await self._post(item) if item.url else Attempt(outcome="skipped")
        s = self._settings
        retry_in = backoff(item.attempts, s.webhook_backoff_seconds, s.webhook_backoff_cap_seconds)
        try:
            outcome = await self._store.settle_outbox(
                item, attempt, retry_in, s.webhook_max_age_seconds
            )
        except DatabaseUnavailable:
            outcome = None  # the lease runs out and the event is tried again
        if outcome is not None:
            self._metrics.webhooks.labels(outcome).inc()
        if attempt.reason is not None:
            self._failed(item, attempt, outcome)

    def _failed(self, item: OutboxItem, attempt: Attempt, outcome: str | None) -> None:
        """One log line and one count per failed attempt: ids and a reason, never the URL."""
        assert attempt.reason is not None
        self._metrics.webhook_failures.labels(attempt.reason).inc()
        log.warning(
            "webhook delivery failed",
            extra={
                "site": item.site,
                "event_id": str(item.event_id),
                "attempt": item.attempts,
                "reason": attempt.reason,
                "http_status": attempt.http_status,
                "error_type": attempt.error_type,
                "next": outcome or "unrecorded",
            },
        )

    async def _post(self, item: OutboxItem) -> Attempt:
        """POST the signed body; any 2xx acknowledges, anything else is retried."""
        assert item.url is not None
        started = time.perf_counter()
        allowed = (*self._settings.webhook_allowed_networks, *item.networks)
        try:  # the URL as stored may predate today's checks: parse it as aiohttp will
            url = parse(item.url)
        except UnsafeTarget as exc:
            return _failed(started, "invalid_url", f"webhook_url {exc}")
        address = literal(url.raw_host or "")
        if address is not None and refused_address(address, allowed):
            return _failed(started, "refused", refused_message(address))
        body = item.body()
        timeout = aiohttp.ClientTimeout(total=self._settings.webhook_timeout_seconds)
        try:
            async with self._clients.session(allowed).post(
                url,
                data=body,
                headers=item.headers(body),
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            kind = type(exc).__name__
            return _failed(started, failure_reason(exc), f"{kind}: {exc}"[:500], kind)
        seconds = time.perf_counter() - started
        self._metrics.webhook_seconds.observe(seconds)
        if 200 <= status < 300:
            return Attempt(outcome="delivered", http_status=status, duration_ms=seconds * 1000)
        return Attempt(
            outcome="retry",
            http_status=status,
            duration_ms=seconds * 1000,
            reason=f"http_{status // 100}xx",
        )


def _failed(started: float, reason: str, error: str, error_type: str | None = None) -> Attempt:
    """An attempt that got no HTTP answer."""
    ms = (time.perf_counter() - started) * 1e3
    return Attempt(
        outcome="retry", error=error, duration_ms=ms, reason=reason, error_type=error_type
    )


@contextlib.asynccontextmanager
async def running(
    store: Store, settings: Settings, metrics: Metrics
) -> AsyncIterator[WebhookWorker]:
    """A worker delivering in the background (unless MODERATION_WEBHOOKS=false) until exit."""
    async with Clients() as clients:
        worker = WebhookWorker(store, settings, metrics, clients)
        task = asyncio.create_task(worker.run()) if settings.webhooks else None
        try:
            yield worker
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def check_webhook_url(
    store: Store, settings: Settings, site_id: int, url: str | None
) -> None:
    """InvalidField("webhook_url") when this site's webhooks may not reach the URL's host
    (the deployment's and the site's allowed networks apply, as at delivery)."""
    if url is None:
        return
    allowed = (*settings.webhook_allowed_networks, *await store.site_webhook_networks(site_id))
    reason = await check_url(url, allowed)
    if reason is not None:
        raise InvalidField("webhook_url", reason)
