"""A process's cache of sites' adapters: what it keeps in memory."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, cast

import pytest
from prometheus_client.parser import text_string_to_metric_families

from moderation.runtime import site_adapters
from moderation.runtime.metrics import Metrics
from moderation.runtime.site_adapters import SiteAdapters


class Blobs:
    """The store's adapter rows: every (site, version) has one."""

    def __init__(self) -> None:
        self.read: list[tuple[int, int]] = []

    async def adapter_blob(self, site_id: int, version: int) -> bytes:
        self.read.append((site_id, version))
        return f"{site_id}:{version}".encode()


async def test_a_sites_new_version_replaces_its_old_one_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each adoption loads a new version (a site learning in the background adopts every
    few hours); it holds up to 1.6 MB, so a site's older versions are let go as a newer one
    loads, and other sites' stay."""
    monkeypatch.setattr(
        site_adapters, "load", lambda blob, model: SimpleNamespace(blob=blob, nbytes=1)
    )
    store = Blobs()
    cache = SiteAdapters(cast(Any, store))

    async def scored_with(site_id: int, version: int) -> bytes:
        found = await cache.of(cast(Any, SimpleNamespace(id=site_id, adapter=version)))
        assert found is not None and found[1] == version
        return cast(bytes, cast(Any, found[0]).blob)

    assert await scored_with(1, 1) == b"1:1"
    assert await scored_with(2, 5) == b"2:5"
    assert await scored_with(1, 2) == b"1:2"
    assert await scored_with(1, 2) == b"1:2"  # kept: read once
    assert sorted(cache._loaded) == [(1, 2), (2, 5)]
    assert store.read == [(1, 1), (2, 5), (1, 2)]


class Weighed:
    """Loads each version as an adapter of 2 MB."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.store = Blobs()
        monkeypatch.setattr(
            site_adapters, "load", lambda blob, model: SimpleNamespace(blob=blob, nbytes=2 << 20)
        )

    async def scored(self, cache: SiteAdapters, site_id: int, version: int = 1) -> None:
        found = await cache.of(cast(Any, SimpleNamespace(id=site_id, adapter=version)))
        assert found is not None and cast(Any, found[0]).blob == f"{site_id}:{version}".encode()


async def test_adapters_are_kept_within_the_memory_budget_least_recently_scored_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each adapted site's adapter holds up to 1.6 MB in every process: hundreds of sites
    would take gigabytes. Past the budget, the site that scored least recently is let go;
    it is read again, from the database, when it next scores."""
    w = Weighed(monkeypatch)
    cache = SiteAdapters(cast(Any, w.store), budget_bytes=6 << 20)  # three of 2 MB
    for site in (1, 2, 3):
        await w.scored(cache, site)
    assert cache.nbytes == 6 << 20
    await w.scored(cache, 1)  # site 1 is now the most recent: site 2 the least
    await w.scored(cache, 4)
    assert [k[0] for k in cache._loaded] == [3, 1, 4] and cache.nbytes == 6 << 20
    await w.scored(cache, 2)  # read again; 3 goes
    assert [k[0] for k in cache._loaded] == [1, 4, 2]
    assert w.store.read == [(1, 1), (2, 1), (3, 1), (4, 1), (2, 1)]


async def test_one_adapter_over_the_budget_still_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A budget below one adapter's size keeps the newest alone: its site scores with it."""
    w = Weighed(monkeypatch)
    cache = SiteAdapters(cast(Any, w.store), budget_bytes=1 << 20)
    await w.scored(cache, 1)
    await w.scored(cache, 1)
    await w.scored(cache, 2)
    assert list(cache._loaded) == [(2, 1)] and cache.nbytes == 2 << 20
    assert w.store.read == [(1, 1), (2, 1)]


async def test_the_memory_held_and_the_loads_are_in_the_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Operators see the memory and how often adapters are read again (a budget too small
    for the sites in use shows as loads that keep rising)."""
    w = Weighed(monkeypatch)
    metrics = Metrics()
    cache = SiteAdapters(cast(Any, w.store), budget_bytes=4 << 20, metrics=metrics)
    for site in (1, 2, 3, 1):
        await w.scored(cache, site)
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for sample in family.samples
    }
    assert values["moderation_site_adapter_bytes"] == 4 << 20
    assert values["moderation_site_adapter_loads_total"] == 4


class Readied:
    """A stored adapter: records the model it was readied for, and on which thread."""

    def __init__(self) -> None:
        self.nbytes = 1
        self.readied: list[tuple[object, int]] = []

    def prepare(self, model: object) -> None:
        self.readied.append((model, threading.get_ident()))


async def test_a_loaded_adapter_is_readied_for_the_model_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building an adapter's scoring table takes a few milliseconds; done at its first
    comment, on the event loop (where short batches are scored), it would stall every
    request of the process: it is done as the adapter loads, in an executor, for the model
    scoring then (a reload's new model included)."""
    made: list[Readied] = []

    def from_bytes(blob: bytes) -> Readied:
        made.append(Readied())
        return made[-1]

    monkeypatch.setattr(site_adapters, "_module", lambda: SimpleNamespace(
        Adapter=SimpleNamespace(from_bytes=from_bytes)))  # fmt: skip
    models = ["model v1"]
    cache = SiteAdapters(cast(Any, Blobs()), model=lambda: cast(Any, models[-1]))
    await cache.of(cast(Any, SimpleNamespace(id=1, adapter=1)))
    models.append("model v2")
    await cache.of(cast(Any, SimpleNamespace(id=2, adapter=1)))
    loop_thread = threading.get_ident()
    assert [r[0][0] for r in (m.readied for m in made)] == ["model v1", "model v2"]
    assert all(r[0][1] != loop_thread for r in (m.readied for m in made))
