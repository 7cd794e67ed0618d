"""The owners' audit log."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.api.test_queue import decide, held
from tests.conftest import MakeSite, MakeStaff, auth


async def test_audit_lists_decisions_policy_and_staff_newest_first(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    owner = await make_staff("chu", role="owner")
    lan = await make_staff("lan")
    ids = await held(client, site_key, 2)
    await decide(client, lan, ids[0], "spam", note="quảng cáo")
    await decide(client, lan, ids[1], "approve")
    await decide(client, lan, ids[1], "approve")  # a repeat is not a new entry
    response = await client.get("/v1/sites/news/audit", headers=auth(owner))
    assert response.status == 200
    items = (await response.json())["items"]
    assert [i["kind"] for i in items] == ["decision", "decision", "staff", "staff", "policy"]
    assert items[0]["actor"] == "lan" and items[0]["detail"]["comment_id"] == ids[1]
    assert items[1]["detail"]["note"] == "quảng cáo"
    assert items[1]["detail"]["to_status"] == "spam"
    assert {i["detail"].get("username") for i in items[2:4]} == {"chu", "lan"}
    assert "example.com" not in await response.text()


async def test_audit_pages_with_a_cursor(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    owner = await make_staff("chu", role="owner")
    for cid in await held(client, site_key, 3):
        await decide(client, owner, cid, "reject")
    whole = (await (await client.get("/v1/sites/news/audit", headers=auth(owner))).json())["items"]
    seen: list[object] = []
    cursor = None
    for _ in range(3):
        url = "/v1/sites/news/audit?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await (await client.get(url, headers=auth(owner))).json()
        seen += page["items"]
        cursor = page["next_cursor"]
    assert seen == whole and len(whole) == 5 and cursor is None
    bad = await client.get("/v1/sites/news/audit?cursor=zzz", headers=auth(owner))
    assert bad.status == 422


async def test_audit_is_for_owners_of_the_site(
    client: TestClient, site_key: str, make_staff: MakeStaff, make_site: MakeSite
) -> None:
    await make_site("other")
    lan = await make_staff("lan")
    stranger = await make_staff("chu", "other", role="owner")
    response = await client.get("/v1/sites/news/audit", headers=auth(lan))
    assert response.status == 403
    assert response.content_type == "application/problem+json"
    assert (await client.get("/v1/sites/news/audit", headers=auth(stranger))).status == 404
    assert (await client.get("/v1/sites/news/audit", headers=auth(site_key))).status == 401
