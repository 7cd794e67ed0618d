"""The pages at work: claim, decide, undo, bulk; history; owners' policy, stats, audit, staff."""

from __future__ import annotations

import io
from typing import Any

import asyncpg
import orjson
from aiohttp.test_utils import TestClient

from moderation.domain.outbox import WebhookComment
from tests.standin import KeywordScorer
from tests.web.conftest import MakeLogin, held


async def send(client: TestClient, csrf: str, path: str, body: dict[str, Any]) -> Any:
    """POST JSON with the CSRF token; the answer's JSON (asserting 200)."""
    response = await client.post(path, json=body, headers={"X-CSRF-Token": csrf})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_claim_decide_undo_and_bulk(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login()
    ids = await held(client, site_key, 4)
    claimed = await send(client, csrf, "/ui/api/claim", {"limit": 3})
    assert claimed["count"] == 3
    assert all(f'data-id="{i}"' in claimed["html"] for i in ids[:3])
    assert "<mark>maybe-spam</mark>" in claimed["html"]  # the evidence span
    decided = await send(client, csrf, "/ui/api/decision", {"id": ids[0], "action": "approve"})
    assert decided == {"id": ids[0], "outcome": "changed", "status": "published"}
    undone = await send(client, csrf, "/ui/api/undo", {"id": ids[0]})
    assert f'data-id="{ids[0]}"' in undone["html"] and 'data-status="pending"' in undone["html"]
    row = await db.fetchrow(
        "SELECT c.status, u.username FROM comments c JOIN users u ON u.id = c.claimed_by"
        " WHERE c.id = $1",
        ids[0],
    )
    assert (row["status"], row["username"]) == ("pending", "lan")
    trail = await db.fetch(
        "SELECT actor, action, to_status, note FROM comment_events"
        " WHERE comment_id = $1 ORDER BY id",
        ids[0],
    )
    assert [tuple(r) for r in trail][1:] == [
        ("lan", "approve", "published", None),
        ("lan", None, "pending", "undo"),
    ]
    undo_model = await db.fetchval(
        "SELECT model_version FROM comment_events WHERE comment_id = $1 AND note = 'undo'", ids[0]
    )
    assert undo_model == KeywordScorer.version
    # every webhook the comment made, the undo's included, is what the schema promises
    for payload in await db.fetch("SELECT payload FROM outbox WHERE comment_id = $1", ids[0]):
        shown = orjson.loads(payload[0])["comment"]
        WebhookComment.model_validate(
            {"previous_status": None, "action": None, "actor": "system", **shown}
            | {"created_at": "2026-11-27T00:00:00Z", "permalink": None}
        )
    again = await client.post("/ui/api/undo", json={"id": ids[0]}, headers={"X-CSRF-Token": csrf})
    assert again.status == 422  # nothing of lan's left to undo
    bulk = await send(client, csrf, "/ui/api/bulk", {"ids": ids[:3], "action": "spam"})
    assert [i["outcome"] for i in bulk["items"]] == ["changed"] * 3
    statuses = await db.fetch("SELECT status FROM comments WHERE id = ANY($1::uuid[])", ids[:3])
    assert {r["status"] for r in statuses} == {"spam"}


async def test_another_moderators_claim_is_a_conflict(
    client: TestClient, site_key: str, login: MakeLogin, make_staff: Any
) -> None:
    from tests.api.test_queue import claim

    token = await make_staff("mai")
    [cid] = await held(client, site_key, 1)
    await claim(client, token, 1)
    csrf = await login()
    response = await client.post(
        "/ui/api/decision", json={"id": cid, "action": "reject"}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 409


async def test_queue_filters_sort_and_next_page(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login()
    await held(client, site_key, 2, thread="a")
    await held(client, site_key, 1, thread="b")
    page = await (await client.get("/ui/api/items?thread=b&sort=score")).json()
    assert page["count"] == 1 and page["next_cursor"] is None
    everything = await (await client.get("/ui/api/items")).json()
    assert everything["count"] == 3
    bad = await client.get("/ui/api/items?sort=sideways")
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "sort"


async def test_comment_page_shows_history_and_thread(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login()
    [cid, other] = await held(client, site_key, 2)
    await send(client, csrf, "/ui/api/decision", {"id": cid, "action": "reject"})
    html = await (await client.get(f"/ui/comments/{cid}")).text()
    assert 'id="events"' in html and "pending → rejected" in html and ">lan<" in html
    assert f"/ui/comments/{other}" in html  # the same thread
    for missing in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        response = await client.get(f"/ui/comments/{missing}")
        assert response.status == 404 and "No such comment" in await response.text()


async def test_vietnamese_text_and_the_sites_time_zone(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    await login()
    await db.execute(  # a new version: a stored version never changes
        "INSERT INTO policies (site_id, version, body) SELECT site_id, version + 1,"
        ' body || \'{"time_zone": "Asia/Ho_Chi_Minh"}\' FROM policies'
    )
    await held(client, site_key, 1)
    vietnamese = await client.get("/ui/queue", headers={"Accept-Language": "vi-VN,vi;q=0.9"})
    html = await vietnamese.text()
    assert "Hàng chờ" in html and "Duyệt" in html and 'lang="vi"' in html
    assert "+07" in html and "Asia/Ho_Chi_Minh" in html
    english = await (await client.get("/ui/queue", headers={"Accept-Language": "en"})).text()
    assert "Approve" in english
    switched = await client.get("/ui/queue?lang=vi", headers={"Accept-Language": "en"})
    assert "Hàng chờ" in await switched.text()
    # the switch is remembered in a cookie
    assert "Hàng chờ" in await (await client.get("/ui/queue")).text()


async def test_owner_pages_and_moderators_refused(
    client: TestClient, site_key: str, login: MakeLogin, make_person: Any
) -> None:
    csrf = await login("hoa", role="owner")
    await held(client, site_key, 3)
    for path in ("/ui/policy", "/ui/stats", "/ui/stats?days=7", "/ui/audit", "/ui/staff"):
        response = await client.get(path)
        assert response.status == 200, path
    stats = await (await client.get("/ui/stats")).text()
    assert "<svg" in stats and 'id="queue-depth">3<' in stats
    staff = await (await client.get("/ui/staff")).text()
    assert ">hoa<" in staff and "owner" in staff
    assert (await client.get("/ui/stats?days=0")).status == 422
    await make_person("lan")
    await client.post("/ui/logout", data={"csrf": csrf})
    from tests.web.conftest import PASSWORD, post_login

    await post_login(client, site="news", username="lan", password=PASSWORD)
    for path in ("/ui/policy", "/ui/stats", "/ui/audit", "/ui/staff"):
        assert (await client.get(path)).status == 403, path


async def test_policy_preview_then_save(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login("hoa", role="owner")
    await held(client, site_key, 3)
    change = {"thresholds": {"spam": {"hold": 0.5, "reject": 0.55}}, "watched_terms": ["xổ số"]}
    preview = await send(client, csrf, "/ui/api/policy/preview", {"version": 1, "change": change})
    assert preview["comments"] == 3 and preview["changed"] == 3
    assert 'id="preview-table"' in preview["html"] and "<svg" in preview["html"]
    saved = await send(client, csrf, "/ui/api/policy", {"version": 1, "change": change})
    assert saved == {"version": 2, "changed": True}
    body = await db.fetchval("SELECT body FROM policies WHERE version = 2")
    assert '"reject": 0.55' in body and "xổ số" in body
    stale = await client.post(
        "/ui/api/policy", json={"version": 1, "change": change}, headers={"X-CSRF-Token": csrf}
    )
    assert stale.status == 412
    bad = await client.post(
        "/ui/api/policy",
        json={"version": 2, "change": {"thresholds": {"spam": {"hold": 0.9, "reject": 0.1}}}},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status == 422
    audit = await (await client.get("/ui/audit")).text()
    assert "hoa" in audit and "policy" in audit


async def test_the_editor_saves_term_lists_larger_than_a_comment_body(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login("hoa", role="owner")
    terms = [f"từ khóa cấm số {n}" for n in range(5000)]  # ~130 KB of JSON, over 64 KB
    change = {"watched_terms": terms}
    assert len(orjson.dumps(change)) > 64 * 1024
    preview = await send(client, csrf, "/ui/api/policy/preview", {"version": 1, "change": change})
    assert preview["comments"] == 0
    saved = await send(client, csrf, "/ui/api/policy", {"version": 1, "change": change})
    assert saved == {"version": 2, "changed": True}
    body = orjson.loads(await db.fetchval("SELECT body FROM policies WHERE version = 2"))
    assert len(body["watched_terms"]) == 5000
    huge = {"version": 2, "change": {"watched_terms": ["x" * 90] * 50_000}}  # ~4.6 MB
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    refused = await client.post(
        "/ui/api/policy", data=io.BytesIO(orjson.dumps(huge)), headers=headers
    )
    assert refused.status == 413


async def test_another_sites_comments_are_out_of_reach(
    client: TestClient, site_key: str, make_site: Any, login: MakeLogin, db: asyncpg.Connection
) -> None:
    other_key = await make_site("other")
    [theirs] = await held(client, other_key, 1)
    csrf = await login()  # a moderator of "news"
    assert (await client.get(f"/ui/comments/{theirs}")).status == 404
    headers = {"X-CSRF-Token": csrf}
    decided = await client.post(
        "/ui/api/decision", json={"id": theirs, "action": "approve"}, headers=headers
    )
    assert decided.status == 404
    bulk = await send(client, csrf, "/ui/api/bulk", {"ids": [theirs], "action": "spam"})
    assert bulk["items"] == [{"id": theirs, "outcome": "not_found"}]
    undo = await client.post("/ui/api/undo", json={"id": theirs}, headers=headers)
    assert undo.status == 422
    claimed = await send(client, csrf, "/ui/api/claim", {"limit": 10})
    assert claimed["count"] == 0 and theirs not in claimed["html"]
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", theirs) == "pending"


async def test_policy_page_edits_trusted_domains(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("hoa", role="owner")
    change = {"trusted_domains": ["Báo.vn", "peer.vn"]}
    saved = await send(client, csrf, "/ui/api/policy", {"version": 1, "change": change})
    assert saved == {"version": 2, "changed": True}
    vi = await (await client.get("/ui/policy?lang=vi")).text()
    assert "Tên miền tin cậy" in vi and 'name="trusted_domains"' in vi
    assert "xn--bo-mia.vn\npeer.vn</textarea>" in vi
    en = await (await client.get("/ui/policy?lang=en")).text()
    assert "Trusted domains" in en
    bad = await client.post(
        "/ui/api/policy",
        json={"version": 2, "change": {"trusted_domains": ["not a host"]}},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status == 422 and "trusted_domains" in await bad.text()


async def test_comment_page_has_no_checkbox_nor_link_to_itself(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login()
    [cid, other] = await held(client, site_key, 2)
    html = await (await client.get(f"/ui/comments/{cid}")).text()
    assert 'class="pick"' not in html and f'href="/ui/comments/{cid}"' not in html
    assert f'href="/ui/comments/{other}"' in html  # the thread's other comments stay links
    queue = await (await client.get("/ui/queue")).text()
    assert 'class="pick"' in queue and f'href="/ui/comments/{cid}"' in queue


async def test_favicon_is_served_and_linked(client: TestClient, login: MakeLogin) -> None:
    login_page = await (await client.get("/ui/login")).text()
    assert '<link rel="icon" href="/ui/static/favicon.svg"' in login_page
    icon = await client.get("/ui/static/favicon.svg")
    assert icon.status == 200 and icon.content_type == "image/svg+xml"
    assert (await icon.text()).startswith("<svg") and "script" not in await icon.text()


async def test_policy_page_offers_time_zones_vietnam_first(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("hoa", role="owner")
    html = await (await client.get("/ui/policy")).text()
    select = html.split('<select name="time_zone" id="time_zone">', 1)[1].split("</select>")[0]
    zones = [part.split(">", 1)[1].split("<")[0] for part in select.split("<option")[1:]]
    assert zones[0] == "Asia/Ho_Chi_Minh" and "Europe/Paris" in zones and len(zones) > 300
    assert "<option selected>UTC</option>" in select  # the site's zone, chosen
    change = {"time_zone": "Asia/Ho_Chi_Minh"}
    await send(client, csrf, "/ui/api/policy", {"version": 1, "change": change})
    again = await (await client.get("/ui/policy")).text()
    assert "<option selected>Asia/Ho_Chi_Minh</option>" in again


async def test_policy_preview_shows_agreement_with_moderators(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("hoa", role="owner")
    [first, second, _] = await held(client, site_key, 3)
    change = {"thresholds": {"spam": {"hold": 0.5, "reject": 0.55}}}
    none = await send(client, csrf, "/ui/api/policy/preview", {"version": 1, "change": change})
    assert "Moderators have decided none of these comments yet." in none["html"]
    await send(client, csrf, "/ui/api/decision", {"id": first, "action": "spam"})
    await send(client, csrf, "/ui/api/decision", {"id": second, "action": "approve"})
    preview = await send(client, csrf, "/ui/api/policy/preview", {"version": 1, "change": change})
    html = preview["html"]
    assert "Agreement with moderators" in html and "on the 2 of these comments" in html

    def row(kind: str) -> list[str]:
        cells = html.split(f'<tr data-kind="{kind}">', 1)[1].split("</tr>")[0].split("<td>")
        return [c.split("</td>")[0] for c in cells[1:]]

    # before: both held for review; after: the spam one removed (right), the approved one too
    assert row("held") == ["held for review", "2", "0"]
    assert row("right") == ["as the moderators decided", "0", "1"]
    assert row("wrong") == ["against the moderators", "0", "1"]
    response = await client.post(
        "/ui/api/policy/preview?lang=vi", json={"version": 1, "change": change},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    vietnamese = (await response.json())["html"]
    assert "Mức khớp với kiểm duyệt viên" in vietnamese and "đúng như kiểm duyệt viên" in vietnamese
