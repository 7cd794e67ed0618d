"""Webhook delivery from the outbox to a local receiver: signed, retried, once, resumable."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from ipaddress import ip_network

import asyncpg
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from moderation import admin
from moderation.app import create_app
from moderation.domain.outbox import Attempt, WebhookEvent
from moderation.domain.targets import refused_address
from moderation.runtime.metrics import Metrics
from moderation.runtime.webhooks import WebhookWorker, running
from moderation.settings import Settings
from moderation.store import Store, create_pool
from tests.conftest import MakeStaff, auth, comment
from tests.standin import KeywordScorer

FAST = {
    "webhook_backoff_seconds": 0.05,
    "webhook_backoff_cap_seconds": 0.2,
    "webhook_poll_seconds": 0.05,
    "webhook_timeout_seconds": 2.0,
}


class Receiver:
    """A website's webhook endpoint: records every request, answers `status`."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.read()))
        await asyncio.sleep(self.delay)
        return web.Response(status=self.status)

    def event_ids(self) -> list[str]:
        return [headers["X-Moderation-Event-Id"] for headers, _ in self.calls]


@asynccontextmanager
async def listening(receiver: Receiver, port: int) -> AsyncIterator[str]:
    """Serve the receiver on a local port; its URL."""
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app's own worker is off: each test runs the workers it needs."""
    return settings.model_copy(update={"webhooks": False, **FAST})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    """A receiver listening on a random port, and its URL."""
    found = Receiver()
    async with listening(found, admin.free_port()) as url:
        yield found, url


@asynccontextmanager
async def worker(
    dsn: str, settings: Settings, background: bool = True
) -> AsyncIterator[WebhookWorker]:
    """A worker with its own pool, as another process would have."""
    async with create_pool(dsn, 1, 2, 3) as pool:
        live = settings.model_copy(update={"webhooks": background})
        async with running(Store(pool, 3), live, Metrics()) as hooks:
            yield hooks


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    """Wait for a condition the background workers bring about."""
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def hook_site(dsn: str, url: str | None) -> str:
    """Point the "news" site at a URL; its secret."""
    secret, _ = await admin.site_webhook(dsn, 5, "news", url, rotate=False)
    return secret


async def post(client: TestClient, key: str, n: int = 1, **fields: object) -> list[str]:
    """Post n comments; their ids."""
    ids = []
    for i in range(n):
        body = comment(body=f"Bình luận số {i}", **fields)
        response = await client.post("/v1/comments", json=body, headers=auth(key))
        assert response.status in (201, 202)
        ids.append((await response.json())["id"])
    return ids


async def states(db: asyncpg.Connection) -> list[str]:
    return [r["state"] for r in await db.fetch("SELECT state FROM outbox ORDER BY id")]


async def test_delivers_a_signed_event(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    db: asyncpg.Connection,
    receiver: tuple[Receiver, str],
) -> None:
    hook, url = receiver
    secret = await hook_site(dsn, url)
    [cid] = await post(client, site_key, permalink="https://example.vn/bai-1#c1")
    async with worker(dsn, settings, background=False) as one:
        assert await one.run_once() == 1
    [(headers, body)] = hook.calls
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Moderation-Signature"], f"sha256={expected}")
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Moderation-Event"] == "comment.created"
    event = orjson.loads(body)
    WebhookEvent.model_validate(event)  # the schema published in /openapi.json
    assert event["event_id"] == headers["X-Moderation-Event-Id"]
    assert event["event"] == "comment.created" and event["site"] == "news"
    assert event["created_at"].endswith("Z")
    assert event["comment"]["id"] == cid and event["comment"]["status"] == "published"
    assert event["comment"]["previous_status"] is None and event["comment"]["action"] is None
    assert event["comment"]["actor"] == "system"
    assert event["comment"]["permalink"] == "https://example.vn/bai-1#c1"
    assert event["comment"]["model_version"] == "standin-keywords-1"
    assert b"example.com" not in body  # no email, not even its domain
    assert await states(db) == ["delivered"]
    log = await db.fetchrow("SELECT attempt, outcome, http_status, error FROM webhook_deliveries")
    assert log is not None and tuple(log) == (1, "delivered", 200, None)


async def test_decision_event_carries_the_change(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    make_staff: MakeStaff,
    receiver: tuple[Receiver, str],
) -> None:
    hook, url = receiver
    await hook_site(dsn, url)
    lan = await make_staff("lan")
    [cid] = await post(client, site_key)
    answer = await client.post(
        f"/v1/comments/{cid}/decision", json={"action": "spam"}, headers=auth(lan)
    )
    assert answer.status == 200
    async with worker(dsn, settings, background=False) as one:
        assert await one.run_once() == 2
    events = {orjson.loads(body)["event"]: orjson.loads(body) for _, body in hook.calls}
    assert all(WebhookEvent.model_validate(e) for e in events.values())
    change = events["comment.status_changed"]["comment"]
    assert (change["previous_status"], change["status"]) == ("published", "spam")
    assert (change["action"], change["actor"]) == ("spam", "lan")
    assert change["policy_version"] == 2  # the version the webhook URL made, in force now
    assert change["created_at"] == events["comment.created"]["comment"]["created_at"]


async def test_redaction_sends_the_public_copy_and_an_edit_event(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    make_staff: MakeStaff,
    db: asyncpg.Connection,
    receiver: tuple[Receiver, str],
) -> None:
    """Edit and publish: the site learns the edited copy, not only the new status, so it does
    not publish its own (original) text; an edit that leaves the status sends comment.edited."""
    hook, url = receiver
    await hook_site(dsn, url)
    lan = await make_staff("lan")
    held, kept = [
        (await (await client.post("/v1/comments", json=comment(body=text),
                                  headers=auth(site_key))).json())["id"]
        for text in ("maybe-spam gọi anh Tuấn ở 12 ngõ Huế", "Bài hay")
    ]  # fmt: skip
    public = "maybe-spam gọi anh Tuấn [đã ẩn]"
    edit = {"public_body": public, "note": "địa chỉ"}
    answer = await client.post(f"/v1/comments/{held}/redaction", json=edit, headers=auth(lan))
    assert answer.status == 200 and (await answer.json())["published"] is True
    again = await client.post(f"/v1/comments/{held}/redaction", json=edit, headers=auth(lan))
    assert (await again.json())["edited"] is False  # the same copy: no new event
    only = {"public_body": "Bài rất hay", "publish": False}
    answer = await client.post(f"/v1/comments/{kept}/redaction", json=only, headers=auth(lan))
    assert answer.status == 200
    rows = await db.fetch("SELECT comment_id::text, event FROM outbox ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (held, "comment.created"), (kept, "comment.created"), (held, "comment.edited"),
        (held, "comment.status_changed"), (kept, "comment.edited"),
    ]  # fmt: skip
    async with worker(dsn, settings, background=False) as one:
        assert await one.run_once() == 5
    events = [orjson.loads(body) for _, body in hook.calls]
    assert all(WebhookEvent.model_validate(e) for e in events)
    sent = {(e["comment"]["id"], e["event"]): e["comment"] for e in events}
    assert sent[(held, "comment.created")]["public_body"] == "maybe-spam gọi anh Tuấn ở 12 ngõ Huế"
    edited = sent[(held, "comment.edited")]
    assert (edited["public_body"], edited["status"], edited["actor"]) == (public, "pending", "lan")
    published = sent[(held, "comment.status_changed")]
    assert (published["status"], published["public_body"]) == ("published", public)
    assert "ngõ Huế" not in orjson.dumps(published).decode()
    other = sent[(kept, "comment.edited")]
    assert (other["status"], other["previous_status"], other["public_body"]) == (
        "published", "published", "Bài rất hay",
    )  # fmt: skip


async def test_retried_after_the_receiver_was_down(
    client: TestClient, site_key: str, dsn: str, settings: Settings, db: asyncpg.Connection
) -> None:
    port = admin.free_port()
    await hook_site(dsn, f"http://127.0.0.1:{port}/hook")
    await post(client, site_key)
    down = "SELECT count(*) FROM webhook_deliveries WHERE outcome = 'retry' AND error IS NOT NULL"
    hook = Receiver()
    async with worker(dsn, settings):
        await until(lambda: _at_least(db, down, 2))
        assert await states(db) == ["pending"]
        async with listening(hook, port):
            await until(
                lambda: _at_least(db, "SELECT count(*) FROM outbox WHERE state = 'delivered'", 1)
            )
    assert len(hook.calls) == 1
    attempts = await db.fetch("SELECT attempt, outcome FROM webhook_deliveries ORDER BY id")
    assert [r["attempt"] for r in attempts] == list(range(1, len(attempts) + 1))
    assert attempts[-1]["outcome"] == "delivered"


async def _at_least(db: asyncpg.Connection, query: str, n: int) -> bool:
    return int(await db.fetchval(query)) >= n


async def test_two_workers_deliver_each_event_once(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    db: asyncpg.Connection,
    receiver: tuple[Receiver, str],
) -> None:
    hook, url = receiver
    hook.delay = 0.02  # keeps both workers busy at once
    await hook_site(dsn, url)
    await post(client, site_key, 40)
    few = settings.model_copy(update={"webhook_batch": 5})
    async with AsyncExitStack() as stack:
        for _ in range(2):
            await stack.enter_async_context(worker(dsn, few))
        delivered = "SELECT count(*) FROM outbox WHERE state = 'delivered'"
        await until(lambda: _at_least(db, delivered, 40))
    ids = hook.event_ids()
    assert len(ids) == len(set(ids)) == 40
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 40


async def test_resumes_after_a_worker_restart(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    db: asyncpg.Connection,
    receiver: tuple[Receiver, str],
) -> None:
    hook, url = receiver
    await hook_site(dsn, url)
    await post(client, site_key, 3)
    # a worker leases everything, then dies before sending anything
    async with create_pool(dsn, 1, 1, 3) as pool:
        crashed = await Store(pool, 3).lease_outbox(10, 0.3)
    assert len(crashed) == 3
    async with worker(dsn, settings):
        delivered = "SELECT count(*) FROM outbox WHERE state = 'delivered'"
        await until(lambda: _at_least(db, delivered, 3))
    assert sorted(hook.event_ids()) == sorted(str(i.event_id) for i in crashed)
    # the dead worker's late report changes nothing: its lease was taken over
    async with create_pool(dsn, 1, 1, 3) as pool:
        late = await Store(pool, 3).settle_outbox(crashed[0], Attempt(outcome="retry"), 1, 60)
    assert late is None and await states(db) == ["delivered"] * 3


async def test_failed_after_the_maximum_age(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    db: asyncpg.Connection,
    receiver: tuple[Receiver, str],
) -> None:
    hook, url = receiver
    hook.status = 500
    await hook_site(dsn, url)
    await post(client, site_key)
    await db.execute("UPDATE outbox SET created_at = now() - interval '25 hours'")
    async with worker(dsn, settings, background=False) as one:
        assert await one.run_once() == 1
        assert await one.run_once() == 0
    assert await states(db) == ["failed"]
    log = await db.fetchrow("SELECT outcome, http_status FROM webhook_deliveries")
    assert log is not None and tuple(log) == ("failed", 500)
    assert len(hook.calls) == 1


async def test_skipped_without_a_webhook_url(
    client: TestClient, site_key: str, dsn: str, settings: Settings, db: asyncpg.Connection
) -> None:
    await post(client, site_key, 2)
    assert await states(db) == []  # no outbox row at all: nothing to lease, nothing written
    async with worker(dsn, settings, background=False) as one:
        assert await one.run_once() == 0
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def test_secret_is_kept_until_rotated(site_key: str, dsn: str) -> None:
    first, _ = await admin.site_webhook(dsn, 5, "news", None, rotate=False)
    again, _ = await admin.site_webhook(dsn, 5, "news", None, rotate=False)
    rotated, version = await admin.site_webhook(
        dsn, 5, "news", "https://example.vn/hook", rotate=True
    )
    assert first == again != rotated and version == 2
    assert first.startswith("whsec_") and len(first) == 6 + 43
    assert rotated.startswith("whsec_") and len(rotated) == 6 + 43


async def test_the_service_delivers_in_the_background(
    settings: Settings,
    site_key: str,
    dsn: str,
    db: asyncpg.Connection,
    receiver: tuple[Receiver, str],
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    hook, url = receiver
    await hook_site(dsn, url)
    # a long poll: the intake itself wakes the worker
    live = settings.model_copy(update={"webhooks": True, "webhook_poll_seconds": 30})
    client = await aiohttp_client(create_app(live, KeywordScorer))
    await post(client, site_key)
    await until(lambda: _at_least(db, "SELECT count(*) FROM outbox WHERE state = 'delivered'", 1))
    assert len(hook.calls) == 1
    metrics = await (await client.get("/metrics")).text()
    assert 'moderation_webhook_deliveries_total{outcome="delivered"} 1.0' in metrics


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.1.10", True),
        ("172.16.0.5", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("fe80::1%eth0", True),
        ("fd00::1", True),
        ("93.184.215.14", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_webhooks_reach_public_addresses_only(address: str, refused: bool) -> None:
    assert refused_address(address, ()) is refused
    assert refused_address("10.1.2.3", (ip_network("10.0.0.0/8"),)) is False


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
async def test_a_webhook_url_inside_the_network_is_never_called(
    client: TestClient,
    site_key: str,
    dsn: str,
    settings: Settings,
    db: asyncpg.Connection,
    receiver: tuple[Receiver, str],
    host: str,
) -> None:
    hook, url = receiver
    await hook_site(dsn, url.replace("127.0.0.1", host))
    await post(client, site_key)
    strict = settings.model_copy(update={"webhook_allowed_networks": ()})
    async with worker(dsn, strict, background=False) as one:
        assert await one.run_once() == 1
    assert hook.calls == []
    log = await db.fetchrow("SELECT outcome, http_status, error FROM webhook_deliveries")
    assert log is not None and log["outcome"] == "retry" and log["http_status"] is None
    assert "may not reach" in log["error"]
