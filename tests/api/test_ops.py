"""Operations endpoints and generic error handling."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from unittest.mock import ANY

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.runtime.logs import JsonFormatter
from moderation.settings import Settings
from tests.conftest import auth, comment
from tests.standin import KeywordScorer


async def test_healthz_and_readyz(client: TestClient) -> None:
    assert await (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {
        "status": "ready",
        "checks": {"model": True, "database": True},
        "database": {"role": "primary"},
        "model_version": "standin-keywords-1",
    }
    assert (await client.get("/readyz?require=primary")).status == 200


async def test_metrics_count_requests_decisions_and_scoring(
    client: TestClient, site_key: str
) -> None:
    await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    await client.post("/v1/comments", json=comment(body="casino"), headers=auth(site_key))
    text = await (await client.get("/metrics")).text()
    assert 'moderation_decisions_total{status="published"} 1.0' in text
    assert 'moderation_decisions_total{status="spam"} 1.0' in text
    assert (
        'moderation_http_requests_total{method="POST",route="/v1/comments",status="201"} 1.0'
        in text
    )
    assert "moderation_scoring_seconds_count" in text
    assert 'moderation_http_request_seconds_bucket{le="0.001",method="POST"' in text


async def test_access_log_is_structured_and_correlated(
    client: TestClient, site_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="moderation.api")
    response = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    line = next(r for r in caplog.records if r.name == "moderation.api")
    entry = orjson.loads(JsonFormatter().format(line))
    assert entry["id"] == response.headers["X-Request-Id"]
    assert (entry["method"], entry["route"], entry["status"]) == ("POST", "/v1/comments", 201)
    assert entry["msg"] == "request" and entry["ms"] > 0


async def test_openapi_served(client: TestClient) -> None:
    doc = await (await client.get("/openapi.json")).json()
    assert "/v1/comments" in doc["paths"]
    assert "CommentIn" in doc["components"]["schemas"]
    routes = {
        r.resource.canonical.replace("{thread:.+}", "{thread}")
        for r in client.app.router.routes()
        if r.resource is not None
        and r.method != "HEAD"
        # the web pages (HTML, session cookie) are not part of the JSON API
        and not r.resource.canonical.startswith("/ui")
    }
    assert routes <= set(doc["paths"])


async def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    missing = await client.get("/nope")
    assert missing.status == 404
    assert missing.content_type == "application/problem+json"
    wrong = await client.delete("/v1/comments")
    assert wrong.status == 405
    assert wrong.content_type == "application/problem+json"
    assert "POST" in wrong.headers["Allow"]


async def test_database_outage_503_then_recovers(
    client: TestClient, site_key: str, db: asyncpg.Connection, admin_dsn: str, dsn: str
) -> None:
    """Connections killed and refused: 503 with Retry-After, nothing stored, then service again."""
    assert (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).status == 201
    name = await db.fetchval("SELECT current_database()")
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        lost = comment(body="lúc mất DB")
        down = await client.post("/v1/comments", json=lost, headers=auth(site_key))
        assert down.status == 503
        assert down.headers["Retry-After"] == "1"  # a fresh connection loss: a failover?
        assert down.content_type == "application/problem+json"
        # still ready: the balancer keeps sending, and clients get this 503 + Retry-After
        ready = await client.get("/readyz")
        assert ready.status == 200
        assert (await ready.json())["database"]["role"] == "unavailable"
        primary = await client.get("/readyz?require=primary")
        assert (primary.status, primary.headers["Retry-After"]) == (503, "1")
        await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    finally:
        await admin.close()
    back = comment(body="đã trở lại")
    assert (await client.post("/v1/comments", json=back, headers=auth(site_key))).status == 201
    fresh = await asyncpg.connect(dsn)
    bodies = await fresh.fetch("SELECT body FROM comments ORDER BY created_at")
    await fresh.close()
    assert [r["body"] for r in bodies] == ["Bài viết rất hay, cảm ơn tác giả!", "đã trở lại"]


async def test_unreachable_server_503(
    settings: Settings,
    scorer: KeywordScorer,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    conf = settings.model_copy(update={"pool_min_size": 0, "db_timeout_seconds": 1.0})
    conf = conf.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/none"})
    client = await aiohttp_client(create_app(conf, lambda: scorer))
    response = await client.post("/v1/comments", json=comment(), headers=auth("sk_any"))
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["database"] == {
        "role": "unavailable",
        "cause": "connection",
        "seconds_down": ANY,
    }
    assert (await client.get("/readyz?require=primary")).status == 503
    assert (await client.get("/healthz")).status == 200


async def test_unexpected_error_is_a_500_problem_without_trace(
    settings: Settings,
    site_key: str,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    db: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(KeywordScorer):
        def score(self, texts: list[str]) -> list[dict[str, float]]:
            raise ZeroDivisionError("model bug")

    client = await aiohttp_client(create_app(settings, Broken))
    response = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert response.status == 500
    assert response.content_type == "application/problem+json"
    text = await response.text()
    assert "Traceback" not in text and "ZeroDivisionError" not in text and "model bug" not in text
    assert await db.fetchval("SELECT count(*) FROM comments") == 0
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)
