"""Group commit (moderation.store.batches): comments waiting together go in one statement, and
each pitfall of one statement for many rows is handled. Every test queues its comments in one
turn of the event loop (asyncio.gather), so the first flush finds them all waiting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from moderation.domain import privacy, terms
from moderation.domain.errors import DatabaseUnavailable, Flooded
from moderation.domain.models import (
    CommentIn,
    CommentOut,
    Decision,
    Duplicates,
    Flood,
    Policy,
    Signals,
    Site,
)
from moderation.store import CommentRow, Store, create_pool

SECRET = b"group-commit"


@dataclass
class Env:
    store: Store
    site_id: int


@pytest.fixture(params=[1, 2], ids=["one statement", "two statements"])
async def env(dsn: str, request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    """Each test runs with one intake statement in flight at a time and with two."""
    async with create_pool(dsn, 1, 6, 10) as pool:
        store = Store(pool, 10, intake_statements=request.param)
        site_id = await store.create_site("gc", b"k" * 32, Policy())
        yield Env(store, site_id)
        await store.batches.drain()


def words(i: int) -> str:
    """A word per number: fingerprints ignore digits."""
    return "".join("abcdefghij"[int(d)] for d in str(i)) + "x"


def row(
    site: Site,
    i: int,
    *,
    email: str | None = None,
    ip: str | None = None,
    body: str | None = None,
    key: str | None = None,
    status: Any = "published",
    title: str | None = None,
) -> CommentRow:
    """A comment; by default a new author, address and text each."""
    comment = CommentIn(
        thread="t", name=f"User {i}", email=email or f"u{i}@example.com",
        body=body or f"Bình luận {words(i)} về bài viết hôm nay", author_ip=ip or f"10.1.{i}.7",
        thread_title=title,
    )  # fmt: skip
    private = privacy.protect(comment, SECRET, key)
    dup = site.policy.duplicates
    fp = terms.fingerprint(private.body, dup.min_length) if dup.max_copies else None
    decision = Decision.model_construct(status=status, reasons=("spam:hold",))
    return CommentRow(site, private, {"spam": 0.1}, decision, Signals(), "m1", fp)


def site_of(env: Env, policy: Policy) -> Site:
    return Site(id=env.site_id, slug="gc", policy=policy)


@asynccontextmanager
async def holding(dsn: str, hot: CommentRow) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Another transaction holding the lock of the row's one counted key (its /24), as a busy
    comment elsewhere would; yields what ends that transaction."""
    holder = await asyncpg.connect(dsn)
    try:
        tx = holder.transaction()
        await tx.start()
        [key] = hot.lock_keys()
        await holder.execute("SELECT pg_advisory_xact_lock($1)", key)
        yield tx.rollback
    finally:
        await holder.close()


async def store_all(store: Store, rows: list[CommentRow]) -> list[object]:
    """Each row's answer (or error), stored concurrently."""
    return await asyncio.gather(*(store.insert_comment(r) for r in rows), return_exceptions=True)


async def test_one_waiting_comment_uses_the_single_statement(
    env: Env, db: asyncpg.Connection
) -> None:
    site = site_of(env, Policy(version=1))
    saved = await env.store.insert_comment(row(site, 1, title="Bài báo"))
    assert saved is not None and saved[1]
    assert env.store.batches.sizes == {1: 1}
    # the thread's title was stored by the same statement (save_thread folded in)
    assert await db.fetchval("SELECT title FROM threads WHERE thread = 't'") == "Bài báo"


async def test_answers_match_their_rows_whatever_order_the_database_returns(
    env: Env, db: asyncpg.Connection
) -> None:
    site = site_of(env, Policy(version=1))
    # keyed rows in reverse key order, unkeyed ones in between: the statement inserts them in
    # key order (nulls last) and returns them in its own order
    rows = [row(site, i, key=f"k{9 - i}" if i % 2 else None) for i in range(10)]
    answers = await store_all(env.store, rows)
    assert env.store.batches.sizes[10] == 1 and env.store.batches.retried_alone == 0
    for r, answer in zip(rows, answers, strict=True):
        assert isinstance(answer, tuple)
        out: CommentOut = answer[0]
        stored = await db.fetchrow(
            "SELECT body, idempotency_key FROM comments WHERE id = $1::uuid", out.id
        )
        assert stored["body"] == r.comment.body
        assert stored["idempotency_key"] == r.comment.idempotency_key
    assert await db.fetchval("SELECT count(*) FROM comment_events") == 10


async def test_the_same_idempotency_key_twice_goes_to_the_next_batch(
    env: Env, db: asyncpg.Connection
) -> None:
    site = site_of(env, Policy(version=1))
    rows = [row(site, i, key="same" if i < 6 else None) for i in range(10)]
    answers = await store_all(env.store, rows)
    assert env.store.batches.retried_alone == 0  # no batch failed on the repeated key
    assert all(isinstance(a, tuple) for a in answers)
    same = [a for a in answers[:6] if isinstance(a, tuple)]
    assert len({out.id for out, _ in same}) == 1
    assert [created for _, created in same].count(True) == 1
    assert await db.fetchval("SELECT count(*) FROM comments WHERE idempotency_key = 'same'") == 1
    assert await db.fetchval("SELECT count(*) FROM comments") == 5


async def test_flood_limits_hold_exactly_inside_one_batch(env: Env, db: asyncpg.Connection) -> None:
    site = site_of(env, Policy(version=1, flood=Flood(per_author=3, per_ip=4)))
    by_author = [row(site, i, email="busy@example.com") for i in range(8)]
    by_ip = [row(site, 100 + i, ip=f"10.9.9.{i}") for i in range(8)]
    answers = await store_all(env.store, by_author + by_ip)
    assert max(env.store.batches.sizes) > 1 and env.store.batches.retried_alone == 0
    stored = [isinstance(a, tuple) for a in answers]
    assert stored[:8].count(True) == 3
    assert stored[8:].count(True) == 4
    assert all(isinstance(a, Flooded) for a, ok in zip(answers, stored, strict=True) if not ok)
    assert await db.fetchval("SELECT count(*) FROM comments") == 7


async def test_duplicate_copies_are_counted_exactly_inside_one_batch(
    env: Env, db: asyncpg.Connection
) -> None:
    site = site_of(env, Policy(version=1, duplicates=Duplicates(max_copies=2)))
    same = "Mua ngay hàng giảm giá tại cửa hàng của chúng tôi hôm nay"
    rows = [row(site, i, body=same if i % 2 else None) for i in range(12)]
    answers = await store_all(env.store, rows)
    assert max(env.store.batches.sizes) > 1 and env.store.batches.retried_alone == 0
    statuses = [a[0].status for a in answers[1::2] if isinstance(a, tuple)]
    assert sorted(statuses) == ["pending"] * 4 + ["published"] * 2
    held = "SELECT count(*) FROM comments WHERE 'duplicate:hold' = ANY(reasons)"
    assert await db.fetchval(held) == 4


async def test_a_hot_key_held_elsewhere_does_not_hold_the_rest_of_the_batch(
    env: Env, dsn: str
) -> None:
    site = site_of(env, Policy(version=1, flood=Flood(per_ip=100)))
    hot = row(site, 0, ip="10.7.7.7")
    others = [row(site, i) for i in range(1, 6)]
    async with holding(dsn, hot) as release:
        tasks = [asyncio.ensure_future(env.store.insert_comment(r)) for r in [hot, *others]]
        done, _ = await asyncio.wait(tasks[1:], timeout=30)
        assert len(done) == 5 and all(t.result() for t in done)
        assert not tasks[0].done()  # still waiting for its /24
        await release()
        assert await asyncio.wait_for(tasks[0], 30) is not None


async def test_one_bad_row_fails_alone(env: Env, db: asyncpg.Connection) -> None:
    site = site_of(env, Policy(version=1))
    rows = [row(site, i, status="bogus" if i == 2 else "published") for i in range(5)]
    answers = await store_all(env.store, rows)
    assert env.store.batches.retried_alone == 1
    assert isinstance(answers[2], asyncpg.CheckViolationError)
    assert all(isinstance(a, tuple) for i, a in enumerate(answers) if i != 2)
    assert await db.fetchval("SELECT count(*) FROM comments") == 4


async def test_a_client_going_away_cancels_nothing(env: Env, db: asyncpg.Connection) -> None:
    site = site_of(env, Policy(version=1))
    tasks = [asyncio.ensure_future(env.store.insert_comment(row(site, i))) for i in range(6)]
    await asyncio.sleep(0)  # all queued, the flush started
    tasks[0].cancel()  # the request whose arrival started the flush
    tasks[3].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [isinstance(r, asyncio.CancelledError) for r in results].count(True) == 2
    await env.store.batches.drain()
    assert await db.fetchval("SELECT count(*) FROM comments") == 6


async def test_a_lost_connection_is_unavailable_for_every_row_and_the_retry_is_safe(
    env: Env, db: asyncpg.Connection, dsn: str
) -> None:
    site = site_of(env, Policy(version=1))
    rows = [row(site, i, key=f"lost-{i}") for i in range(4)]
    blocker = await asyncpg.connect(dsn)
    try:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("LOCK TABLE comments IN EXCLUSIVE MODE")  # inserts wait
        pending = asyncio.gather(
            *(env.store.insert_comment(r) for r in rows), return_exceptions=True
        )
        waiting = (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        for _ in range(300):
            if await db.fetch(waiting):
                break
            await asyncio.sleep(0.1)
        answers = await pending
        assert all(isinstance(a, DatabaseUnavailable) and a.retry_after for a in answers)
        await tx.rollback()
    finally:
        await blocker.close()
    retried = await store_all(env.store, rows)
    assert all(isinstance(a, tuple) and a[1] for a in retried)
    assert await db.fetchval("SELECT count(*) FROM comments") == 4


async def test_a_batch_writes_events_for_every_comment_and_outbox_rows_only_with_a_webhook(
    env: Env, db: asyncpg.Connection
) -> None:
    plain = site_of(env, Policy(version=1))
    await store_all(env.store, [row(plain, i) for i in range(5)])
    hooked = site_of(env, Policy(version=2, webhook_url="https://example.vn/hook"))
    await store_all(env.store, [row(hooked, 10 + i) for i in range(5)])
    assert env.store.batches.sizes == {5: 2}
    assert await db.fetchval("SELECT count(*) FROM comment_events") == 10
    outbox = await db.fetch("SELECT state, payload FROM outbox")
    assert [r["state"] for r in outbox] == ["pending"] * 5
    payloads = [json.loads(r["payload"])["comment"] for r in outbox]
    assert {p["policy_version"] for p in payloads} == {2}
    # each event carries the copy readers may see, as the single statement's do
    assert sorted(p["public_body"] for p in payloads) == sorted(
        row(hooked, 10 + i).comment.public_body for i in range(5)
    )


async def test_two_processes_batches_of_the_same_keys_never_deadlock(
    env: Env, dsn: str, db: asyncpg.Connection
) -> None:
    """Two hosts' batches holding the same idempotency keys (a client's retries reaching both)
    take them in one order, so neither waits for the other in a cycle (a deadlock would abort
    one batch, which would then be retried row by row). A third transaction holding the
    middle key makes both batches stop half-way, each holding the keys it took first."""
    site = site_of(env, Policy(version=1))
    keys = [f"k{i:02}" for i in range(20)]
    async with create_pool(dsn, 1, 2, 10) as pool:
        other = Store(pool, 10)
        blocker = await asyncpg.connect(dsn)
        try:
            await blocker.set_type_codec(
                "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )
            tx = blocker.transaction()
            await tx.start()
            middle = row(site, 99, key="k10")
            await blocker.fetch(env.store.query("insert_comment"), *middle.params())
            ours = [row(site, i, key=k) for i, k in enumerate(keys)]
            theirs = [row(site, 100 + i, key=k) for i, k in enumerate(reversed(keys))]
            both = asyncio.gather(store_all(env.store, ours), store_all(other, theirs))
            waiting = (
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            for _ in range(300):
                if await db.fetchval(waiting) >= 2:
                    break
                await asyncio.sleep(0.05)
            await tx.rollback()
            a, b = await both
        finally:
            await blocker.close()
    assert env.store.batches.retried_alone == other.batches.retried_alone == 0
    assert all(isinstance(x, tuple) for x in [*a, *b])
    ids = {k: x[0].id for k, x in zip(keys, a, strict=True) if isinstance(x, tuple)}
    again = {k: x[0].id for k, x in zip(keys[::-1], b, strict=True) if isinstance(x, tuple)}
    assert again == ids
    assert await db.fetchval("SELECT count(*) FROM comments") == 20


async def test_authors_rules_apply_inside_a_batch(env: Env, db: asyncpg.Connection) -> None:
    """Ban, premoderate and trust, set by moderators, apply to batched comments as to single
    ones (the batched statement once left them out)."""
    site = site_of(env, Policy(version=1))
    rows = [row(site, i, status="pending" if i == 2 else "published") for i in range(8)]
    for i, rule in ((0, "ban"), (1, "premoderate"), (2, "trust")):
        await db.execute(
            "INSERT INTO author_rules (site_id, email_hash, rule, set_by)"
            " VALUES ($1, $2, $3, 'lan')",
            env.site_id, rows[i].comment.email_hash, rule,
        )  # fmt: skip
    answers = await store_all(env.store, rows)
    assert max(env.store.batches.sizes) > 1 and env.store.batches.retried_alone == 0
    stored = []
    for answer in answers:
        assert isinstance(answer, tuple)
        stored.append(
            await db.fetchrow(
                "SELECT status, reasons, signals->>'author_rule' AS rule FROM comments"
                " WHERE id = $1::uuid",
                answer[0].id,
            )
        )
    assert [s["status"] for s in stored[:4]] == ["rejected", "pending", "published", "published"]
    assert "author_banned:reject" in stored[0]["reasons"]
    assert "author_premoderated:hold" in stored[1]["reasons"]
    assert "author_trusted:publish" in stored[2]["reasons"]
    assert [s["rule"] for s in stored[:4]] == ["ban", "premoderate", "trust", None]


async def test_with_two_statements_a_comment_does_not_wait_for_the_one_in_flight(
    dsn: str,
) -> None:
    """intake_statements=2: a comment arriving while another's statement waits (here for a /24
    another transaction holds; in production for its commit's flush to disk) is stored by a
    statement of its own at once, not queued behind it."""
    async with create_pool(dsn, 1, 6, 10) as pool:
        store = Store(pool, 10, intake_statements=2)
        site = Site(
            id=await store.create_site("gc2", b"k" * 32, Policy()),
            slug="gc2",
            policy=Policy(version=1, flood=Flood(per_ip=100)),
        )
        first, second = row(site, 0, ip="10.7.7.7"), row(site, 1)
        try:
            async with holding(dsn, first) as release:
                waiting = asyncio.ensure_future(store.insert_comment(first))
                await asyncio.sleep(0.2)  # its statement is in flight, waiting for the lock
                assert await asyncio.wait_for(store.insert_comment(second), 10) is not None
                assert not waiting.done()
                await release()
                assert await asyncio.wait_for(waiting, 30) is not None
        finally:
            await store.batches.drain()
        assert store.batches.sizes == {1: 2}
