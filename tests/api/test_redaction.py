"""Edit and publish (issue 19): a moderator redacts the public copy and publishes it; the
original stays for staff; both steps are in the comment's history; readers get the copy."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from tests.api.test_queue import claim, held
from tests.conftest import MakeStaff, auth

BODY = "maybe-spam Bán xe giá tốt, gọi anh Tuấn nhà ở 12 ngõ Huế nhé"


async def test_redact_and_publish_keeps_the_original_for_staff(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    token = await make_staff("lan")
    owner = await make_staff("chu", role="owner")
    [cid] = await held(client, site_key, 1, body=BODY)
    edit = {"public_body": "maybe-spam Bán xe giá tốt, gọi anh Tuấn [đã ẩn] nhé", "note": "địa chỉ"}
    response = await client.post(f"/v1/comments/{cid}/redaction", json=edit, headers=auth(token))
    assert response.status == 200, await response.text()
    out = await response.json()
    assert out == {"id": cid, "status": "published", "public_body": edit["public_body"],
                   "edited": True, "published": True}  # fmt: skip
    thread = await client.get("/v1/sites/news/threads/bai-viet-1/comments")
    [public] = (await thread.json())["items"]
    assert public["body"] == edit["public_body"] and "ngõ Huế" not in await thread.text()
    site_view = await client.get(f"/v1/comments/{cid}", headers=auth(site_key))
    assert (await site_view.json())["body"] == BODY  # the original, for staff and the site
    item = await (await client.get("/v1/sites/news/queue?status=published",
                                   headers=auth(token))).json()  # fmt: skip
    assert item["items"][0]["body"] == BODY and item["items"][0]["redacted"] is True
    events = (await (await client.get(f"/v1/comments/{cid}/events",
                                      headers=auth(token))).json())["items"]  # fmt: skip
    edited, approved = events[-2:]
    assert (edited["kind"], edited["actor"], edited["note"]) == ("redaction", "lan", "địa chỉ")
    assert (
        edited["public_before"].startswith("maybe-spam Bán xe")
        and "ngõ Huế" in edited["public_before"]
    )
    assert edited["public_after"] == edit["public_body"]
    assert (approved["kind"], approved["action"], approved["to_status"]) == (
        "status",
        "approve",
        "published",
    )
    audit = await (await client.get("/v1/sites/news/audit", headers=auth(owner))).json()
    assert [e["kind"] for e in audit["items"][:2]] == ["decision", "redaction"]
    assert await db.fetchval("SELECT body FROM comments WHERE id = $1", cid) == BODY


async def test_redaction_masks_contacts_and_may_leave_the_status(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    edit = {"public_body": "Gọi 0912 345 678 hoặc an.nguyen@gmail.com", "publish": False}
    out = await (await client.post(f"/v1/comments/{cid}/redaction", json=edit,
                                   headers=auth(token))).json()  # fmt: skip
    assert out["status"] == "pending" and out["published"] is False and out["edited"] is True
    assert (
        "0912 345 678" not in out["public_body"] and "an.nguyen@gmail.com" not in out["public_body"]
    )
    same = await (await client.post(f"/v1/comments/{cid}/redaction", json=edit,
                                    headers=auth(token))).json()  # fmt: skip
    assert same["edited"] is False


async def test_redaction_respects_claims_sites_and_bad_input(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan = await make_staff("lan")
    minh = await make_staff("minh")
    [cid] = await held(client, site_key, 1)
    await claim(client, lan, 1)
    edit = {"public_body": "Bản đã sửa"}
    taken = await client.post(f"/v1/comments/{cid}/redaction", json=edit, headers=auth(minh))
    assert taken.status == 409
    cases = [
        ({"public_body": "  "}, "public_body"), ({"public_body": "x" * 10_001}, "public_body"),
        ({"public_body": "ok", "publish": "yes"}, "publish"), ({}, "public_body"),
    ]  # fmt: skip
    for body, field in cases:
        response = await client.post(f"/v1/comments/{cid}/redaction", json=body, headers=auth(lan))
        assert response.status == 422, body
        assert (await response.json())["errors"][0]["field"] == field
    gone = await client.post(
        "/v1/comments/00000000-0000-4000-8000-000000000000/redaction", json=edit, headers=auth(lan)
    )
    assert gone.status == 404
    site = await client.post(f"/v1/comments/{cid}/redaction", json=edit, headers=auth(site_key))
    assert site.status == 401
