"""The moderators' queue: staff tokens, listing, claims with leases, decisions, history."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import MakeSite, MakeStaff, auth, comment


async def held(client: TestClient, key: str, n: int, **overrides: object) -> list[str]:
    """Post n comments the policy holds for review; their ids in order."""
    ids = []
    for i in range(n):
        fields: dict[str, object] = {"body": f"maybe-spam số {i}", **overrides}
        response = await client.post("/v1/comments", json=comment(**fields), headers=auth(key))
        body = await response.json()
        assert body["status"] == "pending"
        ids.append(body["id"])
    return ids


async def claim(client: TestClient, token: str, limit: int, slug: str = "news") -> Any:
    response = await client.post(
        f"/v1/sites/{slug}/queue/claim", json={"limit": limit}, headers=auth(token)
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def decide(client: TestClient, token: str, cid: str, action: str, **extra: object) -> Any:
    body = {"action": action, **extra}
    return await client.post(f"/v1/comments/{cid}/decision", json=body, headers=auth(token))


async def test_queue_lists_pending_oldest_first_with_masked_email(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    ids = await held(client, site_key, 3, body="maybe-spam gọi 0912345678")
    await client.post("/v1/comments", json=comment(), headers=auth(site_key))  # published
    response = await client.get("/v1/sites/news/queue", headers=auth(token))
    assert response.status == 200
    page = await response.json()
    assert [i["id"] for i in page["items"]] == ids and page["next_cursor"] is None
    item = page["items"][0]
    assert item["email_masked"] == "an***@example.com"
    assert item["body"] == "maybe-spam gọi 0912345678"
    assert item["public_body"] == "maybe-spam gọi 091*******"
    assert item["status"] == "pending" and item["scores"]["spam"] == 0.8
    assert item["reasons"] and item["model_version"] == "standin-keywords-1"
    assert item["policy_version"] == 1 and item["claimed_by"] is None
    assert "top_score" not in item
    assert "an.nguyen@example.com" not in await response.text()


async def test_queue_pages_by_score_and_by_age(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    token = await make_staff("lan")
    low = await held(client, site_key, 3)
    high = await held(client, site_key, 2)
    await db.execute(
        """UPDATE comments SET scores = jsonb_set(scores, '{abuse}', '0.9')
           WHERE id = ANY($1::uuid[])""",
        high,
    )
    for sort, expected in (("oldest", low + high), ("score", sorted(high) + sorted(low))):
        seen: list[str] = []
        cursor = None
        for _ in range(3):
            url = f"/v1/sites/news/queue?sort={sort}&limit=2" + (
                f"&cursor={cursor}" if cursor else ""
            )
            page = await (await client.get(url, headers=auth(token))).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
        assert seen == expected and cursor is None, sort


async def test_queue_refuses_bad_parameters(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    await held(client, site_key, 3)
    page = await (await client.get("/v1/sites/news/queue?limit=1", headers=auth(token))).json()
    for query in ("sort=newest", "status=gone", "limit=0", "cursor=xyz",
                  f"sort=score&cursor={page['next_cursor']}"):  # fmt: skip
        response = await client.get(f"/v1/sites/news/queue?{query}", headers=auth(token))
        assert response.status == 422, query
        assert response.content_type == "application/problem+json"


async def test_queue_lists_other_statuses(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    response = await client.post(
        "/v1/comments", json=comment(body="casino casino"), headers=auth(site_key)
    )
    spam_id = (await response.json())["id"]
    url = "/v1/sites/news/queue?status=spam"
    page = await (await client.get(url, headers=auth(token))).json()
    assert [i["id"] for i in page["items"]] == [spam_id]


async def test_staff_token_is_required_and_scoped_to_its_site(
    client: TestClient, site_key: str, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    other_key = await make_site("other")
    outsider = await make_staff("mai", "other")
    ids = await held(client, site_key, 1)
    assert (await client.get("/v1/sites/news/queue")).status == 401
    for bad in (site_key, other_key, "mt_unknown"):
        response = await client.get("/v1/sites/news/queue", headers=auth(bad))
        assert response.status == 401
        assert "staff token" in (await response.json())["detail"]
    answers = [
        await client.get("/v1/sites/news/queue", headers=auth(outsider)),
        await client.post("/v1/sites/news/queue/claim", json={}, headers=auth(outsider)),
        await decide(client, outsider, ids[0], "approve"),
        await client.get(f"/v1/comments/{ids[0]}/events", headers=auth(outsider)),
    ]
    assert [r.status for r in answers] == [404] * 4
    for response in answers:
        assert ids[0] not in await response.text()


async def test_claim_leases_oldest_unheld_items(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan, mai = await make_staff("lan"), await make_staff("mai")
    ids = await held(client, site_key, 5)
    first = await claim(client, lan, 3)
    assert [i["id"] for i in first["items"]] == ids[:3]
    assert all(i["claimed_by"] == "lan" for i in first["items"])
    assert first["items"][0]["claim_expires_at"] == first["lease_expires_at"]
    second = await claim(client, mai, 10)
    assert [i["id"] for i in second["items"]] == ids[3:]
    assert (await claim(client, mai, 10))["items"] == []
    page = await (await client.get("/v1/sites/news/queue", headers=auth(lan))).json()
    assert [i["claimed_by"] for i in page["items"]] == ["lan"] * 3 + ["mai"] * 2


async def test_claim_limit_is_validated(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    for body in ({"limit": 0}, {"limit": 101}, {"limit": "3"}, {"n": 1}):
        response = await client.post("/v1/sites/news/queue/claim", json=body, headers=auth(token))
        assert response.status == 422, body


async def test_concurrent_claims_never_share_an_item(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    tokens = [await make_staff(f"mod{i}") for i in range(6)]
    ids = await held(client, site_key, 40)
    first = await asyncio.gather(*(claim(client, t, 5) for t in tokens))
    rest = await asyncio.gather(*(claim(client, t, 100) for t in tokens))
    per_moderator = [[i["id"] for i in a["items"]] for a in first + rest]
    got = [i for items in per_moderator for i in items]
    assert [len(items) for items in per_moderator[:6]] == [5] * 6
    assert sorted(got) == sorted(ids)  # every item once: none twice, none lost
    page = await (
        await client.get("/v1/sites/news/queue?limit=200", headers=auth(tokens[0]))
    ).json()
    assert all(i["claimed_by"] for i in page["items"])


async def test_expired_lease_is_claimable_again(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    lan, mai = await make_staff("lan"), await make_staff("mai")
    ids = await held(client, site_key, 2)
    await claim(client, lan, 2)
    await db.execute(
        "UPDATE comments SET claim_expires_at = now() - interval '1 second' WHERE id = $1",
        ids[0],
    )
    page = await (await client.get("/v1/sites/news/queue", headers=auth(mai))).json()
    assert [i["claimed_by"] for i in page["items"]] == [None, "lan"]
    again = await claim(client, mai, 5)
    assert [i["id"] for i in again["items"]] == [ids[0]]
    assert (await decide(client, lan, ids[0], "approve")).status == 409


async def test_lease_length_is_a_setting(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    token = await make_staff("lan")
    await held(client, site_key, 1)
    await claim(client, token, 1)
    seconds = await db.fetchval("SELECT extract(epoch FROM claim_expires_at - now()) FROM comments")
    assert 280 < seconds <= 300


async def test_release_gives_back_own_claims_only(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan, mai = await make_staff("lan"), await make_staff("mai")
    ids = await held(client, site_key, 4)
    await claim(client, lan, 3)
    await claim(client, mai, 1)
    url = "/v1/sites/news/queue/release"
    response = await client.post(url, json={"ids": [ids[0], ids[3]]}, headers=auth(lan))
    assert await response.json() == {"released": 1}  # ids[3] is mai's
    assert [i["id"] for i in (await claim(client, mai, 5))["items"]] == [ids[0]]
    assert await (await client.post(url, json={}, headers=auth(lan))).json() == {"released": 2}
    assert [i["id"] for i in (await claim(client, mai, 5))["items"]] == ids[1:3]
    bad = await client.post(url, json={"ids": ["nope"]}, headers=auth(lan))
    assert bad.status == 422


async def test_queue_filters_by_thread_and_reason_and_shows_author_history(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    await client.post("/v1/comments", json=comment(body="casino"), headers=auth(site_key))
    first = await held(client, site_key, 1, thread="khac")
    other = await held(client, site_key, 1, email="binh@example.vn")
    url = "/v1/sites/news/queue?thread=khac"
    page = await (await client.get(url, headers=auth(token))).json()
    assert [i["id"] for i in page["items"]] == first
    history = page["items"][0]["author_history"]
    assert history == {"published": 1, "pending": 0, "rejected": 0, "spam": 1}
    reason = page["items"][0]["reasons"][0]
    url = f"/v1/sites/news/queue?reason={reason}"
    page = await (await client.get(url, headers=auth(token))).json()
    assert [i["id"] for i in page["items"]] == first + other
    assert page["items"][1]["author_history"]["published"] == 0
    url = "/v1/sites/news/queue?reason=abuse:hold"
    assert (await (await client.get(url, headers=auth(token))).json())["items"] == []
    claimed = await claim(client, token, 1)
    assert claimed["items"][0]["author_history"]["spam"] == 1
