"""A process's cache of sites' adapters: what it keeps in memory."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from moderation.runtime import site_adapters
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
    few hours); its scoring table is a megabyte or two, so a site's older versions are let
    go as a newer one loads, and other sites' stay."""
    monkeypatch.setattr(site_adapters, "load", lambda blob: SimpleNamespace(blob=blob))
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
