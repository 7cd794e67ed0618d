"""The webhook worker: leases due outbox events, POSTs them signed, records each attempt."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import time
from collections.abc import AsyncIterator, Sequence
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from moderation.domain.errors import DatabaseUnavailable
from moderation.domain.outbox import Attempt, OutboxItem, backoff
from moderation.runtime.metrics import Metrics
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
        host = urlsplit(item.url).hostname or ""
        try:  # an IP literal never reaches the resolver, so it is checked here
            refused = refused_address(host, self._settings.webhook_allowed_networks)
        except ValueError:
            refused = False  # a name: PublicResolver checks what it resolves to
        if refused:
            return _failed(started, f"{host} is an address webhooks may not reach")
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


Network = IPv4Network | IPv6Network


def refused_address(address: str, allowed: Sequence[Network]) -> bool:
    """Whether a webhook may not connect to this IP address: anything not public (loopback,
    private, link-local such as cloud metadata, shared, reserved, multicast), unless it is in
    an allowed network. ValueError when it is not an IP address."""
    ip = ip_address(address.split("%", 1)[0])  # no IPv6 zone
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allowed):
        return False
    return not ip.is_global or ip.is_multicast


class PublicResolver(AbstractResolver):
    """Resolves webhook hosts and refuses them when any address is not public: the connection
    is made to exactly the addresses checked here, so DNS rebinding cannot slip past."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self._inner = ThreadedResolver()
        self._allowed = tuple(allowed)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The host's addresses, or OSError (a failed attempt) when one is not public."""
        found = await self._inner.resolve(host, port, family)
        if any(refused_address(r["host"], self._allowed) for r in found):
            raise OSError(errno.EACCES, f"{host} resolves to an address webhooks may not reach")
        return found

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()


def _failed(started: float, error: str) -> Attempt:
    """An attempt that got no HTTP answer."""
    return Attempt(outcome="retry", error=error, duration_ms=(time.perf_counter() - started) * 1e3)


@contextlib.asynccontextmanager
async def running(
    store: Store, settings: Settings, metrics: Metrics
) -> AsyncIterator[WebhookWorker]:
    """A worker delivering in the background (unless MODERATION_WEBHOOKS=false) until exit."""
    resolver = PublicResolver(settings.webhook_allowed_networks)
    connector = aiohttp.TCPConnector(resolver=resolver)  # IP literals skip it: see _post
    headers = {"User-Agent": "moderation-webhooks/1"}
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(resolver.close)
        session = await stack.enter_async_context(
            aiohttp.ClientSession(connector=connector, headers=headers)
        )
        worker = WebhookWorker(store, settings, metrics, session)
        task = asyncio.create_task(worker.run()) if settings.webhooks else None
        try:
            yield worker
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
