"""Hostile webhook URLs (issue 16): refused where an owner sets them and again at delivery,
where a loopback listener must see no connection at all; each failure logged and counted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from ipaddress import ip_network
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from moderation import admin
from moderation.runtime.logs import JsonFormatter
from moderation.runtime.metrics import Metrics
from moderation.runtime.webhooks import WebhookWorker, running
from moderation.settings import Settings
from moderation.store import Store, create_pool
from tests.conftest import MakeSite, MakeStaff, auth
from tests.integration.test_webhooks import Receiver, hook_site, post, receiver, worker
from tests.web.conftest import PASSWORD, page_csrf, post_login

__all__ = ["receiver"]

# {port}: the loopback listener's. Each one reaches 127.0.0.1 (or would through a gateway).
UNICODE = [
    "http://１２７．０．０．１:{port}/hook",  # noqa: RUF001 - full-width digits and dots
    "http://①②⑦.0.0.1:{port}/hook",
    "http://𝟏𝟐𝟕.𝟎.𝟎.𝟏:{port}/hook",  # noqa: RUF001 - mathematical bold digits
    "http://127.0.0.1。:{port}/hook",
]
IPV6 = [
    "http://[::7f00:1]:{port}/hook",  # IPv4-compatible
    "http://[64:ff9b::7f00:1]:{port}/hook",  # NAT64
    "http://[2002:7f00:1::1]:{port}/hook",  # 6to4
]
DISGUISED = ["http://127.1:{port}/hook", "http://2130706433:{port}/hook"]
CREDENTIALS = "http://:secret@127.0.0.1:{port}/hook"
HOSTILE = [*UNICODE, *IPV6, *DISGUISED, CREDENTIALS, "http://localhost:{port}/hook"]


class Listener:
    """A loopback TCP listener that counts connections and answers any request 204."""

    def __init__(self) -> None:
        self.connections = 0
        self.heads: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.heads.append(head)
                length = next(
                    (int(line.split(b":")[1]) for line in head.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")), 0,
                )  # fmt: skip
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[tuple[Listener, int]]:
    """A listener on a random loopback port, and the port."""
    found = Listener()
    server = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield found, port
    server.close()


@pytest.fixture
def strict(settings: Settings) -> Settings:
    """No network allowed for every site (the tests' default allows loopback)."""
    return settings.model_copy(update={"webhook_allowed_networks": (), "webhooks": False})


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """The application under test allows no network either."""
    return {"webhook_allowed_networks": [], "webhooks": False}


async def store_url(db: asyncpg.Connection, slug: str, url: str) -> None:
    """Write a URL into the site's latest policy as it is, past every check (as a URL stored
    before the checks, or by any other path, would be)."""
    await db.execute(
        "INSERT INTO policies (site_id, version, body, created_by)"
        " SELECT p.site_id, p.version + 1, p.body || jsonb_build_object('webhook_url', $2::text),"
        " 'test' FROM policies p JOIN sites s ON s.id = p.site_id WHERE s.slug = $1"
        " ORDER BY p.version DESC LIMIT 1",
        slug,
        url,
    )


async def put_url(
    client: TestClient, slug: str, headers: dict[str, str], url: str
) -> tuple[int, Any]:
    """An owner's PUT of webhook_url: the answer's status and body."""
    path = f"/v1/sites/{slug}/policy"
    got = await client.get(path, headers=headers)
    sent = {**headers, "If-Match": got.headers["ETag"]}
    response = await client.put(path, json={"webhook_url": url}, headers=sent)
    return response.status, await response.json()


async def last_attempt(db: asyncpg.Connection) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT outcome, http_status, error FROM webhook_deliveries ORDER BY id DESC LIMIT 1"
    )
    assert row is not None
    return row


@pytest.mark.parametrize("template", HOSTILE)
async def test_an_owner_cannot_set_a_hostile_webhook_url(
    client: TestClient,
    make_site: MakeSite,
    make_staff: MakeStaff,
    db: asyncpg.Connection,
    template: str,
) -> None:
    await make_site("news")
    owner = auth(await make_staff("olivia", role="owner"))
    status, body = await put_url(client, "news", owner, template.format(port=8080))
    assert status == 422, body
    assert body["errors"][0]["field"] == "webhook_url"
    assert await db.fetchval("SELECT count(*) FROM policies") == 1  # nothing saved


@pytest.mark.parametrize("template", [*UNICODE, *IPV6, *DISGUISED])
async def test_a_hostile_url_already_stored_is_never_connected_to(
    client: TestClient,
    site_key: str,
    dsn: str,
    strict: Settings,
    db: asyncpg.Connection,
    listener: tuple[Listener, int],
    template: str,
) -> None:
    seen, port = listener
    await store_url(db, "news", template.format(port=port))
    await post(client, site_key)
    async with worker(dsn, strict, background=False) as one:
        assert await one.run_once() == 1
    assert seen.connections == 0
    attempt = await last_attempt(db)
    assert attempt["outcome"] == "retry" and attempt["http_status"] is None
    assert "may not reach" in attempt["error"] or "IPv4 address" in attempt["error"]


async def test_credentials_in_a_stored_url_are_never_sent(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    db: asyncpg.Connection,
    listener: tuple[Listener, int],
) -> None:
    seen, port = listener
    await store_url(db, "news", CREDENTIALS.format(port=port))
    await post(client, site_key)
    allowed = settings.model_copy(update={"webhook_allowed_networks": [ip_network("127.0.0.0/8")]})
    async with worker(dsn, allowed, background=False) as one:  # the address alone would pass
        assert await one.run_once() == 1
    assert seen.connections == 0
    assert "user name or password" in (await last_attempt(db))["error"]


async def test_the_editor_page_refuses_a_hostile_url_too(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff, dsn: str
) -> None:
    await make_site("news")
    await make_staff("hoa", role="owner")
    await admin.set_password(dsn, 5, "news", "hoa", PASSWORD)
    assert (await post_login(client, site="news", username="hoa", password=PASSWORD)).status == 303
    csrf = page_csrf(await (await client.get("/ui/queue")).text())
    change = {"webhook_url": UNICODE[0].format(port=8080)}
    response = await client.post(
        "/ui/api/policy", json={"version": 1, "change": change}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "webhook_url"


@asynccontextmanager
async def counted(dsn: str, live: Settings, metrics: Metrics) -> AsyncIterator[WebhookWorker]:
    """A worker (not in the background) counting into these metrics."""
    async with create_pool(dsn, 1, 2, 3) as pool, running(Store(pool, 3), live, metrics) as w:
        yield w


async def test_each_failed_attempt_is_logged_once_without_the_url(
    client: TestClient,
    site_key: str,
    dsn: str,
    strict: Settings,
    db: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await store_url(db, "news", "http://127.0.0.1:9/hook?token=hush-hush")
    await post(client, site_key, 2)
    metrics = Metrics()
    with caplog.at_level(logging.WARNING, logger="moderation.webhooks"):
        async with counted(dsn, strict, metrics) as one:
            assert await one.run_once() == 2
    failures = [r for r in caplog.records if r.getMessage() == "webhook delivery failed"]
    stored = {str(r["event_id"]) for r in await db.fetch("SELECT event_id FROM outbox")}
    assert len(failures) == 2 and {r.__dict__["event_id"] for r in failures} == stored
    for record in failures:
        assert record.__dict__["site"] == "news" and record.__dict__["reason"] == "refused"
        assert record.__dict__["next"] == "retry"
    logged = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "hush-hush" not in logged and "/hook" not in logged and "Bình luận" not in logged
    text = metrics.render().decode()
    assert 'moderation_webhook_failures_total{reason="refused"} 2.0' in text
    assert "hush" not in text and "127.0.0.1" not in text


async def test_an_http_error_is_counted_by_its_class(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    receiver: tuple[Receiver, str],
) -> None:
    hook, url = receiver
    hook.status = 503
    await hook_site(dsn, url)
    await post(client, site_key)
    metrics = Metrics()
    loopback = settings.model_copy(update={"webhook_allowed_networks": [ip_network("127.0.0.0/8")]})
    with caplog.at_level(logging.WARNING, logger="moderation.webhooks"):
        async with counted(dsn, loopback, metrics) as one:
            assert await one.run_once() == 1
    (record,) = [r for r in caplog.records if r.getMessage() == "webhook delivery failed"]
    assert record.__dict__["reason"] == "http_5xx" and record.__dict__["http_status"] == 503
    assert 'moderation_webhook_failures_total{reason="http_5xx"} 1.0' in metrics.render().decode()


async def test_a_redirect_is_never_followed(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    db: asyncpg.Connection,
    listener: tuple[Listener, int],
) -> None:
    seen, port = listener
    app = web.Application()

    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": f"http://127.0.0.1:{port}/x"})

    app.router.add_post("/hook", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        mover = runner.addresses[0][1]
        await store_url(db, "news", f"http://127.0.0.1:{mover}/hook")
        await post(client, site_key)
        loopback = settings.model_copy(
            update={"webhook_allowed_networks": [ip_network("127.0.0.0/8")]}
        )
        async with worker(dsn, loopback, background=False) as one:
            assert await one.run_once() == 1
    finally:
        await runner.cleanup()
    assert seen.connections == 0  # the target of the redirect, allowed as an address
    attempt = await last_attempt(db)
    assert (attempt["outcome"], attempt["http_status"]) == ("retry", 307)
