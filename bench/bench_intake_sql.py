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
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from pathlib import Path

from moderation.admin import create_database, drop_database
from moderation.domain import privacy, terms
from moderation.domain.models import CommentIn, Decision, Duplicates, Flood, Policy, Signals, Site
from moderation.store import CommentRow, Store, create_pool, migrate_dsn
from moderation.store import sqlfiles as sql

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
    ip = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
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


def report(label: str, times: list[float]) -> None:
    """One line of figures."""
    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99)]
    print(f"{label:<28} mean {statistics.mean(times) * 1000:.3f} ms  p99 {p99 * 1000:.3f} ms")


async def main(args: argparse.Namespace) -> None:
    admin = os.environ["DATABASE_URL"]
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
    asyncio.run(main(parser.parse_args()))
