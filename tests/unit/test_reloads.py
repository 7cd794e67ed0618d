"""Which notifications make a process reload its model."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import orjson

from moderation.runtime.reloads import ModelReloads
from moderation.runtime.scoring import BatchScorer, ModelDirectory, Scorer
from moderation.store import Store
from tests.standin import KeywordScorer


class Versioned(KeywordScorer):
    def __init__(self, version: str) -> None:
        super().__init__()
        self.version = version


class CountingDirectory(ModelDirectory):
    """A model directory whose loads are counted (each gives the version CURRENT names)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.loads = 0

    def __call__(self) -> Scorer:
        self.loads += 1
        return Versioned(self.named() or "none")


def notice(origin: str) -> str:
    return orjson.dumps({"origin": origin, "version": "whatever"}).decode()


async def test_notifications_reload_only_what_changed(tmp_path: Path) -> None:
    (tmp_path / "CURRENT").write_text("v1\n")
    load = CountingDirectory(tmp_path)
    with ThreadPoolExecutor(1) as pool:
        scorer = BatchScorer(load(), pool, 8)
        reloads = ModelReloads(scorer, load, cast(Store, None))
        reloads.notified(notice(reloads.origin))  # its own: nothing
        reloads.notified(notice("another process"))  # CURRENT still names v1: nothing
        await reloads.settled()
        assert (load.loads, scorer.version) == (1, "v1")
        (tmp_path / "CURRENT").write_text("v2\n")
        reloads.notified(notice("another process"))
        await reloads.settled()
        assert (load.loads, scorer.version) == (2, "v2")
        reloads.notified("not json")  # from anyone: reload if changed
        await reloads.settled()
        assert load.loads == 2
        assert await reloads.here("asked") == ("v2", "v2")  # asked for: always reloads
        assert load.loads == 3
