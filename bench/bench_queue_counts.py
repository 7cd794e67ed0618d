"""The queue page's counts and live check (GET /ui/api/live): time per statement on a large
site, and which index each count reads.

Creates a scratch database next to DATABASE_URL's, fills one site with comments (70 %
published, 10 % each pending, rejected and spam; other sites' rows alongside), then times
the queue_counts statement as the page load runs it (no "since") and as a live check does
(new comments in the last minute), and prints each count's scan.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import asyncpg

from moderation.admin import add_site, create_database, drop_database
from moderation.domain.pages import COUNT_CAP
from moderation.store import sqlfiles as sql

FILL = """
INSERT INTO comments (site_id, thread, author_name, email_hash, email_domain, email_masked,
    body, public_body, status, intake_status, scores, reasons, model_version, policy_version,
    created_at)
SELECT $1, 't' || (g % 500), 'An', '\\x00'::bytea, 'x.vn', 'a***@x.vn', 'x', 'x',
       (ARRAY['published', 'published', 'published', 'published', 'published', 'published',
              'published', 'rejected', 'spam', 'pending'])[1 + g % 10],
       'published', '{}'::jsonb, ARRAY['spam:hold'], 'm', 1,
       now() - make_interval(secs => $2 - g)
FROM generate_series(1, $2) g
"""


async def timed(conn: asyncpg.Connection, query: str, args: tuple[object, ...], n: int) -> float:
    """Milliseconds per run, after a warm-up."""
    for _ in range(3):
        await conn.fetch(query, *args)
    started = time.perf_counter()
    for _ in range(n):
        await conn.fetch(query, *args)
    return (time.perf_counter() - started) / n * 1000


async def main(rows: int, runs: int) -> None:
    admin = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"bench_counts_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(admin, name)
    try:
        await add_site(dsn, 5, "other")
        await add_site(dsn, 5, "big")
        conn = await asyncpg.connect(dsn)
        try:
            for slug in ("other", "big"):
                site = await conn.fetchval("SELECT id FROM sites WHERE slug = $1", slug)
                await conn.execute(FILL, site, rows)
            await conn.execute("VACUUM ANALYZE comments")
            query = sql.load_queries()["queue_counts"]
            minute_ago = await conn.fetchval("SELECT now() - interval '60 seconds'")
            for label, since in (("page load", None), ("live check", minute_ago)):
                args = (site, COUNT_CAP + 1, since, "pending", None, None, False)
                print(f"{label}: {await timed(conn, query, args, runs):.2f} ms per statement")
            plan = await conn.fetch(f"EXPLAIN (ANALYZE) {query}", *args)
            for line in plan:
                if "Scan" in line[0] or "Execution" in line[0]:
                    print(line[0].strip())
        finally:
            await conn.close()
    finally:
        await drop_database(admin, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=400_000, help="comments per site")
    parser.add_argument("--runs", type=int, default=50)
    options = parser.parse_args()
    asyncio.run(main(options.rows, options.runs))
