"""Cost of storing a comment (insert_comment, and with flood or duplicate rules on the
function that takes the advisory locks and then runs it) with each of the policy's history
rules on.

Run: ``DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres
python bench/bench_intake_sql.py [--comments 1000] [--baseline ../main/sql/queries.sql]``

Makes a scratch database next to DATABASE_URL's, migrates it, stores 3,000 comments and
ANALYZEs (a live table has statistics), then stores comments one after another through one
pooled connection, each a new author, IP and text (issue 8), and prints mean and p99 per
statement with the rules off, each rule alone, all on, and with --baseline the insert_comment
of another checkout (e.g. main, before the rules) on the same database. Commits do not wait
for the WAL flush (synchronous_commit off on the bench's connection), so the figures are the
statement's own cost, not the disk's. The scratch database is dropped at the end.

``--writers 64`` (issue 21) measures instead what PostgreSQL spends per comment with that many
concurrent writers and every rule on (flood per author and per /24, duplicates,
premoderation, trust): first each writer running the single statement on a connection of its
own (as before group commit), then the same writers through the store's group commit
(moderation.store.batches, over a pool of --pool connections). The CPU is the PostgreSQL
backends' own, read from /proc/<pid>/stat (utime + stime) of the pool's connections before and
after each run, so other databases on a shared machine do not count; it prints comments/s,
backend CPU ms per comment, client (Python) CPU ms per comment, and the batch sizes. Commits
are durable (synchronous_commit as the server has it).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import time
import uuid
from pathlib import Path

from moderation.admin import create_database, drop_database, with_database
from moderation.domain import privacy, terms
from moderation.domain.models import CommentIn, Decision, Duplicates, Flood, Policy, Signals, Site
from moderation.store import CommentRow, Store, create_pool, migrate_dsn
from moderation.store import sqlfiles as sql
from moderation.store.batches import Waiting

SECRET = b"bench"
VARIANTS = {
    "rules off": Policy(version=1),
    "premoderate_new_authors": Policy(version=1, premoderate_new_authors=True),
    "trust_approved_authors": Policy(version=1, trust_approved_authors=True),
    "flood per author": Policy(version=1, flood=Flood(per_author=5)),
    "flood per IP prefix": Policy(version=1, flood=Flood(per_ip=50)),
    "duplicates": Policy(version=1, duplicates=Duplicates(max_copies=3)),
    "all rules on": Policy(
        version=1, premoderate_new_authors=True, trust_approved_authors=True,
        flood=Flood(per_author=5, per_ip=50), duplicates=Duplicates(max_copies=3),
    ),
}  # fmt: skip


def row(i: int, site: Site) -> CommentRow:
    """A new comment from a new author."""
    body = f"Bình luận số {i}: bài viết rất hay, cảm ơn tác giả {uuid.uuid4().hex[:8]}"
    ip = f"10.{i & 255}.{i >> 8 & 255}.{i >> 16 & 255}"  # a new /24 each time
    comment = CommentIn(thread=f"t{i % 50}", name=f"User {i}", email=f"u{i}@example.com",
                        body=body, author_ip=ip)  # fmt: skip
    private = privacy.protect(comment, SECRET, None)
    dup = site.policy.duplicates
    fp = terms.fingerprint(body, dup.min_length) if dup.max_copies else None
    decision = Decision(status="published", reasons=())
    return CommentRow(site, private, {"spam": 0.1}, decision, Signals(), "bench", fp)


async def run(
    store: Store, site: Site, count: int, start: int, query: str, durable: bool = False
) -> list[float]:
    """Seconds per statement."""
    rows = [row(i, site) for i in range(start, start + count)]
    times = []
    async with store._pool.acquire() as conn:
        if not durable:  # the statement's own cost, without waiting for the WAL flush
            await conn.execute("SET synchronous_commit = off")
        for r in rows:
            begun = time.perf_counter()
            if query == store.query("insert_comment"):  # as the service runs it
                await store.insert_on(conn, r)
            else:
                await conn.fetch(query, *r.params()[:21])
            times.append(time.perf_counter() - begun)
    return times


ALL_RULES = VARIANTS["all rules on"]
TICK = os.sysconf("SC_CLK_TCK")


def backend_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICK


async def backends(pool: object) -> list[int]:
    """The PostgreSQL backend pid of every connection of a pool (all opened first)."""
    conns = [await pool.acquire() for _ in range(pool.get_max_size())]  # type: ignore[attr-defined]
    pids = [await c.fetchval("SELECT pg_backend_pid()") for c in conns]
    for c in conns:
        await pool.release(c)  # type: ignore[attr-defined]
    return pids


async def writers(
    store: Store, site: Site, count: int, seconds: float, start: int, batched: bool
) -> tuple[int, float, float]:
    """`count` writers storing new comments for `seconds`: (stored, backend CPU seconds,
    client CPU seconds)."""
    pids = await backends(store._pool)
    stored = 0
    stop = time.monotonic() + seconds

    async def one(w: int) -> None:
        nonlocal stored
        i = start + w * 1_000_000
        if batched:
            while time.monotonic() < stop:
                await store.insert_comment(row(i, site))
                stored += 1
                i += 1
            return
        async with store._pool.acquire() as conn:
            while time.monotonic() < stop:
                await store.insert_on(conn, row(i, site))
                stored += 1
                i += 1

    cpu, client = backend_seconds(pids), time.process_time()
    await asyncio.gather(*(one(w) for w in range(count)))
    return stored, backend_seconds(pids) - cpu, time.process_time() - client


HOOKED = ALL_RULES.model_copy(update={"webhook_url": "https://example.vn/hook"})
WITH_WEBHOOK = "with a webhook (an outbox row)"
COSTS = {
    "as migrated": [],
    WITH_WEBHOOK: [],
    "without comments_recent": ["DROP INDEX comments_recent"],
    "without comments_author": ["DROP INDEX comments_author"],
    "without comments_ip": ["DROP INDEX comments_ip"],
    "without comments_fingerprint": ["DROP INDEX comments_fingerprint"],
    "without comments_thread_published": ["DROP INDEX comments_thread_published"],
    "without comment_events_comment": ["DROP INDEX comment_events_comment"],
    "without FK comments.site_id": ["ALTER TABLE comments DROP CONSTRAINT comments_site_id_fkey"],
    "without FKs of comment_events": [
        "ALTER TABLE comment_events DROP CONSTRAINT comment_events_site_id_fkey",
        "ALTER TABLE comment_events DROP CONSTRAINT comment_events_comment_id_fkey",
    ],
}


async def costs(admin: str, args: argparse.Namespace) -> None:
    """PostgreSQL backend CPU per comment of batches of --max-batch, all rules on, on one
    connection per variant of the schema (an index or foreign key dropped), variants taken in
    turn --rounds times so that a shared machine's drift falls on all of them alike."""
    base = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(admin, base)
    names = {label: f"{base}_{n}" for n, label in enumerate(COSTS)}
    try:
        await migrate_dsn(dsn)
        async with create_pool(dsn, 1, 1, 30) as pool:
            store = Store(pool, 30)
            site_id = await store.create_site("bench", b"k" * 32, Policy())
            site = Site(id=site_id, slug="bench", policy=ALL_RULES)
            await run(store, site, 3000, 0, store.query("insert_comment"), durable=True)
            await pool.execute("ANALYZE")
        for label, statements in COSTS.items():
            target = await create_database(admin, names[label], base)
            async with create_pool(target, 1, 1, 30) as pool:
                for statement in statements:
                    await pool.execute(statement)
        spent: dict[str, list[float]] = {label: [] for label in COSTS}
        loop = asyncio.get_running_loop()
        start = 10**6
        for _ in range(args.rounds):
            for label in COSTS:
                async with create_pool(with_database(admin, names[label]), 1, 1, 30) as pool:
                    store = Store(pool, 30)
                    async with pool.acquire() as conn:
                        [pid] = [await conn.fetchval("SELECT pg_backend_pid()")]
                        batches = []
                        for _ in range(args.batches + 3):
                            kind = site.model_copy(
                                update={"policy": HOOKED if label == WITH_WEBHOOK else ALL_RULES}
                            )
                            rows = [row(i, kind) for i in range(start, start + args.max_batch)]
                            start += args.max_batch
                            batches.append(
                                [Waiting(r, loop.create_future(), r.lock_keys()) for r in rows]
                            )
                        for batch in batches[:3]:  # plans made
                            await store.insert_many_on(conn, batch)
                        cpu = backend_seconds([pid])
                        for batch in batches[3:]:
                            await store.insert_many_on(conn, batch)
                        cpu = backend_seconds([pid]) - cpu
                spent[label].append(cpu / (args.batches * args.max_batch) * 1000)
        print(
            f"PG backend CPU per comment, batches of {args.max_batch}, all rules on "
            f"(median of {args.rounds} rounds of {args.batches} batches):"
        )
        whole = statistics.median(spent["as migrated"])
        for label, figures in spent.items():
            median = statistics.median(figures)
            print(f"  {label:<36} {median:.3f} ms  ({median - whole:+.3f})")
    finally:
        for name in [*names.values(), base]:
            await drop_database(admin, name)


async def concurrent(admin: str, args: argparse.Namespace) -> None:
    """Single statement vs group commit at --writers concurrent writers, all rules on."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(admin, name)
    try:
        await migrate_dsn(dsn)
        async with create_pool(dsn, args.writers, args.writers, 30) as pool:
            for statement in args.drop:  # what an index or a foreign key costs: run without it
                await pool.execute(statement)
            store = Store(pool, 30)
            site_id = await store.create_site("bench", b"k" * 32, Policy())
            site = Site(id=site_id, slug="bench", policy=ALL_RULES)
            await run(store, site, 3000, 0, store.query("insert_comment"), durable=True)
            await pool.execute("ANALYZE comments")
            await pool.expire_connections()
            if not args.batched_only:
                await writers(store, site, args.writers, 3, 10**8, False)  # warm up
                n, pg, py = await writers(store, site, args.writers, args.seconds, 2 * 10**8, False)
                report_cpu(f"single statement, {args.writers} writers", n, args.seconds, pg, py)
        async with create_pool(dsn, args.pool, args.pool, 30) as pool:
            store = Store(pool, 30)
            store.batches.max_batch = args.max_batch
            store.batches.flushes = args.flushes
            await writers(store, site, args.writers, 3, 3 * 10**8, True)
            store.batches.sizes.clear()
            n, pg, py = await writers(store, site, args.writers, args.seconds, 4 * 10**8, True)
            report_cpu(f"group commit, {args.writers} writers", n, args.seconds, pg, py)
            sizes = store.batches.sizes
            statements = sum(sizes.values())
            buckets: collections.Counter[str] = collections.Counter()
            for size, times in sizes.items():
                low = 1 << (size.bit_length() - 1)
                buckets[f"{low}-{2 * low - 1}" if low > 1 else "1"] += times * size
            print(
                f"  statements {statements}, mean batch {n / max(statements, 1):.1f}, "
                f"comments by batch size: "
                + ", ".join(
                    f"{k}: {v / n:.0%}"
                    for k, v in sorted(buckets.items(), key=lambda kv: int(kv[0].split("-")[0]))
                )
            )
    finally:
        await drop_database(admin, name)


def report_cpu(label: str, stored: int, seconds: float, pg: float, py: float) -> None:
    """One line of the --writers figures."""
    print(
        f"{label:<32} {stored / seconds:8,.0f} comments/s  PG backend CPU "
        f"{pg / stored * 1000:.3f} ms/comment  client CPU {py / stored * 1000:.3f} ms/comment",
        flush=True,
    )


def report(label: str, times: list[float]) -> None:
    """One line of figures."""
    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99)]
    print(f"{label:<28} mean {statistics.mean(times) * 1000:.3f} ms  p99 {p99 * 1000:.3f} ms")


async def main(args: argparse.Namespace) -> None:
    admin = os.environ["DATABASE_URL"]
    if args.costs:
        await costs(admin, args)
        return
    if args.writers:
        await concurrent(admin, args)
        return
    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(admin, name)
    try:
        await migrate_dsn(dsn)
        async with create_pool(dsn, 1, 1, 10) as pool:
            store = Store(pool, 10)
            site_id = await store.create_site("bench", b"k" * 32, Policy())
            off = Site(id=site_id, slug="bench", policy=Policy(version=1))
            ours = store.query("insert_comment")
            await run(store, off, 3000, 0, ours)  # warm up
            await pool.execute("ANALYZE comments")  # a live table has statistics
            await pool.expire_connections()  # plans made before them are dropped
            baseline = None
            if args.baseline:
                baseline = sql.parse_queries(args.baseline.read_text())["insert_comment"]
            start = 10_000
            for _ in range(args.rounds):
                for label, policy in VARIANTS.items():
                    site = Site(id=site_id, slug="bench", policy=policy)
                    report(label, await run(store, site, args.comments, start, ours))
                    start += args.comments
                if baseline:
                    report(
                        "baseline statement", await run(store, off, args.comments, start, baseline)
                    )
                    start += args.comments
    finally:
        await drop_database(admin, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--writers", type=int, default=0, help="concurrent writers (issue 21)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--pool", type=int, default=8, help="connections of the group commit")
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--flushes", type=int, default=1, help="batches in flight at once")
    parser.add_argument(
        "--drop", action="append", default=[], metavar="SQL",
        help="a statement run after migrating, e.g. 'DROP INDEX comments_recent' (repeatable)",
    )  # fmt: skip
    parser.add_argument("--batched-only", action="store_true", help="skip the single statement")
    parser.add_argument("--costs", action="store_true", help="what each index, FK, row costs")
    parser.add_argument("--batches", type=int, default=30, help="batches per --costs round")
    asyncio.run(main(parser.parse_args()))
