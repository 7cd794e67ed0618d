"""Per-site adapters in a running process: trained off the event loop, loaded once per
(site, version) and handed to the scorer with each comment of that site.

The adapter code is the classifiers package's (``classifiers.adapter``), loaded by name as the
model is: the service never imports the classifiers. A site's adapter version comes with the
site itself (the site cache, refreshed every MODERATION_SITE_CACHE_SECONDS), so a new or pinned
version, or switching it off, reaches every process and host within seconds; the stored
arrays are then read once per process and version.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import dataclass
from typing import Any, cast

from moderation.domain.models import Site
from moderation.domain.site_models import Examples, NewAdapter
from moderation.runtime.scoring import ADAPTER_MODULE, Adapted, Scorer, SiteAdapter
from moderation.store import Store

_MAX_ENTRIES = 1_000
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


def load(blob: bytes) -> SiteAdapter:
    """An adapter from its stored arrays (no pickle)."""
    return cast(SiteAdapter, _module().Adapter.from_bytes(blob))


class SiteAdapters:
    """Each site's adapter in use, loaded once per (site, version) in this process."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._loaded: dict[tuple[int, int], SiteAdapter | None] = {}
        self._loading: dict[tuple[int, int], asyncio.Task[SiteAdapter | None]] = {}

    async def of(self, site: Site) -> Adapted | None:
        """The adapter scoring the site's comments now, or None for the base model alone."""
        if site.adapter is None:
            return None
        key = (site.id, site.adapter)
        if key in self._loaded:
            found = self._loaded[key]
        else:
            task = self._loading.get(key)
            if task is None:
                task = asyncio.ensure_future(self._fetch(*key))
                self._loading[key] = task
                task.add_done_callback(lambda _: self._loading.pop(key, None))
            found = await asyncio.shield(task)
        return None if found is None else (found, site.adapter)

    async def _fetch(self, site_id: int, version: int) -> SiteAdapter | None:
        """Read and check a version's arrays; None (the base) when it cannot be used."""
        blob = await self._store.adapter_blob(site_id, version)
        adapter: SiteAdapter | None = None
        if blob is not None:
            try:
                adapter = await asyncio.get_running_loop().run_in_executor(None, load, blob)
            except Exception as exc:  # a damaged row must not stop intake
                log.error("site adapter unusable", extra={"site_id": site_id, "error": str(exc)})
        if len(self._loaded) >= _MAX_ENTRIES:
            self._loaded.clear()
        self._loaded[(site_id, version)] = adapter
        return adapter
