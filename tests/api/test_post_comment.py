"""POST /v1/comments: every status code and the stored result."""

from __future__ import annotations

import asyncio
import unicodedata
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import MakeSite, auth, both_intake_statements, comment
from tests.standin import KeywordScorer

intake_statement = both_intake_statements  # every test with each intake statement

PROBLEM = "application/problem+json"


async def post(client: TestClient, key: str, **overrides: object) -> tuple[int, dict[str, Any]]:
    response = await client.post("/v1/comments", json=comment(**overrides), headers=auth(key))
    return response.status, await response.json(content_type=None)


async def test_published_answers_201_and_stores_everything(
    client: TestClient, site_key: str, db: asyncpg.Connection
) -> None:
    status, body = await post(client, site_key)
    assert status == 201
    assert set(body) == {"id", "status", "scores", "reasons", "model_version", "adapter_version"}
    assert body["status"] == "published" and body["reasons"] == []
    assert body["model_version"] == "standin-keywords-1"
    assert set(body["scores"]) == {"spam", "abuse", "hate"}
    row = await db.fetchrow("SELECT * FROM comments WHERE id = $1::uuid", body["id"])
    assert row["status"] == "published" and row["policy_version"] == 1
    events = await db.fetch("SELECT * FROM comment_events WHERE comment_id = $1", row["id"])
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in events] == [
        (None, "published", "system")
    ]
    # no webhook_url: no outbox row (tests/integration/test_webhooks.py has the site with one)
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0


@pytest.mark.parametrize(
    ("text", "status", "reasons"),
    [
        ("maybe-spam, xem thử", "pending", ["spam:hold"]),
        ("Buy now at our casino!", "spam", ["spam:reject"]),
        ("Mày là đồ ngu", "rejected", ["abuse:reject"]),
    ],
)
async def test_held_rejected_spam_answer_202(
    client: TestClient, site_key: str, text: str, status: str, reasons: list[str]
) -> None:
    code, body = await post(client, site_key, body=text)
    assert (code, body["status"], body["reasons"]) == (202, status, reasons)


async def test_honeypot_filled_is_spam(client: TestClient, site_key: str) -> None:
    code, body = await post(client, site_key, honeypot="i am a bot")
    assert (code, body["status"], body["reasons"]) == (202, "spam", ["honeypot:reject"])


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}, {"Authorization": ""}],
)
async def test_bad_key_401(client: TestClient, site_key: str, headers: dict[str, str]) -> None:
    response = await client.post("/v1/comments", json=comment(), headers=headers)
    assert response.status == 401
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await response.json(content_type=None))["status"] == 401


@pytest.mark.parametrize("body", [b"{", b'{"thread": "x",}', b"\xff\xfe", b'{"body": "\\ud800"}'])
async def test_malformed_json_400(client: TestClient, site_key: str, body: bytes) -> None:
    headers = {**auth(site_key), "Content-Type": "application/json"}
    response = await client.post("/v1/comments", data=body, headers=headers)
    assert response.status == 400
    assert response.content_type == PROBLEM


async def test_non_object_json_400(client: TestClient, site_key: str) -> None:
    response = await client.post("/v1/comments", json=[comment()], headers=auth(site_key))
    assert response.status == 400


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_wrong_content_type_415(client: TestClient, site_key: str, ctype: str | None) -> None:
    headers = auth(site_key) | ({"Content-Type": ctype} if ctype else {})
    response = await client.post("/v1/comments", data=b'{"a": 1}', headers=headers)
    assert response.status == 415
    assert response.content_type == PROBLEM


async def test_json_with_charset_accepted(client: TestClient, site_key: str) -> None:
    headers = {**auth(site_key), "Content-Type": "application/json; charset=utf-8"}
    response = await client.post("/v1/comments", data=orjson.dumps(comment()), headers=headers)
    assert response.status == 201


async def test_oversized_body_413(
    client: TestClient, site_key: str, db: asyncpg.Connection
) -> None:
    response = await client.post(
        "/v1/comments", json=comment(body="x" * 70_000), headers=auth(site_key)
    )
    assert response.status == 413
    assert response.content_type == PROBLEM
    assert await db.fetchval("SELECT count(*) FROM comments") == 0


async def test_oversized_chunked_body_413(client: TestClient, site_key: str) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"body": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    headers = {**auth(site_key), "Content-Type": "application/json"}
    response = await client.post("/v1/comments", data=chunks(), headers=headers)
    assert response.status == 413


async def test_invalid_fields_422_name_each_field(client: TestClient, site_key: str) -> None:
    payload = {"thread": "", "name": "x" * 101, "email": "nope", "body": "a\x00b", "extra": 1}
    response = await client.post("/v1/comments", json=payload, headers=auth(site_key))
    assert response.status == 422
    body = await response.json(content_type=None)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields == {
        "thread": "must not be empty",
        "name": "must be at most 100 characters",
        "email": "is not a valid email address",
        "body": "must not contain control characters",
        "extra": "Extra inputs are not permitted",
    }
    assert "nope" not in await response.text()


async def test_missing_fields_422(client: TestClient, site_key: str) -> None:
    response = await client.post("/v1/comments", json={}, headers=auth(site_key))
    assert response.status == 422
    fields = {e["field"] for e in (await response.json(content_type=None))["errors"]}
    assert fields == {"thread", "name", "email", "body"}


async def test_reply_to_unknown_parent_422(client: TestClient, site_key: str) -> None:
    code, body = await post(client, site_key, parent_id="00000000-0000-4000-8000-000000000000")
    assert code == 422
    assert body["errors"] == [{"field": "parent_id", "message": "no such comment in this thread"}]


async def test_reply_to_parent_in_same_thread(client: TestClient, site_key: str) -> None:
    _, parent = await post(client, site_key)
    code, _ = await post(client, site_key, parent_id=parent["id"], body="Đồng ý!")
    assert code == 201
    code, _ = await post(client, site_key, parent_id=parent["id"], thread="khac")
    assert code == 422


async def test_idempotency_header_returns_first_answer(
    client: TestClient, site_key: str, db: asyncpg.Connection
) -> None:
    headers = {**auth(site_key), "Idempotency-Key": "retry-1"}
    first = await client.post("/v1/comments", json=comment(), headers=headers)
    again = await client.post("/v1/comments", json=comment(body="casino!"), headers=headers)
    assert (first.status, again.status) == (201, 201)
    assert await first.json() == await again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await db.fetchval("SELECT count(*) FROM comments") == 1
    assert await db.fetchval("SELECT count(*) FROM comment_events") == 1


async def test_idempotency_field_and_scope_per_site(
    client: TestClient, site_key: str, make_site: MakeSite, db: asyncpg.Connection
) -> None:
    other = await make_site("other")
    _, a = await post(client, site_key, idempotency_key="k")
    _, b = await post(client, site_key, idempotency_key="k")
    _, c = await post(client, other, idempotency_key="k")
    assert a == b and a["id"] != c["id"]
    assert await db.fetchval("SELECT count(*) FROM comments") == 2


async def test_idempotency_under_concurrent_retries(
    client: TestClient, site_key: str, db: asyncpg.Connection
) -> None:
    headers = {**auth(site_key), "Idempotency-Key": "storm"}
    responses = await asyncio.gather(
        *(client.post("/v1/comments", json=comment(), headers=headers) for _ in range(20))
    )
    bodies = [await r.json() for r in responses]
    assert {r.status for r in responses} == {201}
    assert len({b["id"] for b in bodies}) == 1
    assert await db.fetchval("SELECT count(*) FROM comments") == 1
    assert await db.fetchval("SELECT count(*) FROM comment_events") == 1


async def test_bad_idempotency_header_422(client: TestClient, site_key: str) -> None:
    headers = {**auth(site_key), "Idempotency-Key": "x" * 300}
    response = await client.post("/v1/comments", json=comment(), headers=headers)
    assert response.status == 422
    errors = (await response.json(content_type=None))["errors"]
    assert errors[0]["field"] == "Idempotency-Key"


async def test_stored_text_is_nfc_and_trimmed(
    client: TestClient, site_key: str, db: asyncpg.Connection
) -> None:
    nfd = unicodedata.normalize("NFD", "  Trần Thị Hoà  ")
    _, body = await post(client, site_key, name=nfd)
    name = await db.fetchval("SELECT author_name FROM comments WHERE id = $1::uuid", body["id"])
    assert name == "Trần Thị Hoà" and unicodedata.is_normalized("NFC", name)


async def test_scoring_is_batched_across_concurrent_posts(
    client: TestClient, site_key: str, scorer: KeywordScorer
) -> None:
    await asyncio.gather(*(post(client, site_key, body=f"bình luận {i}") for i in range(30)))
    assert sum(scorer.batches) == 30
