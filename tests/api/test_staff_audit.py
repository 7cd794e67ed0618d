"""Staff changes owners make on the pages reach the audit API, and page with its cursor."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from moderation.domain.pages import InviteIn
from moderation.domain.review import Staff
from moderation.keys import OWNING
from tests.conftest import MakeStaff, auth


async def test_staff_events_are_audit_entries_and_page_with_the_cursor(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("chu", role="owner")
    me = await (await client.get("/v1/sites/news/audit", headers=auth(token))).json()
    [chu] = [i for i in me["items"] if i["kind"] == "staff"]
    owning = client.app[OWNING]
    site = await owning.store.site_by_slug("news")
    assert site is not None
    owner = Staff(id=1, site_id=site.id, site_slug="news", username="chu", role="owner")
    await owning.invite(owner, InviteIn(username="mai"))
    await owning.invite(owner, InviteIn(username="lan", method="password", password="x" * 12))
    await owning.revoke(owner, "lan")
    await owning.restore(owner, "lan")
    await owning.reset(owner, "lan")
    whole = await (await client.get("/v1/sites/news/audit", headers=auth(token))).json()
    staff = [(i["actor"], i["detail"].get("action"), i["detail"]["username"])
             for i in whole["items"] if i["kind"] == "staff"]  # fmt: skip
    assert staff == [
        ("chu", "reset", "lan"), ("chu", "restored", "lan"), ("chu", "revoked", "lan"),
        ("chu", "invited", "lan"), ("chu", "invited", "mai"), ("operator", None, "chu"),
    ]  # fmt: skip
    assert chu["detail"] == {"username": "chu", "role": "owner"}
    invited = [i for i in whole["items"] if i["detail"].get("action") == "invited"]
    assert [i["detail"]["method"] for i in invited] == ["password", "link"]
    seen: list[object] = []
    cursor = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await (
            await client.get("/v1/sites/news/audit", params=query, headers=auth(token))
        ).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == whole["items"]


async def test_the_operators_revocations_are_audited(
    client: TestClient, dsn: str, site_key: str, make_staff: MakeStaff
) -> None:
    from moderation import admin

    token = await make_staff("chu", role="owner")
    await make_staff("lan")
    await admin.revoke(dsn, 5, "news", "lan")
    await admin.restore(dsn, 5, "news", "lan")
    whole = await (await client.get("/v1/sites/news/audit", headers=auth(token))).json()
    staff = [(i["actor"], i["detail"].get("action"), i["detail"]["username"])
             for i in whole["items"] if i["kind"] == "staff"]  # fmt: skip
    assert staff[:2] == [("operator", "restored", "lan"), ("operator", "revoked", "lan")]
