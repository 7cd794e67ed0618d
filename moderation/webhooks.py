"""The webhook worker: leases due outbox events, POSTs them signed, records each attempt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import aiohttp

from moderation.errors import DatabaseUnavailable
from moderation.metrics import Metrics
from moderation.outbox import Attempt, OutboxItem, backoff
from moderation.settings import Settings
from moderation.store import Store

log = logging.getLogger("moderation.webhooks")


class WebhookWorker:
    """Delivers outbox events of every site; any number may run in any number of processes."""

    def __init__(
        self, store: Store, settings: Settings, metrics: Metrics, session: aiohttp.ClientSession
    ) -> None:
        self._store = store
        self._settings = settings
        self._metrics = metrics
        self._session = session
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
        """Sleep until woken or until the next poll."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._settings.webhook_poll_seconds)
        self._wake.clear()

    async def _deliver(self, item: OutboxItem) -> None:
        """One attempt at one event, then its outcome recorded."""
        attempt = await self._post(item) if item.url else Attempt(outcome="skipped")
        s = self._settings
        retry_in = backoff(item.attempts, s.webhook_backoff_seconds, s.webhook_backoff_cap_seconds)
        try:
            outcome = await self._store.settle_outbox(
                item, attempt, retry_in, s.webhook_max_age_seconds
            )
        except DatabaseUnavailable:
            return  # the lease runs out and the event is tried again
        if outcome is not None:
            self._metrics.webhooks.labels(outcome).inc()

    async def _post(self, item: OutboxItem) -> Attempt:
        """POST the signed body; any 2xx acknowledges, anything else is retried."""
        assert item.url is not None
        body = item.body()
        started = time.perf_counter()
        timeout = aiohttp.ClientTimeout(total=self._settings.webhook_timeout_seconds)
        try:
            async with self._session.post(
                item.url,
                data=body,
                headers=item.headers(body),
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return _failed(started, f"{type(exc).__name__}: {exc}"[:500])
        seconds = time.perf_counter() - started
        self._metrics.webhook_seconds.observe(seconds)
        outcome = "delivered" if 200 <= status < 300 else "retry"
        return Attempt(outcome=outcome, http_status=status, duration_ms=seconds * 1000)


def _failed(started: float, error: str) -> Attempt:
    """An attempt that got no HTTP answer."""
    return Attempt(outcome="retry", error=error, duration_ms=(time.perf_counter() - started) * 1e3)


@contextlib.asynccontextmanager
async def running(
    store: Store, settings: Settings, metrics: Metrics
) -> AsyncIterator[WebhookWorker]:
    """A worker delivering in the background (unless MODERATION_WEBHOOKS=false) until exit."""
    async with aiohttp.ClientSession(headers={"User-Agent": "moderation-webhooks/1"}) as session:
        worker = WebhookWorker(store, settings, metrics, session)
        task = asyncio.create_task(worker.run()) if settings.webhooks else None
        try:
            yield worker
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
