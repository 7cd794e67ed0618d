"""GET /v1/site: a website checks its site key and webhook secret when its owner saves them."""

from __future__ import annotations

import hashlib
import hmac

import asyncpg
from aiohttp.test_utils import TestClient

from moderation import admin
from tests.conftest import MakeSite, auth


async def test_a_site_key_says_which_site_it_opens(client: TestClient, dsn: str) -> None:
    key = await admin.add_site(dsn, 5, "tin-tuc")
    answer = await client.get("/v1/site", headers=auth(key))
    assert answer.status == 200
    body = await answer.json()
    assert (body["site"], body["name"]) == ("tin-tuc", "tin-tuc")
    assert (body["webhook_configured"], body["webhook_url"]) == (False, None)
    secret, _ = await admin.site_webhook(dsn, 5, "tin-tuc", "https://tin.example/hook", False)
    # The check value is the HMAC a website computes from the secret it was given.
    mine = hmac.new(secret.encode(), b"moderation webhook secret check v1", hashlib.sha256)
    body = await (await client.get("/v1/site", headers=auth(key))).json()
    assert body["webhook_secret_check"] == mine.hexdigest()
    assert (body["webhook_configured"], body["webhook_url"]) == (True, "https://tin.example/hook")
    assert secret not in str(body)


async def test_a_wrong_key_is_refused(client: TestClient, make_site: MakeSite) -> None:
    await make_site("news")
    for headers in ({}, auth("sk_typo"), {"Authorization": "Basic eDp5"}):
        answer = await client.get("/v1/site", headers=headers)
        assert answer.status == 401
        assert answer.content_type == "application/problem+json"


async def test_a_rotated_secret_changes_the_check(client: TestClient, dsn: str) -> None:
    key = await admin.add_site(dsn, 5, "news")
    before = (await (await client.get("/v1/site", headers=auth(key))).json())[
        "webhook_secret_check"
    ]
    await admin.site_webhook(dsn, 5, "news", None, True)
    after = (await (await client.get("/v1/site", headers=auth(key))).json())["webhook_secret_check"]
    assert before != after


async def test_checking_a_key_writes_nothing(
    client: TestClient, dsn: str, db: asyncpg.Connection
) -> None:
    """A website checks its settings with a GET: the site's row is read, never rewritten."""
    key = await admin.add_site(dsn, 5, "news")
    before = await db.fetchval("SELECT xmin::text FROM sites WHERE slug = 'news'")
    assert (await client.get("/v1/site", headers=auth(key))).status == 200
    assert await db.fetchval("SELECT xmin::text FROM sites WHERE slug = 'news'") == before
