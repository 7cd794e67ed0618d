"""Search, author pages and redaction's read side with a large site (issue 19).

Creates a scratch database next to DATABASE_URL's, fills one site with comments (bodies of
about 300 characters, Vietnamese; 5,000 authors), then times through the store the statements
the endpoints run: a search for a word no comment holds (the worst case: each page walks its
whole bound), a common word, an author's name, a day's range, an author's page, and an
author's summary. Prints p50/p99 of each and the plan of the rare-word search (SHOW_PLAN=1).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date

import asyncpg

from moderation.admin import create_database, drop_database
from moderation.domain.credentials import hash_key, new_key
from moderation.domain.desk import SEARCH_SCAN, Search, like_pattern
from moderation.domain.models import Policy
from moderation.store import Store, create_pool, migrate_dsn

TEXT = (
    "Bài viết rất hay, cảm ơn tác giả đã phân tích kỹ về giá xăng dầu và tác động tới đời "
    "sống người dân. Mình ở Hà Nội, thấy chi phí đi lại tăng lên rõ rệt trong mấy tháng qua, "
    "mong các cơ quan quản lý có giải pháp bình ổn giá hợp lý hơn cho người lao động. "
)
FILL = """
INSERT INTO comments (site_id, thread, author_name, email_hash, email_domain, email_masked,
    body, public_body, status, intake_status, scores, reasons, model_version, policy_version,
    created_at)
SELECT $1, 'bai-' || (g % 2000), 'Người đọc ' || (g % 5000),
       decode(md5((g % 5000)::text) || md5((g % 5000)::text), 'hex'), 'x.vn', 'a***@x.vn',
       $3 || g, $3 || g,
       (ARRAY['published', 'published', 'published', 'pending', 'rejected', 'spam'])[g % 6 + 1],
       'published', jsonb_build_object('spam', random()), '{}', 'm', 1,
       now() - (g * interval '10 seconds')
FROM generate_series(1, $2) g
"""


async def timed(fn: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds of `runs` calls, after one warm-up."""
    await fn()
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        took.append((time.perf_counter() - start) * 1000)
    took.sort()
    return statistics.median(took), took[min(len(took) - 1, int(len(took) * 0.99))]


async def main(comments: int, runs: int) -> None:
    admin = os.environ["DATABASE_URL"]
    name = f"bench_search_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(admin, name)
    try:
        await migrate_dsn(dsn)
        async with create_pool(dsn, 1, 2, 60) as pool:
            store = Store(pool, 60)
            site = await store.create_site("bench", hash_key(new_key("sk")), Policy())
            conn = await asyncpg.connect(dsn)
            await conn.execute(FILL, site, comments, TEXT)
            await conn.execute("VACUUM ANALYZE comments")
            author = await conn.fetchval(
                "SELECT email_hash FROM comments WHERE site_id = $1 LIMIT 1", site
            )
            if os.environ.get("SHOW_PLAN"):
                rows = await conn.fetch(
                    "EXPLAIN (ANALYZE, BUFFERS) " + store.query("queue_search"),
                    site, None, None, None, None, None, None, like_pattern("không-có-đâu"),
                    None, SEARCH_SCAN, 26, None,
                )  # fmt: skip
                print("\n".join(r[0] for r in rows))
            await conn.close()
            day = date.today()
            cases: dict[str, Callable[[], Awaitable[object]]] = {
                "search, a word no comment holds": lambda: store.search(
                    site, Search(text="không-có-đâu"), (None, None), None, 25, SEARCH_SCAN),
                "search, a common word": lambda: store.search(
                    site, Search(text="giá xăng"), (None, None), None, 25, SEARCH_SCAN),
                "search, an author's name, pending": lambda: store.search(
                    site, Search(name="đọc 42", status="pending"), (None, None), None, 25,
                    SEARCH_SCAN),
                "search, today (status all)": lambda: store.search(
                    site, Search(since=day, until=day), (None, None), None, 25, SEARCH_SCAN),
                "author's comments, first page": lambda: store.author_comments(
                    site, author, None, 51),
                "author's summary": lambda: store.author(site, author),
            }  # fmt: skip
            print(f"{comments:,} comments, 5,000 authors, walk bound {SEARCH_SCAN} rows a page")
            for label, fn in cases.items():
                p50, p99 = await timed(fn, runs)
                print(f"{label:40s} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    finally:
        await drop_database(admin, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.comments, args.runs))
