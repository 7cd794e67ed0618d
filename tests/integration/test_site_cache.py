"""The per-process site cache over the real store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from moderation import commands
from moderation.credentials import hash_key
from moderation.models import Policy
from moderation.sites import SiteCache
from moderation.store import Store, create_pool


@pytest.fixture
async def store(dsn: str) -> AsyncIterator[Store]:
    async with create_pool(dsn, 1, 2, 5) as pool:
        yield Store(pool, 5)


async def new_policy_version(db: asyncpg.Connection, slug: str) -> None:
    body = Policy(max_links=3).model_dump_json(exclude={"version"})
    await db.execute(
        "INSERT INTO policies (site_id, version, body)"
        " SELECT id, 2, $2::jsonb FROM sites WHERE slug = $1",
        slug, body,
    )  # fmt: skip


async def test_sites_by_key_and_slug_with_current_policy(
    store: Store, dsn: str, db: asyncpg.Connection
) -> None:
    key = await commands.add_site(dsn, 5, "news")
    cache = SiteCache(store, ttl=0)
    site = await cache.by_key(key)
    assert site is not None and site.slug == "news" and site.policy.version == 1
    assert site.policy == Policy(version=1)
    assert await cache.by_key("sk_unknown") is None
    await new_policy_version(db, "news")
    fresh = await cache.by_slug("news")
    assert fresh is not None and (fresh.policy.version, fresh.policy.max_links) == (2, 3)
    assert await store.site_by_key(hash_key(key)) == fresh


async def test_entries_live_for_their_ttl(store: Store, dsn: str, db: asyncpg.Connection) -> None:
    key = await commands.add_site(dsn, 5, "news")
    cache = SiteCache(store, ttl=60)
    first = await cache.by_key(key)
    await new_policy_version(db, "news")
    assert await cache.by_key(key) == first  # still the cached version
    assert (await SiteCache(store, ttl=0).by_key(key)).policy.version == 2  # type: ignore[union-attr]
