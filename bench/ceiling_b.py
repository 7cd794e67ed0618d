"""Ceiling B: the least a comment intake can do, to measure the service against.

    python bench/ceiling_b.py --dsn postgresql://... [--port 8100] [--workers 2] [--reset]

An aiohttp app (uvloop, N processes sharing the port) whose POST /v1/comments parses the JSON,
validates the same required fields with pydantic and runs one asyncpg INSERT, then answers
201. No privacy, scoring, policy, events or outbox. --reset keeps asyncpg's per-release reset
(the service turns it off, as this app does by default).
"""

from __future__ import annotations

import argparse
import multiprocessing
from collections.abc import AsyncIterator

import asyncpg
import orjson
import uvloop
from aiohttp import web
from pydantic import BaseModel, ConfigDict, StrictStr

POOL = web.AppKey("pool", asyncpg.Pool)
TABLE = """CREATE TABLE IF NOT EXISTS ceiling_comments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, thread text NOT NULL, name text NOT NULL,
    email text NOT NULL, body text NOT NULL, author_ip text,
    created_at timestamptz DEFAULT now())"""
INSERT = """INSERT INTO ceiling_comments (thread, name, email, body, author_ip)
VALUES ($1, $2, $3, $4, $5) RETURNING id"""


class Comment(BaseModel):
    """The required fields of POST /v1/comments and the address."""

    model_config = ConfigDict(extra="ignore")
    thread: StrictStr
    name: StrictStr
    email: StrictStr
    body: StrictStr
    author_ip: StrictStr | None = None


async def post(request: web.Request) -> web.Response:
    """Validate, insert, answer 201 with the id."""
    comment = Comment.model_validate_json(await request.read())
    row = await request.app[POOL].fetchval(
        INSERT, comment.thread, comment.name, comment.email, comment.body, comment.author_ip
    )
    return web.Response(body=orjson.dumps({"id": row}), status=201, content_type="application/json")


def app(dsn: str, reset: bool) -> web.Application:
    """The ceiling app with its pool."""

    async def pool(app: web.Application) -> AsyncIterator[None]:
        async def no_reset(conn: asyncpg.Connection) -> None:
            return None

        extra = {} if reset else {"reset": no_reset}
        async with asyncpg.create_pool(dsn, min_size=2, max_size=10, **extra) as p:
            app[POOL] = p
            yield

    application = web.Application()
    application.cleanup_ctx.append(pool)
    application.router.add_post("/v1/comments", post)
    return application


def serve(args: argparse.Namespace) -> None:
    """One worker process."""
    web.run_app(app(args.dsn, args.reset), port=args.port, reuse_port=True, print=None,
                access_log=None, loop=uvloop.new_event_loop())  # fmt: skip


async def create_table(dsn: str) -> None:
    """Make the table once, before the workers start."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(TABLE)
    finally:
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reset", action="store_true")
    arguments = parser.parse_args()
    uvloop.run(create_table(arguments.dsn))
    if arguments.workers == 1:  # in this process, as `moderation serve --workers 1` (and
        serve(arguments)  # so that bench_instructions.py can count one process)
        raise SystemExit(0)
    processes = [
        multiprocessing.Process(target=serve, args=(arguments,)) for _ in range(arguments.workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
