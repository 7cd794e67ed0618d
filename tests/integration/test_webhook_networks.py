"""Networks a site's webhooks may reach (set by the operator alone, per site), and the
client that enforces them on every socket and every pooled connection."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation import admin
from moderation.__main__ import main
from moderation.domain.targets import Network
from moderation.runtime.egress import Clients, GuardedConnector, failure_reason
from moderation.settings import Settings
from tests.conftest import MakeSite, MakeStaff, auth
from tests.integration.test_webhook_ssrf import (
    UNICODE,
    Listener,
    listener,
    put_url,
    settings_overrides,
    store_url,
    strict,
)
from tests.integration.test_webhooks import post, worker

__all__ = ["listener", "settings_overrides", "strict"]


async def allow(dsn: str, slug: str, *networks: str, clear: bool = False) -> tuple[Network, ...]:
    """The operator's command: let a site's webhooks reach these networks."""
    nets = [ip_network(n) for n in networks]
    return await admin.site_networks(dsn, 5, slug, clear, nets)


async def test_networks_are_allowed_per_site_at_validation(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff, dsn: str
) -> None:
    await make_site("news")
    await make_site("blog")
    news = auth(await make_staff("olivia", role="owner"))
    blog = auth(await make_staff("bao", "blog", "owner"))
    assert await allow(dsn, "news", "127.0.0.1/32") == (ip_network("127.0.0.1/32"),)
    url = "http://127.0.0.1:8080/hook"
    assert (await put_url(client, "news", news, url))[0] == 200
    assert (await put_url(client, "blog", blog, url))[0] == 422
    # the Unicode spelling is the same address, so it is allowed where the address is
    status, body = await put_url(client, "news", news, UNICODE[0].format(port=8080))
    assert status == 200 and body["webhook_url"] == url
    assert await allow(dsn, "news", clear=True) == ()
    assert (await put_url(client, "news", news, "http://127.0.0.1:9090/hook"))[0] == 422


async def test_an_owner_cannot_set_allowed_networks(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    await make_site("news")
    owner = auth(await make_staff("olivia", role="owner"))
    for field in ("webhook_networks", "webhook_allowed_networks"):
        got = await client.get("/v1/sites/news/policy", headers=owner)
        headers = {**owner, "If-Match": got.headers["ETag"]}
        change = {field: ["127.0.0.0/8"]}
        response = await client.put("/v1/sites/news/policy", json=change, headers=headers)
        assert response.status == 422
    assert await db.fetchval("SELECT webhook_networks FROM sites") == []


async def test_one_sites_allowed_network_is_not_another_sites(
    client: TestClient,
    make_site: MakeSite,
    dsn: str,
    strict: Settings,
    db: asyncpg.Connection,
    listener: tuple[Listener, int],
) -> None:
    seen, port = listener
    news, blog = await make_site("news"), await make_site("blog")
    await allow(dsn, "news", "127.0.0.1/32")
    url = f"http://127.0.0.1:{port}/hook"
    await store_url(db, "news", url)
    await store_url(db, "blog", url)
    async with worker(dsn, strict, background=False) as one:
        await post(client, news)
        assert await one.run_once() == 1  # news: delivered, its connection kept alive
        assert len(seen.heads) == 1 and seen.connections == 1
        await post(client, blog)
        assert await one.run_once() == 1  # blog: the same URL, refused
    assert len(seen.heads) == 1 and seen.connections == 1
    rows = await db.fetch(
        "SELECT s.slug, d.outcome FROM webhook_deliveries d JOIN sites s ON s.id = d.site_id"
        " ORDER BY d.id"
    )
    assert [tuple(r) for r in rows] == [("news", "delivered"), ("blog", "retry")]


async def test_the_operator_sets_and_clears_a_sites_networks(
    dsn: str, make_site: MakeSite, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_site("news")
    monkeypatch.setenv("DATABASE_URL", dsn)
    hook = ["sites", "webhook", "news"]
    add = [*hook, "--allow-network", "127.0.0.1", "--allow-network", "fd00::1/8"]
    assert await asyncio.to_thread(main, add) == 0
    held = await db.fetchval("SELECT webhook_networks FROM sites WHERE slug = 'news'")
    assert held == [ip_network("127.0.0.1/32"), ip_network("fd00::/8")]
    assert await asyncio.to_thread(main, [*hook, "--clear-networks"]) == 0
    assert await db.fetchval("SELECT webhook_networks FROM sites") == []
    with pytest.raises(SystemExit):
        main([*hook, "--allow-network", "not-a-network"])


# The connector checks what it connects to, whatever the worker checked before


async def test_the_client_refuses_literals_and_names_it_was_not_allowed(
    listener: tuple[Listener, int],
) -> None:
    seen, port = listener
    async with Clients() as clients:
        for url in (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/"):
            with pytest.raises(aiohttp.ClientConnectorError) as caught:
                await clients.session(()).post(url, data=b"{}")
            assert failure_reason(caught.value) == "refused"
        async with clients.session([ip_network("127.0.0.0/8")]).post(f"http://127.0.0.1:{port}/"):
            pass
    assert seen.connections == 1


async def test_a_pooled_connection_is_checked_by_its_peer(listener: tuple[Listener, int]) -> None:
    seen, port = listener
    connector = GuardedConnector([ip_network("127.0.0.0/8")])
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(f"http://127.0.0.1:{port}/") as response:
            assert response.status == 204
        connector._allowed = ()
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await session.post(f"http://127.0.0.1:{port}/")
        assert failure_reason(caught.value) == "refused"
    assert len(seen.heads) == 1


async def test_the_operator_url_is_checked_and_normalised_too(
    dsn: str, make_site: MakeSite, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_site("news")
    monkeypatch.setenv("DATABASE_URL", dsn)
    hook = ["sites", "webhook", "news", "--url"]
    assert await asyncio.to_thread(main, [*hook, "http://:secret@example.vn/hook"]) == 2
    assert await asyncio.to_thread(main, [*hook, UNICODE[0].format(port=8080)]) == 0
    stored = await db.fetchval("SELECT body ->> 'webhook_url' FROM policies WHERE version = 2")
    assert stored == "http://127.0.0.1:8080/hook"  # what delivery checks against the lists
