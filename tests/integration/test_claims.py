"""Claims under load: many moderators, thousands of pending comments, and the plan used."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp.test_utils import TestClient

from moderation.store import sqlfiles as sql
from tests.conftest import MakeStaff, auth

PENDING = 3000


async def fill_queue(db: asyncpg.Connection, slug: str, n: int) -> set[str]:
    """Insert n pending comments for a site straight into the table; their ids."""
    rows = await db.fetch(
        """INSERT INTO comments (site_id, thread, author_name, email_hash, email_domain,
               email_masked, body, public_body, status, intake_status, scores, reasons,
               model_version, policy_version, created_at)
           SELECT s.id, 't', 'An', '\\x00', 'x.vn', 'a***@x.vn', 'b' || g, 'b' || g,
                  'pending', 'pending', '{"spam": 0.6}', '{}', 'm', 1,
                  now() - (g * interval '1 ms')
           FROM sites s, generate_series(1, $2) g WHERE s.slug = $1
           RETURNING id::text""",
        slug,
        n,
    )
    return {r["id"] for r in rows}


async def drain(client: TestClient, token: str) -> list[str]:
    """Claim in batches of 25 until nothing is left; every id received."""
    got: list[str] = []
    while True:
        response = await client.post(
            "/v1/sites/news/queue/claim", json={"limit": 25}, headers=auth(token)
        )
        assert response.status == 200
        items = (await response.json())["items"]
        if not items:
            return got
        got += [i["id"] for i in items]


async def test_twenty_moderators_claim_everything_exactly_once(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    tokens = [await make_staff(f"mod{i}") for i in range(20)]
    ids = await fill_queue(db, "news", PENDING)
    batches = await asyncio.gather(*(drain(client, t) for t in tokens))
    claimed = [i for batch in batches for i in batch]
    assert len(claimed) == len(set(claimed))  # zero double claims
    assert set(claimed) == ids  # zero items lost
    assert sum(1 for b in batches if b) > 1  # the work was shared


async def test_claim_uses_the_pending_index(
    site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    await make_staff("lan")
    await fill_queue(db, "news", PENDING)
    await db.execute("ANALYZE comments")
    site_id, user_id = await db.fetchrow("SELECT site_id, id FROM users WHERE username = 'lan'")
    query = sql.load_queries()["claim_pending"]
    # EXPLAIN without ANALYZE plans the statement but does not run it.
    plan = await db.fetch(f"EXPLAIN {query}", site_id, user_id, 10, 300.0, "lan")
    text = "\n".join(r[0] for r in plan)
    assert "comments_pending_unclaimed" in text, text


async def test_queue_pages_read_the_view_on_the_pending_indexes(
    site_key: str, db: asyncpg.Connection
) -> None:
    await fill_queue(db, "news", PENDING)
    await db.execute("ANALYZE comments")
    site_id = await db.fetchval("SELECT id FROM sites WHERE slug = 'news'")
    queries = sql.load_queries()
    args = (site_id, "pending", None, None, 51, None, None)
    # queue_items is a view; the planner must still walk the index in the page's order
    for name, index in (
        ("queue_oldest", "comments_pending"),
        ("queue_by_score", "comments_pending_score"),
    ):
        assert "FROM queue_items" in queries[name]
        plan = "\n".join(r[0] for r in await db.fetch(f"EXPLAIN {queries[name]}", *args))
        assert f"Index Scan using {index} on comments c" in plan, plan
        assert "Sort" not in plan, plan
