"""GET/PUT /v1/sites/{site}/policy: owners only, ETag/If-Match, partial changes, audit."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import MakeSite, MakeStaff, auth

URL = "/v1/sites/news/policy"


async def owner(make_site: MakeSite, make_staff: MakeStaff) -> dict[str, str]:
    """Headers of an owner of a new site "news"."""
    await make_site("news")
    return auth(await make_staff("olivia", role="owner"))


async def put(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    """PUT a change over whatever version is current."""
    got = await client.get(URL, headers=headers)
    return await client.put(URL, json=body, headers={**headers, "If-Match": got.headers["ETag"]})


async def test_owner_reads_the_default_policy_with_an_etag(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    headers = await owner(make_site, make_staff)
    resp = await client.get(URL, headers=headers)
    assert resp.status == 200 and resp.headers["ETag"] == '"v1"'
    body = await resp.json()
    assert body["version"] == 1
    assert body["thresholds"]["spam"] == {"hold": 0.65, "reject": 0.97}
    assert body["blocked_terms"] == [] and body["flood"]["per_author"] is None
    assert body["time_zone"] == "UTC" and body["webhook_url"] is None


async def test_only_owners_of_the_site(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    await make_site("news")
    await make_site("blog")
    moderator = auth(await make_staff("mod"))
    other_owner = auth(await make_staff("boss", "blog", "owner"))
    assert (await client.get(URL, headers=moderator)).status == 403
    assert (await client.put(URL, json={}, headers={**moderator, "If-Match": "*"})).status == 403
    assert (await client.get(URL, headers=other_owner)).status == 404
    assert (await client.get(URL)).status == 401
    stats = await client.get("/v1/sites/news/stats", headers=moderator)
    assert stats.status == 403


async def test_put_changes_only_the_fields_sent(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    headers = await owner(make_site, make_staff)
    first = await put(client, headers, {"blocked_terms": ["đồ ngu"], "max_links": 2})
    assert first.status == 200 and first.headers["ETag"] == '"v2"'
    second = await put(client, headers, {"thresholds": {"spam": {"hold": 0.3}}})
    body = await second.json()
    assert body["version"] == 3 and second.headers["ETag"] == '"v3"'
    assert body["blocked_terms"] == ["đồ ngu"] and body["max_links"] == 2
    assert body["thresholds"]["spam"] == {"hold": 0.3, "reject": 0.97}
    assert body["thresholds"]["abuse"] == {"hold": 0.35, "reject": 0.95}
    again = await client.get(URL, headers=headers)
    assert await again.json() == body


async def test_a_put_that_changes_nothing_makes_no_version(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    headers = await owner(make_site, make_staff)
    resp = await put(client, headers, {"max_links": None, "version": 99})
    assert resp.status == 200 and (await resp.json())["version"] == 1


async def test_if_match_is_required_and_checked(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    headers = await owner(make_site, make_staff)
    missing = await client.put(URL, json={"max_links": 3}, headers=headers)
    assert missing.status == 428
    assert missing.content_type == "application/problem+json"
    assert (await put(client, headers, {"max_links": 3})).status == 200
    stale = await client.put(URL, json={"max_links": 4}, headers={**headers, "If-Match": '"v1"'})
    assert stale.status == 412
    body = await (await client.get(URL, headers=headers)).json()
    assert body["max_links"] == 3 and body["version"] == 2


async def test_concurrent_puts_from_one_version_one_wins(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    headers = {**await owner(make_site, make_staff), "If-Match": '"v1"'}
    answers = await asyncio.gather(
        *(client.put(URL, json={"max_links": n}, headers=headers) for n in range(1, 7))
    )
    assert sorted(a.status for a in answers) == [200] + [412] * 5
    body = await (await client.get(URL, headers=headers)).json()
    assert body["version"] == 2


async def test_invalid_changes_name_their_fields(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    headers = await owner(make_site, make_staff)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"thresholds": {"spam": {"hold": 0.9, "reject": 0.5}}}, "thresholds.spam"),
        ({"thresholds": {"hate": {"hold": 1.5}}}, "thresholds.hate.hold"),
        ({"blocked_terms": [f"t{i}" for i in range(5001)]}, "blocked_terms"),
        ({"watched_terms": ["ok", "x" * 101]}, "watched_terms.1"),
        ({"watched_terms": ["!!!"]}, "watched_terms.0"),
        ({"max_links": -1}, "max_links"),
        ({"webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"blocked_email_domains": ["not a domain"]}, "blocked_email_domains.0"),
        ({"trusted_domains": ["not a host"]}, "trusted_domains.0"),
        ({"trusted_domains": ["a" * 300 + ".vn"]}, "trusted_domains.0"),
        ({"trusted_domains": [f"s{i}.vn" for i in range(101)]}, "trusted_domains"),
        ({"flood": {"per_author": 0}}, "flood.per_author"),
        ({"duplicates": {"action": "delete"}}, "duplicates.action"),
        ({"colour": "red"}, "colour"),
    ]
    for change, field in cases:
        resp = await put(client, headers, change)
        assert resp.status == 422, change
        fields = [e["field"] for e in (await resp.json())["errors"]]
        assert field in fields, (change, fields)
    assert (await client.get(URL, headers=headers)).headers["ETag"] == '"v1"'


async def test_bad_bodies(client: TestClient, make_site: MakeSite, make_staff: MakeStaff) -> None:
    headers = {**await owner(make_site, make_staff), "If-Match": "*"}
    as_json = {**headers, "Content-Type": "application/json"}
    broken = await client.put(URL, data=b"{", headers=as_json)
    assert broken.status == 400
    text = await client.put(URL, data=b"{}", headers={**headers, "Content-Type": "text/plain"})
    assert text.status == 415
    assert (await client.put(URL, json=[1], headers=headers)).status == 422


async def test_five_thousand_terms_fit_in_one_put(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    headers = await owner(make_site, make_staff)
    terms = [f"từ ngữ cấm số {i}" for i in range(5000)]
    resp = await put(client, headers, {"blocked_terms": terms, "watched_terms": terms})
    assert resp.status == 200
    assert len((await resp.json())["blocked_terms"]) == 5000


async def test_changes_are_audited_with_before_and_after(
    client: TestClient, make_site: MakeSite, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    headers = await owner(make_site, make_staff)
    await put(client, headers, {"blocked_terms": ["a1", "b2"], "max_links": 2})
    await put(client, headers, {"blocked_terms": ["b2", "c3"]})
    audit = await (await client.get("/v1/sites/news/audit", headers=headers)).json()
    policies = [e for e in audit["items"] if e["kind"] == "policy"]
    assert [e["detail"]["version"] for e in policies] == [3, 2, 1]
    assert policies[0]["actor"] == "olivia"
    assert policies[0]["detail"]["changes"] == {
        "blocked_terms": {"added": ["c3"], "removed": ["a1"]}
    }
    assert policies[1]["detail"]["changes"]["max_links"] == {"before": None, "after": 2}
    assert await db.fetchval("SELECT count(*) FROM policies") == 3


async def test_the_owner_endpoints_are_documented(client: TestClient) -> None:
    doc = await (await client.get("/openapi.json")).json()
    assert {"get", "put"} <= set(doc["paths"]["/v1/sites/{site}/policy"])
    assert "post" in doc["paths"]["/v1/sites/{site}/policy/preview"]
    assert "get" in doc["paths"]["/v1/sites/{site}/stats"]
    fields = set(doc["components"]["schemas"]["Policy"]["properties"])
    assert {"blocked_terms", "flood", "duplicates", "time_zone", "webhook_url"} <= fields
    assert "trusted_domains" in fields
    assert {"PolicyIn", "PreviewOut", "StatsOut", "Flood"} <= set(doc["components"]["schemas"])
