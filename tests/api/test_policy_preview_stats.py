"""Preview and stats over stored comments, and a policy change reaching another process."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.settings import Settings
from tests.api.test_policy_rules import Setup, post, set_policy, site
from tests.conftest import auth, comment
from tests.standin import KeywordScorer

__all__ = ["site"]  # the fixture, shared with the rules tests


async def test_preview_replays_the_current_policy_exactly(
    client: TestClient, site: Setup, db: asyncpg.Connection
) -> None:
    key, owner = site
    await set_policy(client, owner, {
        "premoderate_new_authors": True, "duplicates": {"max_copies": 1},
        "watched_terms": ["hoà bình"], "max_links": 1,
    })  # fmt: skip
    repeated = "Chuỗi văn bản quảng cáo lặp lại nhiều lần"
    bodies = ["Mong hòa bình", "xem http://x.example", "maybe-spam chào", "you idiot",
              repeated, repeated]  # fmt: skip
    for i, body in enumerate(bodies):
        await post(client, key, body=body, email=f"u{i % 2}@example.com", thread=f"t{i}")
    resp = await client.post("/v1/sites/news/policy/preview", json={}, headers=owner)
    out = await resp.json()
    stored = Counter(r["intake_status"] for r in await db.fetch("SELECT * FROM comments"))
    assert resp.status == 200 and out["comments"] == 6 and out["changed"] == 0
    assert {k: v for k, v in out["before"].items() if v} == dict(stored)


async def test_preview_counts_moves_and_agreement(
    client: TestClient, site: Setup, make_staff: Callable[..., Awaitable[str]]
) -> None:
    key, owner = site
    ids = {}
    for i, body in enumerate(["cảm ơn", "maybe-spam a", "maybe-spam b", "Đồ ngu thật"]):
        ids[body] = (await post(client, key, body=body, thread=f"t{i}"))[1]["id"]
    for body, action in (("maybe-spam a", "spam"), ("maybe-spam b", "approve")):
        resp = await client.post(
            f"/v1/comments/{ids[body]}/decision", json={"action": action}, headers=owner
        )
        assert resp.status == 200
    change = {"thresholds": {"spam": {"reject": 0.7}}, "blocked_terms": ["đồ ngu"]}
    resp = await client.post("/v1/sites/news/policy/preview?examples=1", json=change, headers=owner)
    out = await resp.json()
    assert out["before"] == {"published": 1, "pending": 2, "rejected": 1, "spam": 0}
    assert out["after"] == {"published": 1, "pending": 0, "rejected": 1, "spam": 2}
    assert [(t["from_status"], t["to_status"], t["count"]) for t in out["transitions"]] == [
        ("pending", "spam", 2)
    ]
    assert len(out["transitions"][0]["examples"]) == 1
    assert out["decided"] == 2
    assert out["agreement_before"] == {"right": 0, "wrong": 0, "held": 2}
    assert out["agreement_after"] == {"right": 1, "wrong": 1, "held": 0}
    assert out["policy"]["blocked_terms"] == ["đồ ngu"] and out["policy"]["version"] == 1
    bad = await client.post("/v1/sites/news/policy/preview", json={"max_links": -1}, headers=owner)
    assert bad.status == 422
    moderator = auth(await make_staff("mod"))
    denied = await client.post("/v1/sites/news/policy/preview", json={}, headers=moderator)
    assert denied.status == 403


async def test_preview_counts_links_under_the_candidates_trusted_domains(
    client: TestClient, site: Setup
) -> None:
    key, owner = site
    await set_policy(client, owner, {"max_links": 1})
    _, held = await post(client, key, body="xem thêm https://peer.example.vn/bai-1")
    _, spam = await post(client, key, body="nhận code https://w88vn.link", thread="t2")
    assert held["status"] == spam["status"] == "pending"
    change = {"trusted_domains": ["example.vn"]}
    resp = await client.post("/v1/sites/news/policy/preview", json=change, headers=owner)
    out = await resp.json()
    assert [(t["from_status"], t["to_status"], t["count"]) for t in out["transitions"]] == [
        ("pending", "published", 1)
    ]
    assert out["transitions"][0]["examples"][0]["id"] == held["id"]
    assert out["policy"]["trusted_domains"] == ["example.vn"]


async def test_stats_on_a_known_set(client: TestClient, site: Setup) -> None:
    key, owner = site
    made = [(await post(client, key, body=b, thread=f"t{i}"))[1] for i, b in enumerate(
        ["hay", "maybe-spam 1", "maybe-spam 2", "maybe-spam 3", "casino", "idiot"]
    )]  # fmt: skip
    for item, action in ((made[1], "approve"), (made[2], "spam"), (made[4], "not_spam")):
        resp = await client.post(
            f"/v1/comments/{item['id']}/decision", json={"action": action}, headers=owner
        )
        assert resp.status == 200
    resp = await client.get("/v1/sites/news/stats?days=7", headers=owner)
    out = await resp.json()
    assert resp.status == 200 and out["days"] == 7 and out["time_zone"] == "UTC"
    assert {v["status"]: v["count"] for v in out["volumes"]} == {
        "published": 3, "pending": 1, "spam": 1, "rejected": 1
    }  # fmt: skip
    assert out["queue_depth"] == 1 and out["oldest_pending_seconds"] >= 0
    assert (out["decided"], out["auto_decided"], out["overturned"]) == (3, 1, 1)
    assert out["overturn_rate"] == 1.0  # the spam comment a moderator published
    assert out["median_decision_seconds"] >= 0
    spam = out["by_label"]["spam"]
    assert (spam["held_decided"], spam["held_fine_share"]) == (2, 0.5)
    assert (spam["rejected_decided"], spam["reject_precision"]) == (1, 0.0)
    assert out["by_label"]["abuse"]["reject_precision"] is None
    reasons = {r["reason"]: r for r in out["by_reason"]}
    assert reasons["spam:hold"] == {
        "reason": "spam:hold", "decided": 2, "published": 1, "removed": 1, "overturn_rate": 0.5
    }  # fmt: skip
    assert (await client.get("/v1/sites/news/stats?days=0", headers=owner)).status == 422


async def test_stats_days_follow_the_site_time_zone(client: TestClient, site: Setup) -> None:
    key, owner = site
    await set_policy(client, owner, {"time_zone": "Asia/Ho_Chi_Minh"})
    await post(client, key)
    out = await (await client.get("/v1/sites/news/stats", headers=owner)).json()
    assert out["time_zone"] == "Asia/Ho_Chi_Minh" and len(out["volumes"]) == 1
    assert out["since"].endswith(("17:00:00Z", "17:00:00+00:00"))  # local midnight, UTC+7


async def test_a_change_reaches_another_process_within_the_cache_time(
    settings: Settings,
    scorer: KeywordScorer,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    site: Setup,
) -> None:
    key, owner = site
    cached = settings.model_copy(update={"site_cache_seconds": 1.0})
    one = await aiohttp_client(create_app(cached, lambda: scorer))
    two = await aiohttp_client(create_app(cached, lambda: scorer))

    async def status(client: TestClient) -> Any:
        resp = await client.post("/v1/comments", json=comment(body="hoà bình"), headers=key)
        return (await resp.json())["status"]

    assert await status(two) == "published"  # two now holds the site in its cache
    await set_policy(one, owner, {"watched_terms": ["hòa bình"]})
    assert await status(one) == "pending"  # the process that changed it
    await asyncio.sleep(1.1)  # the documented bound: MODERATION_SITE_CACHE_SECONDS
    assert await status(two) == "pending"
