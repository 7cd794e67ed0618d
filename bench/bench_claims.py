"""Claim latency with a deep queue: p50/p99 of POST .../queue/claim's statement, and its plan.

Creates a scratch database next to DATABASE_URL's, fills one site's queue with pending
comments, then has concurrent moderators claim batches through the store (the statement the
endpoint runs) and prints the latency percentiles and whether the plan uses the index.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import asyncpg

from moderation.admin import create_database, drop_database
from moderation.domain.credentials import hash_key, new_key
from moderation.domain.models import Policy
from moderation.domain.review import Staff
from moderation.store import Store, create_pool, migrate_dsn
from moderation.store import sqlfiles as sql

FILL = """
INSERT INTO comments (site_id, thread, author_name, email_hash, email_domain, email_masked,
    body, public_body, status, intake_status, scores, reasons, model_version, policy_version,
    created_at)
SELECT $1, 't' || (g % 500), 'An', decode(md5((g % 5000)::text), 'hex'), 'x.vn', 'a***@x.vn',
       'b' || g, 'b' || g, 'pending', 'pending',
       jsonb_build_object('spam', random()), '{spam:hold}', 'm', 1,
       now() - (g * interval '1 second')
FROM generate_series(1, $2) g
"""


async def setup(dsn: str, pending: int, moderators: int) -> list[Staff]:
    """Migrate, create a site with its moderators, fill its queue; the moderators."""
    await migrate_dsn(dsn)
    async with create_pool(dsn, 1, 1, 60) as pool:
        store = Store(pool, 60)
        site_id = await store.create_site("bench", hash_key(new_key("sk")), Policy())
        staff = []
        for i in range(moderators):
            user_id = await store.create_user(site_id, f"mod{i}", "moderator", hash_key(f"t{i}"))
            staff.append(Staff(id=user_id, site_id=site_id, site_slug="bench",
                               username=f"mod{i}", role="moderator"))  # fmt: skip
    conn = await asyncpg.connect(dsn)
    await conn.execute(FILL, site_id, pending)
    await conn.execute("VACUUM ANALYZE comments")
    await conn.close()
    return staff


async def plan(dsn: str, claim_sql: str, who: Staff) -> str:
    """The plan of the claim statement, as text."""
    conn = await asyncpg.connect(dsn)
    rows = await conn.fetch(f"EXPLAIN {claim_sql}", who.site_id, who.id, 10, 300.0, who.username)
    await conn.close()
    return "\n".join(r[0] for r in rows)


async def run(dsn: str, staff: list[Staff], claims: int, limit: int) -> list[float]:
    """Each moderator claims in turn until `claims` claims were made; latencies in ms."""
    timings: list[float] = []
    async with create_pool(dsn, len(staff), len(staff), 60) as pool:
        store = Store(pool, 60)

        async def moderator(who: Staff, n: int) -> None:
            for _ in range(n):
                started = time.perf_counter()
                await store.claim(who.site_id, who, limit, 300.0)
                timings.append((time.perf_counter() - started) * 1000)

        per = claims // len(staff)
        await asyncio.gather(*(moderator(who, per) for who in staff))
    return timings


async def main(args: argparse.Namespace) -> None:
    """Scratch database in, figures out, scratch database dropped."""
    name = f"bench_claims_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(args.dsn, name)
    try:
        staff = await setup(dsn, args.pending, args.moderators)
        text = await plan(dsn, sql.load_queries()["claim_pending"], staff[0])
        timings = await run(dsn, staff, args.claims, args.limit)
    finally:
        await drop_database(args.dsn, name)
    cuts = statistics.quantiles(timings, n=100)
    print(f"pending={args.pending} moderators={args.moderators} claims={len(timings)} "
          f"limit={args.limit}")  # fmt: skip
    print(f"claim latency ms: p50={cuts[49]:.2f} p99={cuts[98]:.2f} max={max(timings):.2f}")
    print("plan uses comments_pending_unclaimed:", "comments_pending_unclaimed" in text)
    if os.environ.get("SHOW_PLAN"):
        print(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--moderators", type=int, default=20)
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
