"""Webhook delivery throughput: events/s from a deep outbox to a local receiver, and the plan.

Creates a scratch database next to DATABASE_URL's with one site pointed at a local aiohttp
receiver, a history of already-delivered events and a backlog of pending ones, then runs N
workers (each with its own pool, as separate processes would) until the backlog is empty.
Prints events/s, whether every event arrived exactly once, and whether the lease statement
uses the outbox_due index.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from contextlib import AsyncExitStack
from ipaddress import ip_network

import asyncpg
from aiohttp import web

from moderation.admin import create_database, drop_database
from moderation.domain.credentials import hash_key, new_key
from moderation.domain.models import Policy
from moderation.runtime.metrics import Metrics
from moderation.runtime.webhooks import running
from moderation.settings import Settings
from moderation.store import Store, create_pool, migrate_dsn
from moderation.store import sqlfiles as sql

FILL = """
WITH c AS (
    INSERT INTO comments (site_id, thread, author_name, email_hash, email_domain, email_masked,
        body, public_body, status, intake_status, scores, reasons, model_version,
        policy_version)
    SELECT $1, 't' || (g % 500), 'An', decode(md5(g::text), 'hex'), 'x.vn', 'a***@x.vn',
           'b' || g, 'b' || g, 'published', 'published', '{"spam": 0.1}', '{}', 'm', 1
    FROM generate_series(1, $2::int + $3::int) g
    RETURNING id, site_id, thread, status, scores, reasons, created_at
)
INSERT INTO outbox (site_id, comment_id, event, payload, state, delivered_at)
SELECT site_id, id, 'comment.created', jsonb_build_object('event', 'comment.created',
       'comment', jsonb_build_object('id', id, 'thread', thread, 'status', status,
       'scores', scores, 'reasons', to_jsonb(reasons), 'model_version', 'm',
       'policy_version', 1)),
       CASE WHEN row_number() OVER () <= $2::int THEN 'delivered' ELSE 'pending' END,
       CASE WHEN row_number() OVER () <= $2::int THEN now() END
FROM c
"""


async def setup(dsn: str, url: str, history: int, backlog: int) -> None:
    """A site whose webhook_url is the receiver, with delivered history and a backlog."""
    await migrate_dsn(dsn)
    async with create_pool(dsn, 1, 1, 60) as pool:
        policy = Policy(webhook_url=url)
        site_id = await Store(pool, 60).create_site("bench", hash_key(new_key("sk")), policy)
    conn = await asyncpg.connect(dsn)
    await conn.execute(FILL, site_id, history, backlog)
    await conn.execute("VACUUM ANALYZE outbox")
    text = "\n".join(
        r[0] for r in await conn.fetch("EXPLAIN " + sql.load_queries()["outbox_lease"], 20, 35.0)
    )
    await conn.close()
    print("lease plan uses outbox_due:", "outbox_due" in text)
    if os.environ.get("SHOW_PLAN"):
        print(text)


async def deliver(dsn: str, workers: int, batch: int, all_in: asyncio.Event) -> float:
    """Run the workers until the receiver has every pending event; seconds taken."""
    settings = Settings(
        database_url=dsn,
        webhook_batch=batch,
        webhook_poll_seconds=0.05,
        webhook_allowed_networks=[ip_network("127.0.0.0/8")],  # the receiver is local
    )
    started = time.perf_counter()
    async with AsyncExitStack() as stack:
        for _ in range(workers):
            pool = await stack.enter_async_context(create_pool(dsn, 1, 4, 60))
            await stack.enter_async_context(running(Store(pool, 60), settings, Metrics()))
        await all_in.wait()
        elapsed = time.perf_counter() - started
    return elapsed


async def main(args: argparse.Namespace) -> None:
    """Scratch database and receiver in, figures out, both gone."""
    seen: list[str] = []
    all_in = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        await request.read()
        seen.append(request.headers["X-Moderation-Event-Id"])
        if len(seen) >= args.backlog:
            all_in.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    name = f"bench_hooks_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(args.dsn, name)
    try:
        await setup(dsn, f"http://127.0.0.1:{port}/hook", args.history, args.backlog)
        seconds = await deliver(dsn, args.workers, args.batch, all_in)
    finally:
        await drop_database(args.dsn, name)
        await runner.cleanup()
    print(f"history={args.history} backlog={args.backlog} workers={args.workers} "
          f"batch={args.batch}")  # fmt: skip
    print(
        f"delivered {len(seen)} in {seconds:.2f} s: {len(seen) / seconds:,.0f} events/s; "
        f"each exactly once: {len(seen) == len(set(seen)) == args.backlog}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--backlog", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
