"""A running app scores with one BLAS thread (moderation.app's scoring context)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import numpy  # noqa: F401  (BLAS loaded, as the shipped model loads it)
from aiohttp.test_utils import TestClient
from threadpoolctl import threadpool_info, threadpool_limits

from moderation.app import create_app
from moderation.settings import Settings
from tests.conftest import auth, comment
from tests.standin import KeywordScorer

Client = Callable[..., Awaitable[TestClient]]


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


async def test_scoring_uses_one_blas_thread_while_the_app_runs(
    aiohttp_client: Client, settings: Settings, scorer: KeywordScorer, site_key: str
) -> None:
    # a second BLAS thread spins on a core another worker, PostgreSQL or the client needs
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == {2}
        client = await aiohttp_client(create_app(settings, lambda: scorer))
        assert blas_threads() == {1}
        answer = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
        assert answer.status == 201
        await client.close()  # the app's cleanup gives the process its threads back
        assert blas_threads() == {2}


async def test_a_custom_scorer_may_have_more_blas_threads(
    aiohttp_client: Client, settings: Settings, scorer: KeywordScorer
) -> None:
    more = settings.model_copy(update={"scoring_blas_threads": 3})
    with threadpool_limits(limits=2, user_api="blas"):
        client = await aiohttp_client(create_app(more, lambda: scorer))
        assert blas_threads() == {3}
        await client.close()
        assert blas_threads() == {2}
