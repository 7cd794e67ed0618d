"""POST /v1/comments/{id}/report: readers' reports relayed by the site, counted once per reader,
limited per reader, the comment held at the owner's threshold, the "reported" queue view."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.api.test_policy_api import put
from tests.api.test_queue import decide, held
from tests.conftest import MakeStaff, auth, comment


async def published(client: TestClient, key: str, body: str = "Bài viết rất hay") -> str:
    response = await client.post("/v1/comments", json=comment(body=body), headers=auth(key))
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


async def report(
    client: TestClient, key: str, cid: str, ip: str | None = "203.0.113.7", reason: str = "abuse"
) -> Any:
    body: dict[str, object] = {"reason": reason}
    if ip is not None:
        body["reporter_ip"] = ip
    return await client.post(f"/v1/comments/{cid}/report", json=body, headers=auth(key))


async def reported(client: TestClient, token: str, **query: str) -> Any:
    response = await client.get(
        "/v1/sites/news/queue", params={"reason": "reported", **query}, headers=auth(token)
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def test_a_report_is_counted_once_per_reader_and_never_stores_the_address(
    client: TestClient, site_key: str, db: asyncpg.Connection
) -> None:
    cid = await published(client, site_key)
    first = await report(client, site_key, cid)
    assert first.status == 200, await first.text()
    assert await first.json() == {
        "id": cid, "report_count": 1, "status": "published", "counted": True, "held": False,
    }  # fmt: skip
    again = await (await report(client, site_key, cid, reason="spam")).json()
    assert (again["report_count"], again["counted"]) == (1, False)
    other = await (await report(client, site_key, cid, ip="2001:db8::1")).json()
    assert (other["report_count"], other["counted"]) == (2, True)
    rows = await db.fetch("SELECT reason, reader_hash FROM comment_reports ORDER BY id")
    assert [r["reason"] for r in rows] == ["abuse", "abuse"]
    stored = b"".join(r["reader_hash"] for r in rows)
    assert b"203.0.113.7" not in stored and len(rows[0]["reader_hash"]) == 32


async def test_reports_reach_the_threshold_and_hold_the_comment_with_its_history(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    owner = auth(await make_staff("chu", role="owner"))
    assert (await put(client, owner, {"report_hold_threshold": 2})).status == 200
    cid = await published(client, site_key)
    assert (await (await report(client, site_key, cid, ip="198.51.100.1")).json())["held"] is False
    second = await (await report(client, site_key, cid, ip="198.51.100.2")).json()
    assert (second["status"], second["held"]) == ("pending", True)
    third = await (await report(client, site_key, cid, ip="198.51.100.3")).json()
    assert (third["status"], third["held"], third["report_count"]) == ("pending", False, 3)
    history = await client.get(f"/v1/comments/{cid}/events", headers=owner)
    [event] = (await history.json())["items"][-1:]
    assert (event["actor"], event["from_status"], event["to_status"]) == (
        "readers", "published", "pending",
    )  # fmt: skip
    outbox = await db.fetchval(
        "SELECT payload FROM outbox WHERE comment_id = $1 AND event = 'comment.status_changed'",
        cid,
    )
    assert '"actor": "readers"' in outbox
    assert '"public_body": "' in outbox  # the site learns the copy readers would see


async def test_threshold_zero_never_holds(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    owner = auth(await make_staff("chu", role="owner"))
    assert (await put(client, owner, {"report_hold_threshold": 0})).status == 200
    cid = await published(client, site_key)
    for n in range(5):
        answer = await (await report(client, site_key, cid, ip=f"198.51.100.{n}")).json()
    assert (answer["status"], answer["report_count"]) == ("published", 5)


async def test_reported_view_lists_any_status_by_reports_and_a_decision_settles_them(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    once = await published(client, site_key, "Một lần")
    twice = await published(client, site_key, "Hai lần")
    [pending] = await held(client, site_key, 1)
    await published(client, site_key, "Không ai báo cáo")
    await report(client, site_key, once, ip="198.51.100.1")
    for ip in ("198.51.100.1", "198.51.100.2"):
        await report(client, site_key, twice, ip=ip)
    await report(client, site_key, pending, ip="198.51.100.1")
    page = await reported(client, token, limit="2")
    assert page["items"][0]["id"] == twice
    assert [i["report_count"] for i in page["items"]] == [2, 1]
    rest = await reported(client, token, limit="2", cursor=page["next_cursor"])
    ids = {i["id"] for i in page["items"] + rest["items"]}
    assert ids == {once, twice, pending} and rest["next_cursor"] is None
    assert (await decide(client, token, twice, "approve")).status == 200
    assert twice not in {i["id"] for i in (await reported(client, token))["items"]}


async def test_reports_are_limited_per_reader(client: TestClient, site_key: str) -> None:
    ids = [await published(client, site_key, f"Bình luận số {n}") for n in range(31)]
    for cid in ids[:30]:
        assert (await report(client, site_key, cid)).status == 200
    refused = await report(client, site_key, ids[30])
    assert refused.status == 429
    assert "Retry-After" in refused.headers
    assert (await report(client, site_key, ids[30], ip="198.51.100.9")).status == 200


async def test_bad_reports_are_refused_naming_the_field(
    client: TestClient, site_key: str, make_site: Any
) -> None:
    cid = await published(client, site_key)
    bad_reason = await report(client, site_key, cid, reason="boring")
    assert bad_reason.status == 422 and "reason" in await bad_reason.text()
    bad_ip = await report(client, site_key, cid, ip="not an address")
    assert bad_ip.status == 422 and "reporter_ip" in await bad_ip.text()
    missing = await report(client, site_key, "00000000-0000-0000-0000-000000000000")
    assert missing.status == 404
    other_key = await make_site("other")
    assert (await report(client, other_key, cid)).status == 404
    assert (await client.post(f"/v1/comments/{cid}/report", json={"reason": "spam"})).status == 401


async def test_openapi_describes_reports_as_the_wordpress_plugin_reads_them(
    client: TestClient,
) -> None:
    doc = await (await client.get("/openapi.json")).json()
    operation = doc["paths"]["/v1/comments/{id}/report"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(schema["properties"]) == {"reason", "reporter_ip"}
    assert schema["properties"]["reason"]["enum"] == [
        "spam", "abuse", "hate", "personal_data", "misinformation", "other",
    ]  # fmt: skip
