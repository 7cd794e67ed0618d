"""Per-site adapters in a running process: trained off the event loop, loaded once per
(site, version) and handed to the scorer with each comment of that site.

The adapter code is the classifiers package's (``classifiers.adapter``), loaded by name as the
model is: the service never imports the classifiers. A site's adapter version comes with the
site itself (the site cache). A new, pinned or switched-off version is announced on a
PostgreSQL channel (``CHANNEL``) that every process LISTENs to on the model-reload
connection: each drops the site from its cache and reads the new version's arrays at once,
so every process and host scores with it within a second or so, whatever
MODERATION_SITE_CACHE_SECONDS says (the cache's expiry still catches a missed announcement;
a reconnected listener drops the whole cache). The stored arrays are read once per process
and version, and kept within a memory budget (MODERATION_SITE_ADAPTER_MEMORY_MB): past it,
the sites that scored least recently are let go, and read again when they next score.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson

from moderation.domain.models import Site
from moderation.domain.site_models import Examples, NewAdapter
from moderation.runtime.metrics import Metrics
from moderation.runtime.scoring import ADAPTER_MODULE, Adapted, Scorer, SiteAdapter
from moderation.runtime.site_cache import SiteCache
from moderation.store import Store

CHANNEL = "moderation_site_adapter"  # payload: {"site_id": 1, "adapter": 3 or null}
_MAX_ENTRIES = 10_000  # also a cap on entries: an unusable version (None) weighs nothing
log = logging.getLogger("moderation.site_adapters")


def _module() -> Any:
    """classifiers.adapter, imported by name."""
    return importlib.import_module(ADAPTER_MODULE)


@dataclass(frozen=True)
class Trained:
    """What one training produced: the adapter to store and its report."""

    new: NewAdapter
    report: dict[str, Any]


def train(model: Scorer, data: Examples, actor: str) -> Trained:
    """Train a site's adapter on its decisions (CPU work: run it in an executor)."""
    module = _module()
    training = module.train_adapter(model, data.texts, data.labels, data.actors)
    report = cast(dict[str, Any], training.report())
    new = NewAdapter(
        decisions=len(data.texts),
        actor=actor,
        base_version=model.version,
        digest=str(training.adapter.version),
        arrays=training.adapter.to_bytes(),
        figures=report,
        adopted=bool(training.adopt),
    )
    return Trained(new, report)


def load(blob: bytes, model: Scorer | None = None) -> SiteAdapter:
    """An adapter from its stored arrays (no pickle), ready to score with ``model`` (CPU
    work: a few milliseconds, which the first comment would otherwise wait on the event
    loop; run it in an executor)."""
    adapter = cast(SiteAdapter, _module().Adapter.from_bytes(blob))
    if model is not None:
        adapter.prepare(model)
    return adapter


class SiteAdapters:
    """Each site's adapter in use, loaded once per (site, version) in this process."""

    def __init__(
        self,
        store: Store,
        sites: SiteCache | None = None,
        budget_bytes: int = 256 << 20,
        metrics: Metrics | None = None,
        model: Callable[[], Scorer] | None = None,
    ) -> None:
        self._store = store
        self._sites = sites
        self._model = model  # the model scoring now, which a loaded adapter is readied for
        self._budget = budget_bytes
        self._metrics = metrics
        # least recently scored first; and the bytes they hold (SiteAdapter.nbytes)
        self._loaded: OrderedDict[tuple[int, int], SiteAdapter | None] = OrderedDict()
        self._bytes = 0
        self._loading: dict[tuple[int, int], asyncio.Task[SiteAdapter | None]] = {}

    async def announce(self, site_id: int) -> None:
        """Tell every process (this one too) which version now scores the site."""
        row = await self._store.adapter_state(site_id)
        adapter = row["adapter_pinned"] or row["adapter_current"]
        in_use = adapter if row["adapter_enabled"] else None
        await self._store.notify(
            CHANNEL, orjson.dumps({"site_id": site_id, "adapter": in_use}).decode()
        )

    def notified(self, payload: str) -> None:
        """An announcement: forget the cached site, load the version now in use."""
        try:
            message = orjson.loads(payload)
            site_id, adapter = int(message["site_id"]), message.get("adapter")
            version = None if adapter is None else int(adapter)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("unreadable site adapter notice")
            return
        if self._sites is not None:
            self._sites.forget(site_id)
        if version is not None:
            self._load_soon(site_id, version)

    def resync(self) -> None:
        """After a lost connection: every site is read again."""
        if self._sites is not None:
            self._sites.clear()

    async def of(self, site: Site) -> Adapted | None:
        """The adapter scoring the site's comments now, or None for the base model alone."""
        if site.adapter is None:
            return None
        key = (site.id, site.adapter)
        if key in self._loaded:
            self._loaded.move_to_end(key)
            found = self._loaded[key]
        else:
            found = await asyncio.shield(self._load_soon(*key))
        return None if found is None else (found, site.adapter)

    def _load_soon(self, site_id: int, version: int) -> asyncio.Future[SiteAdapter | None]:
        """The version's loading, started unless it is loaded or under way."""
        key = (site_id, version)
        if key in self._loaded:
            done: asyncio.Future[SiteAdapter | None] = asyncio.get_running_loop().create_future()
            done.set_result(self._loaded[key])
            return done
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(*key))
            self._loading[key] = task
            task.add_done_callback(lambda t: self._settled(key, t))
        return task

    def _settled(self, key: tuple[int, int], task: asyncio.Task[SiteAdapter | None]) -> None:
        """Forget a finished loading; an error (the database away) is logged, not raised
        where nobody waits."""
        self._loading.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.warning("site adapter not loaded", extra={"site_id": key[0]})

    async def _fetch(self, site_id: int, version: int) -> SiteAdapter | None:
        """Read and check a version's arrays; None (the base) when it cannot be used."""
        blob = await self._store.adapter_blob(site_id, version)
        adapter: SiteAdapter | None = None
        if blob is not None:
            try:
                model = None if self._model is None else self._model()
                loop = asyncio.get_running_loop()
                adapter = await loop.run_in_executor(None, load, blob, model)
            except Exception as exc:  # a damaged row must not stop intake
                log.error("site adapter unusable", extra={"site_id": site_id, "error": str(exc)})
        self._keep((site_id, version), adapter)
        if self._metrics is not None:
            self._metrics.adapter_loads.inc()
        return adapter

    def _keep(self, key: tuple[int, int], adapter: SiteAdapter | None) -> None:
        """Keep a loaded version: the site's other versions go (an adoption makes them idle),
        then the least recently scored sites until the rest fits the budget (the newest stays,
        even alone over it)."""
        for old in [k for k in self._loaded if k[0] == key[0]]:
            self._drop(old)
        self._loaded[key] = adapter
        self._bytes += _size(adapter)
        while len(self._loaded) > 1 and (
            self._bytes > self._budget or len(self._loaded) > _MAX_ENTRIES
        ):
            self._drop(next(iter(self._loaded)))
        if self._metrics is not None:
            self._metrics.adapter_bytes.set(self._bytes)

    def _drop(self, key: tuple[int, int]) -> None:
        self._bytes -= _size(self._loaded.pop(key))

    @property
    def nbytes(self) -> int:
        """The memory the loaded adapters hold."""
        return self._bytes


def _size(adapter: SiteAdapter | None) -> int:
    return 0 if adapter is None else int(adapter.nbytes)
