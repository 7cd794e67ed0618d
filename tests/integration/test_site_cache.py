"""The per-process site cache over the real store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from unittest import mock

import asyncpg
import pytest

from moderation import admin
from moderation.domain.credentials import hash_key
from moderation.domain.models import Policy, Site
from moderation.runtime.site_cache import SiteCache
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
    key = await admin.add_site(dsn, 5, "news")
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
    key = await admin.add_site(dsn, 5, "news")
    cache = SiteCache(store, ttl=60)
    first = await cache.by_key(key)
    await new_policy_version(db, "news")
    assert await cache.by_key(key) == first  # still the cached version
    assert (await SiteCache(store, ttl=0).by_key(key)).policy.version == 2  # type: ignore[union-attr]


class CountingStore(Store):
    """The real store, counting site look-ups."""

    lookups = 0

    async def site_by_key(self, key_hash: bytes) -> Site | None:
        self.lookups += 1
        return await super().site_by_key(key_hash)


async def test_concurrent_misses_share_one_lookup(dsn: str) -> None:
    key = await admin.add_site(dsn, 5, "news")
    async with create_pool(dsn, 1, 2, 5) as pool:
        counting = CountingStore(pool, 5)
        cache = SiteCache(counting, ttl=60)
        found = await asyncio.gather(*(cache.by_key(key) for _ in range(20)))
        assert counting.lookups == 1
        assert {site.slug for site in found if site} == {"news"} and None not in found
        assert await cache.by_key("sk_unknown") is None
        assert counting.lookups == 2


async def test_a_policy_version_is_parsed_once(
    store: Store, dsn: str, db: asyncpg.Connection
) -> None:
    key = await admin.add_site(dsn, 5, "news")
    first = await store.site_by_key(hash_key(key))
    again = await store.site_by_key(hash_key(key))
    assert first is not None and again is not None and again.policy is first.policy
    await new_policy_version(db, "news")
    changed = await store.site_by_key(hash_key(key))
    assert changed is not None and changed.policy.version == 2 and changed.policy.max_links == 3


async def test_the_current_policy_is_read_each_time_and_parsed_once_per_version(
    store: Store, dsn: str, db: asyncpg.Connection
) -> None:
    await admin.add_site(dsn, 5, "news")
    site = await store.site_by_slug("news")
    assert site is not None
    first = await store.current_policy(site.id)
    assert await store.current_policy(site.id) is first  # same version: not parsed again
    await new_policy_version(db, "news")
    newer = await store.current_policy(site.id)  # no cache in the way of a new version
    assert newer.version == 2 and newer.max_links == 3
    assert await store.current_policy(site.id) is newer
    # the held version replaced (by the site cache) while its query ran: the query left the
    # body out, so it is read again rather than taken as an empty policy
    query = store._fetchrow

    async def replaced_meanwhile(name: str, *args: object) -> asyncpg.Record | None:
        row = await query(name, *args)
        store._policies[site.id] = first
        return row

    with mock.patch.object(store, "_fetchrow", replaced_meanwhile):
        assert (await store.current_policy(site.id)).max_links == 3
