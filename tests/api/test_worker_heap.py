"""A worker's startup objects are frozen out of the collector's walk (moderation.server)."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.server import settle_heap
from moderation.settings import Settings
from tests.conftest import auth, comment
from tests.standin import KeywordScorer

Client = Callable[..., Awaitable[TestClient]]


async def test_full_collections_walk_only_what_requests_left_behind(
    aiohttp_client: Client, settings: Settings, scorer: KeywordScorer, site_key: str
) -> None:
    app = create_app(settings, lambda: scorer)
    app.on_startup.append(settle_heap)
    try:
        client = await aiohttp_client(app)
        # everything built so far (the app, its model, this test process) sits frozen: a full
        # collection no longer walks it
        frozen = gc.get_freeze_count()
        assert frozen > 50_000
        answer = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
        assert answer.status == 201
        walked = len(gc.get_objects())
        assert walked < frozen / 10, (walked, frozen)
    finally:
        gc.unfreeze()  # the next tests' objects are collected as usual
