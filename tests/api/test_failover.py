"""A database that is not a writable primary, or is gone or busy: 503 with a Retry-After that
says which, never 500; readiness that reports it; one log line per outage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.keys import STORE
from moderation.settings import Settings
from tests.conftest import auth, comment
from tests.standin import KeywordScorer

MakeClient = Callable[..., Awaitable[TestClient]]


async def _read_only(admin_dsn: str, dsn: str, on: bool) -> None:
    """Make the test database read-only by default for new sessions (as a standby is)."""
    name = urlsplit(dsn).path.lstrip("/")
    admin = await asyncpg.connect(admin_dsn)
    try:
        if on:
            await admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        else:
            await admin.execute(f"ALTER DATABASE {name} RESET default_transaction_read_only")
    finally:
        await admin.close()


def _two_hosts(dsn: str, attrs: str) -> str:
    """The same server listed twice, as a host list names a primary and its standby."""
    parts = urlsplit(dsn)
    hosts = f"{parts.hostname}:{parts.port or 5432}"
    netloc = f"{parts.username}@{hosts},{hosts}" if parts.username else f"{hosts},{hosts}"
    return urlunsplit(parts._replace(netloc=netloc, query=f"target_session_attrs={attrs}"))


async def _app(
    settings: Settings, scorer: KeywordScorer, make: MakeClient, **changes: object
) -> TestClient:
    """A client of the application with some settings changed."""
    return await make(create_app(settings.model_copy(update=changes), lambda: scorer))


async def test_writes_to_a_read_only_server_are_503_with_retry_after_never_500(
    settings: Settings,
    scorer: KeywordScorer,
    aiohttp_client: MakeClient,
    site_key: str,
    admin_dsn: str,
    dsn: str,
) -> None:
    """No target_session_attrs, a standby listed first: the pool takes the read-only server."""
    await _read_only(admin_dsn, dsn, on=True)
    client = await _app(settings, scorer, aiohttp_client)
    for _ in range(3):
        answer = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
        assert answer.status == 503
        assert answer.content_type == "application/problem+json"
        assert answer.headers["Retry-After"] == "1"
    ready = await client.get("/readyz")
    assert ready.status == 200  # it can serve: reads work, writes say when to come back
    body = await ready.json()
    assert body["database"] == {"role": "read-only"}
    assert body["checks"]["database"] is False
    primary = await client.get("/readyz?require=primary")
    assert (primary.status, primary.headers["Retry-After"]) == (503, "1")


async def test_the_pool_finds_the_primary_again_after_a_read_only_write(
    settings: Settings,
    scorer: KeywordScorer,
    aiohttp_client: MakeClient,
    site_key: str,
    admin_dsn: str,
    dsn: str,
) -> None:
    """The pool's connections to a read-only server are dropped, so new ones can reach a
    writable host (here the same database, writable again) without a restart."""
    await _read_only(admin_dsn, dsn, on=True)
    client = await _app(settings, scorer, aiohttp_client, pool_min_size=2)
    assert (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).status == 503
    await _read_only(admin_dsn, dsn, on=False)
    statuses = []
    for _ in range(20):
        answer = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
        statuses.append(answer.status)
        if answer.status == 201:
            break
        await asyncio.sleep(0.2)  # drops are rate-limited to one a second
    assert statuses[-1] == 201
    assert set(statuses) <= {201, 503}


async def test_a_host_list_with_read_write_refuses_the_read_only_server(
    settings: Settings,
    scorer: KeywordScorer,
    aiohttp_client: MakeClient,
    site_key: str,
    admin_dsn: str,
    dsn: str,
) -> None:
    """target_session_attrs=read-write: no listed host is writable, so nothing is written."""
    await _read_only(admin_dsn, dsn, on=True)
    url = _two_hosts(dsn, "read-write")
    client = await _app(settings, scorer, aiohttp_client, database_url=url, pool_min_size=0)
    answer = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert (answer.status, answer.headers["Retry-After"]) == (503, "1")
    ready = await (await client.get("/readyz")).json()
    assert ready["database"]["role"] == "unavailable"
    assert ready["database"]["cause"] == "connection"


async def test_a_host_list_with_read_write_writes_to_the_writable_server(
    settings: Settings, scorer: KeywordScorer, aiohttp_client: MakeClient, site_key: str, dsn: str
) -> None:
    url = _two_hosts(dsn, "read-write")
    client = await _app(settings, scorer, aiohttp_client, database_url=url)
    answer = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert answer.status == 201
    assert (await client.get("/readyz?require=primary")).status == 200


async def test_a_busy_database_asks_for_the_longer_retry_after(
    settings: Settings,
    scorer: KeywordScorer,
    aiohttp_client: MakeClient,
    site_key: str,
    db: asyncpg.Connection,
) -> None:
    """A statement that outlasts the timeout is overload, not a lost connection."""
    client = await _app(
        settings, scorer, aiohttp_client, db_timeout_seconds=0.5, retry_after_seconds=7
    )
    async with db.transaction():
        await db.execute("LOCK TABLE comments IN ACCESS EXCLUSIVE MODE")
        answer = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert (answer.status, answer.headers["Retry-After"]) == (503, "7")
    assert client.app[STORE].state.down_since is None  # not an outage: nothing logged
    assert (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).status == 201


async def test_an_outage_logs_one_warning_and_one_recovery_line_without_tracebacks(
    settings: Settings,
    scorer: KeywordScorer,
    aiohttp_client: MakeClient,
    site_key: str,
    admin_dsn: str,
    dsn: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """asyncpg retries its connection floor in the background and would log a traceback on
    each try; the service logs the outage once and its end once."""
    caplog.set_level(logging.INFO)
    client = await _app(settings, scorer, aiohttp_client, pool_min_size=2, access_log=False)
    state = client.app[STORE].state
    name = urlsplit(dsn).path.lstrip("/")
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        for _ in range(3):
            answer = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
            assert answer.status == 503
        for _ in range(100):  # the pool's own background reconnects (1 s, then 2 s apart)
            if state.failures >= 6:
                break
            await asyncio.sleep(0.1)
        assert state.failures >= 6
        await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    finally:
        await admin.close()
    assert (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).status == 201
    lines = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert [line for line in lines if line[0] == "moderation.database"] == [
        ("moderation.database", "WARNING", "database unavailable"),
        ("moderation.database", "INFO", "database available again"),
    ]
    assert not [line for line in lines if line[0].startswith("asyncpg")]
    assert not any(r.exc_info for r in caplog.records)


async def test_readiness_probes_are_never_rate_limited(
    settings: Settings, scorer: KeywordScorer, aiohttp_client: MakeClient
) -> None:
    """A balancer probes from one address, often: it must never get a 429."""
    client = await _app(
        settings, scorer, aiohttp_client, rate_limit_per_address=1, rate_limit_per_address_burst=1
    )
    for _ in range(5):
        assert (await client.get("/readyz?require=primary")).status == 200


async def test_readiness_refuses_an_unknown_requirement(client: TestClient) -> None:
    answer = await client.get("/readyz?require=replica")
    assert answer.status == 422
    assert (await answer.json())["errors"][0]["field"] == "require"
