"""Revocable credentials: rotated site keys (with a grace period) and revoked staff tokens.

The test settings cache no sites, so each change shows at once (in production within
site_cache_seconds)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from moderation import admin
from moderation.domain.errors import NotFound
from tests.conftest import MakeStaff, auth, comment

QUEUE = "/v1/sites/news/queue"


async def test_rotated_key_replaces_the_old_one_at_once_without_grace(
    client: TestClient, dsn: str, site_key: str
) -> None:
    assert (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).ok
    new = await admin.rotate_key(dsn, 5, "news", timedelta(0))
    old = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert old.status == 401
    fresh = await client.post("/v1/comments", json=comment(), headers=auth(new))
    assert fresh.status in (201, 202)


async def test_old_key_works_during_the_grace_period(
    client: TestClient, dsn: str, site_key: str
) -> None:
    new = await admin.rotate_key(dsn, 5, "news", timedelta(hours=1))
    for key in (site_key, new):
        answer = await client.post("/v1/comments", json=comment(), headers=auth(key))
        assert answer.status in (201, 202)
    # a second rotation ends the first key's grace: only the last two keys are ever valid
    newest = await admin.rotate_key(dsn, 5, "news", timedelta(hours=1))
    assert (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).status == 401
    for key in (new, newest):
        assert (await client.post("/v1/comments", json=comment(), headers=auth(key))).ok


async def test_revoked_token_is_refused_and_rotating_never_reinstates(
    client: TestClient, dsn: str, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("mai")
    assert (await client.get(QUEUE, headers=auth(token))).status == 200
    await admin.revoke(dsn, 5, "news", "mai")
    assert (await client.get(QUEUE, headers=auth(token))).status == 401
    fresh, revoked = await admin.new_token(dsn, 5, "news", "mai")
    assert revoked  # a new token is no way back in
    assert (await client.get(QUEUE, headers=auth(fresh))).status == 401
    await admin.restore(dsn, 5, "news", "mai")
    assert (await client.get(QUEUE, headers=auth(fresh))).status == 200
    assert (await client.get(QUEUE, headers=auth(token))).status == 401


async def test_unknown_site_or_user_is_reported(dsn: str, site_key: str) -> None:
    for call in (
        admin.rotate_key(dsn, 5, "nope", timedelta(0)),
        admin.revoke(dsn, 5, "news", "nobody"),
        admin.new_token(dsn, 5, "nope", "mai"),
        admin.restore(dsn, 5, "news", "nobody"),
    ):
        try:
            await call
        except NotFound:
            continue
        raise AssertionError("expected NotFound")
