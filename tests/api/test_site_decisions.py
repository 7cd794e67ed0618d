"""Websites report their own moderators' decisions with the site key; versions in force."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from moderation import admin
from tests.api.test_decisions import history
from tests.api.test_queue import claim, decide, held
from tests.conftest import MakeSite, MakeStaff
from tests.standin import KeywordScorer


async def test_site_key_decides_with_its_actor(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    response = await decide(client, site_key, cid, "spam", actor="  admin.wp ", note="bot")
    assert response.status == 200
    assert await response.json() == {"id": cid, "status": "spam", "changed": True}
    events = await history(client, lan, cid)
    assert (events[1]["actor"], events[1]["action"], events[1]["note"]) == (
        "site:admin.wp",
        "spam",
        "bot",
    )
    again = await decide(client, site_key, cid, "spam", actor="other")
    assert (await again.json())["changed"] is False
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1  # repeat: no new webhook
    [anonymous] = await held(client, site_key, 1)
    assert (await decide(client, site_key, anonymous, "not_spam")).status == 200
    assert (await history(client, lan, anonymous))[1]["actor"] == "site"


async def test_site_key_meets_a_moderators_live_lease_with_409(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    await claim(client, lan, 1)
    response = await decide(client, site_key, cid, "approve", actor="admin")
    assert response.status == 409
    assert response.content_type == "application/problem+json"


async def test_actor_is_for_site_keys_and_is_checked(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    staff_actor = await decide(client, lan, cid, "spam", actor="someone")
    assert staff_actor.status == 422
    assert (await staff_actor.json())["errors"][0]["field"] == "actor"
    for bad in ("x" * 101, "", "a\x00b", 5):
        response = await decide(client, site_key, cid, "spam", actor=bad)
        assert response.status == 422, bad


async def test_another_sites_key_finds_nothing(
    client: TestClient, site_key: str, make_site: MakeSite
) -> None:
    other = await make_site("blog")
    [cid] = await held(client, site_key, 1)
    assert (await decide(client, other, cid, "spam")).status == 404


async def test_events_record_the_versions_in_force_at_decision_time(
    client: TestClient, site_key: str, make_staff: MakeStaff, dsn: str, scorer: KeywordScorer
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    await admin.site_webhook(dsn, 5, "news", "https://example.vn/hook", rotate=False)
    scorer.version = "standin-keywords-2"
    assert (await decide(client, lan, cid, "approve")).status == 200
    events = await history(client, lan, cid)
    assert [(e["model_version"], e["policy_version"]) for e in events] == [
        ("standin-keywords-1", 1),
        ("standin-keywords-2", 2),
    ]
