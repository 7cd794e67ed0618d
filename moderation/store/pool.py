"""The connection pool and the LISTEN connection; driver errors translated once, here."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg
import orjson

from moderation.domain.errors import AlreadyExists, DatabaseUnavailable

UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a query on a connection the server just killed
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver and network failures into domain errors."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise AlreadyExists(exc.constraint_name or "unique") from None
    except UNAVAILABLE as exc:
        raise DatabaseUnavailable(type(exc).__name__) from None


async def _init_connection(conn: asyncpg.Connection) -> None:
    """Decode json and jsonb with orjson."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Skip asyncpg's per-release RESET ALL round trip.

    Safe because pooled connections never change session state: every query is one
    autocommit statement (no SET, LISTEN or temp tables). A transaction left open by a
    cancelled request is still rolled back: asyncpg does that before calling this.
    """


@asynccontextmanager
async def create_pool(
    dsn: str, min_size: int, max_size: int, wait_seconds: float
) -> AsyncIterator[asyncpg.Pool]:
    """A connection pool whose connections speak orjson; closed on exit."""
    with translate_errors():
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=wait_seconds,
            command_timeout=wait_seconds,
            init=_init_connection,
            reset=_no_reset,
            # JIT compiling costs more than these short statements ever run. Generic plans:
            # insert_comment's rules are guarded by parameters, so custom plans (planned on
            # every call, 0.5 ms) would keep winning PostgreSQL's estimate and never be reused.
            server_settings={"jit": "off", "plan_cache_mode": "force_generic_plan"},
        )
    try:
        yield pool
    finally:
        await asyncio.wait_for(pool.close(), wait_seconds)


@asynccontextmanager
async def listening(
    dsn: str, channel: str, on_message: Callable[[str], None], on_lost: Callable[[], None]
) -> AsyncIterator[None]:
    """A connection of its own (pooled ones never LISTEN) calling on_message(payload) for
    each notification on `channel`, and on_lost() if the connection drops."""
    with translate_errors():
        conn = await asyncpg.connect(dsn)
    try:
        conn.add_termination_listener(lambda _conn: on_lost())
        with translate_errors():
            await conn.add_listener(channel, lambda _c, _pid, _ch, payload: on_message(payload))
        yield
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            await asyncio.wait_for(conn.close(), 5)


async def execute_once(dsn: str, statement: str) -> None:
    """Run one statement on a connection of its own (CREATE DATABASE cannot run in a pool's
    transaction, nor in the database it copies)."""
    with translate_errors():
        conn = await asyncpg.connect(dsn)
    try:
        with translate_errors():
            await conn.execute(statement)
    finally:
        await conn.close()
