"""The connection pool and the LISTEN connection; driver errors translated once, here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import orjson

from moderation.domain.errors import AlreadyExists, Cause, DatabaseUnavailable
from moderation.store.dbstate import DatabaseState

# Failures that a retry can outlast. Connection-class first: the server restarts, fails over
# or refuses (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08xxx);
# TargetServerAttributeNotMatched (an InternalClientError) is "no listed host is writable".
_CONNECTION: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a query on a connection the server just killed
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.DatabaseDroppedError,
)
# 25006: a write reached a standby or a server with default_transaction_read_only on.
_READ_ONLY: tuple[type[BaseException], ...] = (asyncpg.exceptions.ReadOnlySQLTransactionError,)
# The database is there but too busy: a timeout (pool exhausted, slow statement), 53xxx
# (too many connections, out of memory or disk), 57014 (statement timeout) and other 57xxx.
_OVERLOAD: tuple[type[BaseException], ...] = (
    TimeoutError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
)
UNAVAILABLE = _CONNECTION + _READ_ONLY + _OVERLOAD


def unavailable(exc: BaseException, retry_after: int | None = None) -> DatabaseUnavailable | None:
    """The domain error for a driver or network failure a retry can outlast, else None."""
    cause: Cause
    if isinstance(exc, TimeoutError):  # before OSError, its base class
        cause = "overload"
    elif isinstance(exc, _CONNECTION):
        cause = "connection"
    elif isinstance(exc, _READ_ONLY):
        cause = "read-only"
    elif isinstance(exc, _OVERLOAD):
        cause = "overload"
    else:
        return None
    return DatabaseUnavailable(type(exc).__name__, cause, retry_after)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver and network failures into domain errors."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise AlreadyExists(exc.constraint_name or "unique") from None
    except UNAVAILABLE as exc:
        error = unavailable(exc)
        assert error is not None
        raise error from None


def writable(conn: asyncpg.Connection) -> bool:
    """Whether the server, as it reported itself (PostgreSQL 14+), takes writes: neither a hot
    standby nor read-only by default. Older servers report neither: taken as writable."""
    reported = conn.get_settings()
    return "on" not in (
        getattr(reported, "in_hot_standby", "off"),
        getattr(reported, "default_transaction_read_only", "off"),
    )


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


class _QuietFloor(logging.Filter):
    """Drop asyncpg's "Failed to restore the pool connection floor" warnings: each carries a
    traceback and comes every few seconds of an outage; DatabaseState logs one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other record."""
        return not str(record.msg).startswith("Failed to restore the pool connection floor")


def _quiet_asyncpg() -> None:
    """Install the filter on asyncpg's pool logger, once."""
    logger = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, _QuietFloor) for f in logger.filters):
        logger.addFilter(_QuietFloor())


def _observed(state: DatabaseState) -> Callable[..., Awaitable[asyncpg.Connection]]:
    """asyncpg.connect, telling `state` of each new connection and each failure to make one
    (the pool reconnects in the background too, where no caller sees the error)."""

    async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
        try:
            conn = await asyncpg.connect(*args, **kwargs)
        except Exception as exc:
            error = unavailable(exc)
            if error is not None:
                state.failed(error.cause, error.args[0])
            raise
        state.succeeded(writable(conn))
        return conn

    return connect


@asynccontextmanager
async def create_pool(
    dsn: str,
    min_size: int,
    max_size: int,
    wait_seconds: float,
    state: DatabaseState | None = None,
    statement_cache_size: int = 100,
) -> AsyncIterator[asyncpg.Pool]:
    """A connection pool whose connections speak orjson; closed on exit.

    `state` hears of every connection made or failed; `statement_cache_size` 0 turns off
    asyncpg's named prepared statements (for PgBouncer in transaction mode before 1.21).
    """
    _quiet_asyncpg()
    with translate_errors():
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=wait_seconds,
            command_timeout=wait_seconds,
            init=_init_connection,
            reset=_no_reset,
            connect=_observed(state or DatabaseState(1)),
            statement_cache_size=statement_cache_size,
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
    dsn: str,
    channel: str,
    on_message: Callable[[str], None],
    on_lost: Callable[[], None],
    more: Mapping[str, Callable[[str], None]] | None = None,
) -> AsyncIterator[None]:
    """A connection of its own (pooled ones never LISTEN) calling on_message(payload) for
    each notification on `channel` (and, for each channel of `more`, its own handler), and
    on_lost() if the connection drops."""
    with translate_errors():
        conn = await asyncpg.connect(dsn)
    try:
        conn.add_termination_listener(lambda _conn: on_lost())
        handlers = {channel: on_message, **(more or {})}
        for name, handler in handlers.items():
            with translate_errors():
                await conn.add_listener(name, _calling(handler))
        yield
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            await asyncio.wait_for(conn.close(), 5)


def _calling(handler: Callable[[str], None]) -> Callable[..., None]:
    """An asyncpg listener calling handler(payload)."""
    return lambda _c, _pid, _ch, payload: handler(payload)


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
