"""Moderators' decisions: status changes, leases, idempotency, events and outbox rows."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp.test_utils import TestClient

from tests.api.test_queue import claim, decide, held
from tests.conftest import MakeSite, MakeStaff, auth


async def history(client: TestClient, token: str, cid: str) -> list[dict[str, object]]:
    response = await client.get(f"/v1/comments/{cid}/events", headers=auth(token))
    assert response.status == 200
    page = await response.json()
    assert page["next_cursor"] is None
    items: list[dict[str, object]] = page["items"]
    return items


async def test_decision_changes_status_and_appends_event_and_outbox(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    await claim(client, lan, 1)
    response = await decide(client, lan, cid, "approve", note="  không sao  ")
    assert response.status == 200
    assert await response.json() == {"id": cid, "status": "published", "changed": True}
    view = await (await client.get(f"/v1/comments/{cid}", headers=auth(site_key))).json()
    assert view["status"] == "published"
    events = await history(client, lan, cid)
    assert [(e["actor"], e["from_status"], e["to_status"]) for e in events] == [
        ("system", None, "pending"),
        ("lan", "pending", "published"),
    ]
    assert events[1]["action"] == "approve" and events[1]["note"] == "không sao"
    assert events[1]["model_version"] == "standin-keywords-1"
    row = await db.fetchrow("SELECT claimed_by, claim_expires_at FROM comments")
    assert row is not None and tuple(row) == (None, None)
    outbox = await db.fetch("SELECT event, payload FROM outbox ORDER BY id")
    # no webhook_url: no comment.created row at intake (the decision's row is still written)
    assert [r["event"] for r in outbox] == ["comment.status_changed"]
    change = outbox[0]["payload"]
    assert '"published"' in change and '"pending"' in change and "example.com" not in change
    assert '"public_body": "' in change  # the copy the site publishes (a redaction's, if any)


async def test_repeated_decision_is_idempotent(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    answers = [await decide(client, lan, cid, "spam") for _ in range(3)]
    assert [(await r.json())["changed"] for r in answers] == [True, False, False]
    assert all(r.status == 200 for r in answers)
    assert len(await history(client, lan, cid)) == 2
    assert await db.fetchval("SELECT count(*) FROM outbox") == 1  # the first decision's


async def test_concurrent_same_decisions_record_one_change(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    answers = await asyncio.gather(*(decide(client, lan, cid, "reject") for _ in range(5)))
    assert sorted([(await r.json())["changed"] for r in answers]) == [False] * 4 + [True]
    assert len(await history(client, lan, cid)) == 2


async def test_foreign_live_lease_answers_409(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan, mai = await make_staff("lan"), await make_staff("mai")
    [cid] = await held(client, site_key, 1)
    await claim(client, lan, 1)
    response = await decide(client, mai, cid, "reject")
    assert response.status == 409
    assert response.content_type == "application/problem+json"
    assert "claim" in (await response.json())["detail"]
    assert len(await history(client, mai, cid)) == 1
    assert (await decide(client, lan, cid, "reject")).status == 200
    assert (await decide(client, mai, cid, "approve")).status == 200  # lease released


async def test_any_status_can_change_again(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    owner = await make_staff("chu", role="owner")
    [cid] = await held(client, site_key, 1)
    for action in ("reject", "not_spam", "spam", "approve"):
        assert (await decide(client, owner, cid, action)).status == 200
    steps = [
        (e["from_status"], e["to_status"], e["action"]) for e in await history(client, owner, cid)
    ]
    assert steps[1:] == [
        ("pending", "rejected", "reject"),
        ("rejected", "published", "not_spam"),
        ("published", "spam", "spam"),
        ("spam", "published", "approve"),
    ]


async def test_decision_validates_its_body_and_id(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    bodies: tuple[dict[str, object], ...] = (
        {"action": "delete"},
        {},
        {"action": "spam", "note": "\x00"},
        {"action": "spam", "note": "x" * 2001},
        {"action": "spam", "extra": 1},
    )
    for body in bodies:
        response = await client.post(f"/v1/comments/{cid}/decision", json=body, headers=auth(lan))
        assert response.status == 422, body
    unknown = "00000000-0000-4000-8000-000000000000"
    for target in (unknown, "not-an-id"):
        assert (await decide(client, lan, target, "spam")).status == 404
        response = await client.get(f"/v1/comments/{target}/events", headers=auth(lan))
        assert response.status == 404
    assert (await decide(client, "sk_not-a-key", cid, "spam")).status == 401


async def test_erased_comment_has_no_history(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    await decide(client, lan, cid, "approve")
    erase = {"email": "an.nguyen@example.com"}
    await client.post("/v1/authors/erase", json=erase, headers=auth(site_key))
    assert (await client.get(f"/v1/comments/{cid}/events", headers=auth(lan))).status == 404


async def test_bulk_decision_reports_each_outcome_in_order(
    client: TestClient, site_key: str, make_staff: MakeStaff, make_site: MakeSite
) -> None:
    lan, mai = await make_staff("lan"), await make_staff("mai")
    other_key = await make_site("other")
    [foreign] = await held(client, other_key, 1)
    ids = await held(client, site_key, 4)
    await claim(client, mai, 1)  # mai holds ids[0]
    await decide(client, lan, ids[1], "spam")
    unknown = "00000000-0000-4000-8000-000000000000"
    sent = [ids[3], ids[0], ids[1], foreign, ids[2], unknown, ids[3]]
    body = {"ids": sent, "action": "spam", "note": "đợt dọn rác"}
    response = await client.post("/v1/sites/news/decisions", json=body, headers=auth(lan))
    assert response.status == 200
    items = (await response.json())["items"]
    assert [(i["id"], i["outcome"], i["status"]) for i in items] == [
        (ids[3], "changed", "spam"),
        (ids[0], "conflict", None),
        (ids[1], "unchanged", "spam"),
        (foreign, "not_found", None),
        (ids[2], "changed", "spam"),
        (unknown, "not_found", None),
    ]
    events = await history(client, lan, ids[2])
    assert events[-1]["note"] == "đợt dọn rác" and events[-1]["actor"] == "lan"
    assert len(await history(client, lan, ids[1])) == 2


async def test_bulk_decision_is_scoped_and_validated(
    client: TestClient, site_key: str, make_staff: MakeStaff, make_site: MakeSite
) -> None:
    await make_site("other")
    outsider = await make_staff("mai", "other")
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    body = {"ids": [cid], "action": "spam"}
    response = await client.post("/v1/sites/news/decisions", json=body, headers=auth(outsider))
    assert response.status == 404
    for bad in ({"ids": [], "action": "spam"}, {"ids": [cid] * 101, "action": "spam"},
                {"ids": [cid], "action": "nuke"}):  # fmt: skip
        response = await client.post("/v1/sites/news/decisions", json=bad, headers=auth(lan))
        assert response.status == 422


async def test_concurrent_bulk_decisions_do_not_deadlock(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan, mai = await make_staff("lan"), await make_staff("mai")
    ids = await held(client, site_key, 20)
    url = "/v1/sites/news/decisions"
    calls = [
        client.post(url, json={"ids": ids, "action": "spam"}, headers=auth(lan)),
        client.post(url, json={"ids": ids[::-1], "action": "reject"}, headers=auth(mai)),
    ]
    answers = await asyncio.gather(*calls)
    assert [r.status for r in answers] == [200, 200]


async def test_a_decision_waiting_on_another_sees_its_event(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    """Two identical decisions queued behind a lock: the second, let through after the first
    committed, must see the first's event and record no confirmation of its own (its snapshot
    once predated that commit, so it wrote a second 'reject' event half the time)."""
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    async with db.transaction():
        await db.execute("SELECT 1 FROM comments WHERE id = $1::uuid FOR UPDATE", cid)
        pending = [asyncio.create_task(decide(client, lan, cid, "reject")) for _ in range(2)]
        for _ in range(200):  # both requests wait on the row lock
            waiting = await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            if waiting >= 2:
                break
            await asyncio.sleep(0.05)
        assert waiting >= 2
    answers = await asyncio.gather(*pending)
    assert sorted([(await r.json())["changed"] for r in answers]) == [False, True]
    assert len(await history(client, lan, cid)) == 2
