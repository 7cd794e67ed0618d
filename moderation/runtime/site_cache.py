"""A short-lived per-process cache of sites, so intake costs one database round trip.

A site (with its latest policy) is trusted for `ttl` seconds (MODERATION_SITE_CACHE_SECONDS,
1 s by default): that bounds how long a policy change takes to reach every process. Word
lists are compiled once per (site, policy version), in a worker thread so a long list does not
hold the event loop, and kept while that version is current.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import TypeVar

from moderation.domain.credentials import hash_key
from moderation.domain.models import Site
from moderation.domain.terms import Terms
from moderation.store import Store

_MAX_ENTRIES = 10_000
K = TypeVar("K")


class SiteCache:
    """Sites by key hash and by slug, each entry trusted for `ttl` seconds."""

    def __init__(self, store: Store, ttl: float) -> None:
        self._store = store
        self._ttl = ttl
        self._by_key: dict[bytes, tuple[float, Site]] = {}
        self._by_slug: dict[str, tuple[float, Site]] = {}
        self._terms: dict[int, tuple[int, Terms]] = {}
        self._compiling: dict[tuple[int, int], asyncio.Future[Terms]] = {}
        # Requests that miss at once share one look-up (at 1,000 comments/s every expiry
        # would otherwise send dozens of identical queries).
        self._loading: dict[object, asyncio.Future[Site | None]] = {}

    async def by_key(self, key: str) -> Site | None:
        """The site owning a site key; None for an unknown key (never cached)."""
        digest = hash_key(key)
        hit = self._fresh(self._by_key.get(digest))
        if hit is None:
            hit = await self._once(("key", digest), lambda: self._store.site_by_key(digest))
            self._remember(self._by_key, digest, hit)
        return hit

    async def by_slug(self, slug: str) -> Site | None:
        """The site with this slug; None when there is none."""
        hit = self._fresh(self._by_slug.get(slug))
        if hit is None:
            hit = await self._once(("slug", slug), lambda: self._store.site_by_slug(slug))
            self._remember(self._by_slug, slug, hit)
        return hit

    async def _once(
        self, key: object, fetch: Callable[[], Coroutine[object, object, Site | None]]
    ) -> Site | None:
        """fetch(), or the result of the same fetch already under way.

        The fetch runs as its own task, so a caller that is cancelled does not cancel the
        others' answer."""
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(fetch())
            self._loading[key] = task
            task.add_done_callback(lambda done: self._settled(key, done))
        return await asyncio.shield(task)

    def _settled(self, key: object, task: asyncio.Future[Site | None]) -> None:
        """Forget a finished look-up; its error, if any, went to whoever awaited it."""
        self._loading.pop(key, None)
        if not task.cancelled():
            task.exception()  # marks it retrieved even when every caller left

    async def terms(self, site: Site) -> Terms:
        """The site's word lists compiled, once per policy version, off the event loop.

        Requests that need a version being compiled wait for that one compilation."""
        policy = site.policy
        entry = self._terms.get(site.id)
        if entry is not None and entry[0] == policy.version:
            return entry[1]
        if not policy.blocked_terms and not policy.watched_terms:
            compiled = Terms()
        else:
            key = (site.id, policy.version)
            task = self._compiling.get(key)
            if task is None:
                lists = (policy.blocked_terms, policy.watched_terms)
                task = asyncio.get_running_loop().run_in_executor(None, Terms, *lists)
                self._compiling[key] = task
                task.add_done_callback(lambda _: self._compiling.pop(key, None))
            compiled = await asyncio.shield(task)
        if len(self._terms) >= _MAX_ENTRIES:
            self._terms.clear()
        current = self._terms.get(site.id)
        if current is None or current[0] <= policy.version:
            self._terms[site.id] = (policy.version, compiled)
        return compiled

    def forget(self, site_id: int) -> None:
        """Drop the site's entries: its next request reads it again (a change announced by
        another process, e.g. a new adapter version)."""
        _drop(self._by_key, site_id)
        _drop(self._by_slug, site_id)

    def clear(self) -> None:
        """Drop every entry (announcements may have been missed)."""
        self._by_key.clear()
        self._by_slug.clear()

    def _fresh(self, entry: tuple[float, Site] | None) -> Site | None:
        """The cached site unless its entry expired."""
        if entry is None or time.monotonic() - entry[0] > self._ttl:
            return None
        return entry[1]

    def _remember(self, table: dict[K, tuple[float, Site]], key: K, site: Site | None) -> None:
        """Cache a found site, dropping everything when the table grows too big."""
        if site is None or self._ttl <= 0:
            return
        if len(table) >= _MAX_ENTRIES:
            table.clear()
        table[key] = (time.monotonic(), site)


def _drop(table: dict[K, tuple[float, Site]], site_id: int) -> None:
    """Remove a site's entries from a table."""
    for k in [k for k, (_, site) in table.items() if site.id == site_id]:
        table.pop(k, None)
