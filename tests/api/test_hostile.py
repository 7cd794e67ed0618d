"""Hostile input gets a 4xx problem, never a 500."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Awaitable, Callable
from unittest import mock

import orjson
import pytest
from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.test_utils import TestClient, make_mocked_request

from moderation.domain.models import CommentIn
from moderation.http import problems as errors
from moderation.http.bodies import BodyIncomplete, read_json
from moderation.keys import SETTINGS
from moderation.settings import Settings
from tests.conftest import auth, comment

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 10_000 + b"]" * 10_000, 400),
        (b'{"thread": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
        (b'{"thread": "a\\u0000b", "name": "x", "email": "a@b.vn", "body": "x"}', 422),
        (b'{"thread": 1e999999, "name": "x", "email": "a@b.vn", "body": "x"}', 422),
        (b"\x00\x00\x00", 400),
        (b"", 400),
        (b"null", 400),
        (b'"just a string"', 400),
    ],
)
async def test_hostile_bodies(client: TestClient, site_key: str, body: bytes, status: int) -> None:
    response = await client.post("/v1/comments", data=body, headers={**auth(site_key), **JSON})
    assert response.status == status
    assert response.content_type == "application/problem+json"


async def test_ten_megabytes_refused(client: TestClient, site_key: str) -> None:
    big = io.BytesIO(b'{"body": "' + b"x" * 10_000_000 + b'"}')
    response = await client.post("/v1/comments", data=big, headers={**auth(site_key), **JSON})
    assert response.status == 413


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": ["a@b.vn"]},
        {"parent_id": "not-a-uuid"},
        {"form_shown_at": "yesterday"},
        {"form_shown_at": "2024-01-01T00:00:00"},  # no time zone
        {"name": {"first": "An"}},
        {"idempotency_key": "has space"},
        {"honeypot": 5},
        {"author_ip": "::1::"},
    ],
)
async def test_wrong_types_name_the_field(
    client: TestClient, site_key: str, overrides: dict[str, object]
) -> None:
    response = await client.post("/v1/comments", json=comment(**overrides), headers=auth(site_key))
    assert response.status == 422
    fields = [e["field"] for e in (await response.json(content_type=None))["errors"]]
    assert fields and all(f.split(".")[0] in overrides for f in fields)


async def test_unicode_confusables_and_emoji_are_kept(client: TestClient, site_key: str) -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "Fullwidth")
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    text = f"{fullwidth} and emoji \U0001f44d\U0001f3fd and ZWJ {family} and Vietnamese Nguyễn"
    response = await client.post("/v1/comments", json=comment(body=text), headers=auth(site_key))
    assert response.status == 201
    view = await client.get(f"/v1/comments/{(await response.json())['id']}", headers=auth(site_key))
    assert (await view.json())["body"] == text


async def _raw(client: TestClient, request: bytes, wait: float = 10) -> bytes:
    """Send bytes on a fresh connection to the test server; what comes back before it closes."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), wait)
    finally:
        writer.close()


@pytest.mark.parametrize(
    "body",
    [
        b'{"thread": "a", "name": "x", "email": "a@b.vn", "body": "\xff\xfe not UTF-8"}',
        b'{"thread": "a", "name": "x", "email": "a@b.vn", "body": "lone \\ud800 surrogate"}',
        b'{"thread": "a", "name": "x", "email": "a@b.vn", "body": "nul \x00 byte"}',
    ],
)
async def test_broken_text_is_refused_cleanly(
    client: TestClient, site_key: str, body: bytes
) -> None:
    response = await client.post("/v1/comments", data=body, headers={**auth(site_key), **JSON})
    assert response.status == 400
    assert (await response.json(content_type=None))["detail"].startswith("The body is not valid")


@pytest.mark.parametrize(
    "headers",
    [
        b"".join(b"X-Flood-%d: %s\r\n" % (i, b"v" * 100) for i in range(500)),
        b"X-Huge: " + b"a" * 100_000 + b"\r\n",
    ],
)
async def test_header_floods_are_refused_and_the_server_lives(
    client: TestClient, headers: bytes
) -> None:
    answer = await _raw(client, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    assert (await client.get("/healthz")).status == 200


@pytest.mark.parametrize("settings_overrides", [{"body_timeout_seconds": 0.5}], indirect=True)
async def test_a_stalled_body_gets_408_while_others_are_served(
    client: TestClient, site_key: str
) -> None:
    start = (
        b"POST /v1/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + site_key.encode() + b"\r\nContent-Length: 500\r\n\r\n{"
    )
    stalled = [asyncio.create_task(_raw(client, start)) for _ in range(20)]
    served = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert served.status == 201
    for answer in await asyncio.gather(*stalled):
        assert answer.split(b"\r\n")[0].endswith(b"408 Request Timeout"), answer[:80]


async def test_a_client_leaving_mid_body_is_no_server_error(settings: Settings) -> None:
    # The test server cancels handlers when a client leaves; `moderation serve` lets them
    # run, and then reading the body raises ConnectionResetError ("Connection lost").
    app = web.Application()
    app[SETTINGS] = settings
    payload = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())
    payload.set_exception(ConnectionResetError("Connection lost"))
    request = make_mocked_request(
        "POST", "/v1/comments", app=app, payload=payload,
        headers={"Content-Type": "application/json", "Content-Length": "500"},
    )  # fmt: skip
    with pytest.raises(BodyIncomplete):
        await read_json(request, CommentIn)

    async def handler(request: web.Request) -> web.StreamResponse:
        await read_json(request, CommentIn)
        return web.Response()

    answer = await errors.problems(request, handler)
    assert answer.status == 400 and answer.content_type == "application/problem+json"


async def test_a_body_already_here_is_read_without_arming_a_timer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A timer per request costs ~2% of intake's CPU; only a body still arriving needs one.
    armed: list[float] = []
    real_timeout = asyncio.timeout

    def timeout(delay: float) -> asyncio.Timeout:
        armed.append(delay)
        return real_timeout(delay)

    monkeypatch.setattr(asyncio, "timeout", timeout)
    app = web.Application()
    app[SETTINGS] = settings
    body = orjson.dumps(comment())

    def request(complete: bool) -> web.Request:
        loop = asyncio.get_running_loop()
        payload = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=loop)
        payload.feed_data(body if complete else body[:10])
        if complete:
            payload.feed_eof()
        else:
            loop.call_later(0.05, payload.feed_data, body[10:])
            loop.call_later(0.06, payload.feed_eof)
        return make_mocked_request(
            "POST", "/v1/comments", app=app, payload=payload,
            headers={"Content-Type": "application/json", "Content-Length": str(len(body))},
        )  # fmt: skip

    assert (await read_json(request(complete=True), CommentIn)).body == comment()["body"]
    assert armed == []
    assert (await read_json(request(complete=False), CommentIn)).body == comment()["body"]
    assert armed == [settings.body_timeout_seconds]


def _cursor(*parts: object) -> str:
    raw = orjson.dumps(list(parts))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ID = "6f1c7a52-1f3e-4d4e-9d57-0c2a5d1f0a11"
EARLY = "0001-01-01T00:00:00+14:00"  # before year 1 in UTC: out of datetime's range
LATE = "9999-12-31T23:59:59-14:00"  # after year 9999 in UTC
HOSTILE_CURSORS = {
    "/v1/sites/news/queue": [
        _cursor("oldest", EARLY, ID),
        _cursor("oldest", LATE, ID),
        _cursor("oldest", "2026-01-01T00:00:00Z", 12),
        _cursor("score", "0.5", ID),
        _cursor("score", True, ID),
        _cursor("oldest", "2026-01-01T00:00:00Z"),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
    ],
    "/v1/sites/news/audit": [
        _cursor(EARLY, "decision", "1"),
        _cursor("2026-01-01T00:00:00Z", "decision", "a\x00b"),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00Z", "decision", "\\ud800"]').decode(),
        _cursor("2026-01-01T00:00:00Z", 5, ["x"]),
    ],
    "/v1/sites/news/threads/bai-viet-1/comments": [
        _cursor(EARLY, ID),
        _cursor(LATE, ID),
        _cursor("2026-01-01T00:00:00Z", 12),
        _cursor(20260101, ID),
    ],
}


@pytest.mark.parametrize(
    ("path", "cursor"), [(p, c) for p, cs in HOSTILE_CURSORS.items() for c in cs]
)
async def test_hostile_cursors_are_422_naming_the_cursor(
    client: TestClient,
    site_key: str,
    make_staff: Callable[..., Awaitable[str]],
    path: str,
    cursor: str,
) -> None:
    owner = await make_staff("hoa", role="owner")
    response = await client.get(
        path, params={"cursor": cursor}, headers={"Authorization": f"Bearer {owner}"}
    )
    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"
    assert (await response.json())["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("GET", "/v1/sites/news/threads/bai-viet-1/comments", "limit"),
        ("GET", "/v1/sites/news/queue", "limit"),
        ("GET", "/v1/sites/news/audit", "limit"),
        ("GET", "/v1/sites/news/stats", "days"),
        ("POST", "/v1/sites/news/policy/preview", "limit"),
        ("POST", "/v1/sites/news/policy/preview", "examples"),
    ],
)
@pytest.mark.parametrize("value", ["²", "٣", "1²", "-1", "0x10"])
async def test_numbers_that_only_look_like_digits_are_422(
    client: TestClient,
    site_key: str,
    make_staff: Callable[..., Awaitable[str]],
    method: str,
    path: str,
    name: str,
    value: str,
) -> None:
    owner = await make_staff("hoa", role="owner")
    headers = {"Authorization": f"Bearer {owner}"}
    json: dict[str, object] | None = {} if method == "POST" else None
    response = await client.request(method, path, params={name: value}, headers=headers, json=json)
    assert response.status == 422, await response.text()
    assert (await response.json())["errors"][0]["field"] == name
