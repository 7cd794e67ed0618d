"""Loading a new model without a restart, in this process and in every other one.

A reload asked of one process (SIGHUP, or POST /v1/sites/{site}/model/reload) loads the model
again from where it came from (MODERATION_MODEL_DIR's CURRENT, or MODERATION_SCORER) and swaps
it in. The endpoint then NOTIFYs a PostgreSQL channel that every service process, on every
host, LISTENs to on a connection of its own, so they all reload too (unless their model
directory still names the version they have). A process that lost that connection does the
same when it gets it back, in case it missed a notification.

The same connection carries other channels' notifications (``also``): a site's adapter
version, for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable

import orjson

from moderation.domain.errors import ModelLoadFailed
from moderation.runtime.scoring import BatchScorer, ModelDirectory, Scorer
from moderation.store import Store, listening

CHANNEL = "moderation_model_reload"
RECONNECT_SECONDS = (1.0, 30.0)  # first wait, longest wait
log = logging.getLogger("moderation.reloads")


class ModelReloads:
    """Reloads this process's model and tells the other processes to reload theirs."""

    def __init__(self, scorer: BatchScorer, load: Callable[[], Scorer], store: Store) -> None:
        self.scorer = scorer
        self._load = load
        self._store = store
        self.origin = uuid.uuid4().hex  # this process, to ignore its own notifications
        self._tasks: set[asyncio.Task[None]] = set()
        self._reloading = asyncio.Lock()
        self._more: dict[str, Callable[[str], None]] = {}
        self._resyncs: list[Callable[[], None]] = []

    def also(
        self, channel: str, handler: Callable[[str], None], resync: Callable[[], None]
    ) -> None:
        """Before ``running``: call handler(payload) for each notification on ``channel``
        too, and resync() after a reconnection (a notification may have been missed)."""
        self._more[channel] = handler
        self._resyncs.append(resync)

    async def here(self, why: str) -> tuple[str, str]:
        """Reload in this process; (new version, previous version)."""
        try:
            version, previous = await self.scorer.reload(self._load)
        except ModelLoadFailed as exc:
            log.error("model reload failed", extra={"why": why, "error": str(exc)[:500]})
            raise
        log.info("model reloaded", extra={"why": why, "version": version, "previous": previous})
        return version, previous

    async def everywhere(self, why: str) -> tuple[str, str]:
        """Reload here, then ask every other process to reload; (new, previous) here.

        The model is shared by every site, and any site's owner may ask: when the model
        directory still names the loaded version nothing is loaded or announced, and requests
        arriving during a reload wait for it instead of starting another.
        """
        async with self._reloading:
            if self._unchanged():
                return self.scorer.version, self.scorer.version
            version, previous = await self.here(why)
            message = orjson.dumps({"origin": self.origin, "version": version}).decode()
            await self._store.notify(CHANNEL, message)
            return version, previous

    def soon(self, why: str, if_changed: bool = False) -> None:
        """Reload in the background (a signal handler or a notification cannot wait).

        With `if_changed`, skip it when the model directory still names the loaded version.
        """
        task = asyncio.get_running_loop().create_task(self._quietly(why, if_changed))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Wait for the background reloads started so far."""
        await asyncio.gather(*self._tasks)

    def _unchanged(self) -> bool:
        """The model directory names the version already loaded."""
        named = self._load.named() if isinstance(self._load, ModelDirectory) else None
        return named is not None and named == self.scorer.version

    async def _quietly(self, why: str, if_changed: bool) -> None:
        """Reload, the old model kept on failure (already logged)."""
        if if_changed and self._unchanged():
            return
        with contextlib.suppress(ModelLoadFailed):
            await self.here(why)

    def notified(self, payload: str) -> None:
        """A notification on the channel: reload unless this process sent it."""
        try:
            origin = orjson.loads(payload).get("origin")
        except (orjson.JSONDecodeError, AttributeError):
            origin = None
        if origin != self.origin:
            self.soon("notified", if_changed=True)

    async def listen(self, dsn: str) -> None:
        """LISTEN on the channel for as long as the process runs, reconnecting when needed."""
        wait, longest = RECONNECT_SECONDS
        connected_before = False
        while True:
            lost = asyncio.Event()
            try:
                async with listening(dsn, CHANNEL, self.notified, lost.set, self._more):
                    if connected_before:
                        self.soon("reconnected", if_changed=True)  # a notice may have been missed
                        for resync in self._resyncs:
                            resync()
                    connected_before, wait = True, RECONNECT_SECONDS[0]
                    await lost.wait()
            except Exception as exc:  # unreachable, refused, dropped: try again later
                log.warning("reload listener disconnected", extra={"error": type(exc).__name__})
            await asyncio.sleep(wait)
            wait = min(wait * 2, longest)

    @contextlib.asynccontextmanager
    async def running(self, dsn: str) -> AsyncIterator[None]:
        """The listener in the background; it and any reload under way cancelled on exit."""
        listener = asyncio.create_task(self.listen(dsn))
        try:
            yield
        finally:
            tasks = (listener, *self._tasks)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
