"""Hostile input gets a 4xx problem, never a 500."""

from __future__ import annotations

import io

import pytest
from aiohttp.test_utils import TestClient

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
