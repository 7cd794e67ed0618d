"""Per-author view and rules (issue 19): every comment of an author by the keyed email hash,
never the address; ban, premoderate and trust, reversible and audited, applied by intake to
the author's next comments on that site only."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.api.test_queue import held
from tests.conftest import MakeSite, MakeStaff, auth, both_intake_statements, comment

intake_statement = both_intake_statements  # every test with each intake statement

EMAIL = "an.nguyen@example.com"


async def post(client: TestClient, key: str, body: str, email: str = EMAIL, **extra: object) -> Any:
    fields = comment(body=body, email=email, **extra)
    response = await client.post("/v1/comments", json=fields, headers=auth(key))
    assert response.status in (201, 202), await response.text()
    return await response.json()


async def author_of(client: TestClient, token: str, cid: str) -> str:
    """The author id the queue gives for a comment (the view's link to the author)."""
    found = await client.get("/v1/sites/news/queue?status=all", headers=auth(token))
    assert found.status == 200, await found.text()
    [item] = [i for i in (await found.json())["items"] if i["id"] == cid]
    return str(item["author_id"])


async def set_rule(client: TestClient, token: str, author: str, rule: str | None) -> Any:
    return await client.put(
        f"/v1/sites/news/authors/{author}/rule", json={"rule": rule}, headers=auth(token)
    )


async def test_author_view_lists_every_status_and_never_the_address(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    token = await make_staff("lan")
    published = (await post(client, site_key, "Bài viết hay quá"))["id"]
    [pending] = await held(client, site_key, 1, email=EMAIL, name="An (tên khác)")
    spam = (await post(client, site_key, "casino casino"))["id"]
    other = (await post(client, site_key, "Của người khác", email="binh@example.com"))["id"]
    queue = await (await client.get("/v1/sites/news/queue", headers=auth(token))).json()
    author = queue["items"][0]["author_id"]
    stored = await db.fetchval("SELECT encode(email_hash, 'hex') FROM comments WHERE id = $1",
                               pending)  # fmt: skip
    assert author == stored and len(author) == 64
    response = await client.get(f"/v1/sites/news/authors/{author}", headers=auth(token))
    assert response.status == 200, await response.text()
    found = await response.json()
    assert found["counts"] == {"published": 1, "pending": 1, "rejected": 0, "spam": 1}
    assert found["name"] == "Nguyễn Văn An" and "An (tên khác)" in found["names"]
    assert found["rule"] is None
    page = await client.get(f"/v1/sites/news/authors/{author}/comments", headers=auth(token))
    listed = await page.json()
    assert [i["id"] for i in listed["items"]] == [spam, pending, published]  # newest first
    assert other not in {i["id"] for i in listed["items"]}
    assert {i["status"] for i in listed["items"]} == {"published", "pending", "spam"}
    text = await page.text() + await response.text()
    assert EMAIL not in text and "an.nguyen" not in text
    first = await client.get(
        f"/v1/sites/news/authors/{author}/comments?limit=2", headers=auth(token)
    )
    cursor = (await first.json())["next_cursor"]
    rest = await client.get(
        f"/v1/sites/news/authors/{author}/comments?limit=2&cursor={cursor}", headers=auth(token)
    )
    assert [i["id"] for i in (await rest.json())["items"]] == [published]


async def test_ban_rejects_new_comments_until_lifted_and_is_audited(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    token = await make_staff("lan")
    owner = await make_staff("chu", role="owner")
    first = (await post(client, site_key, "Bài viết hay quá"))["id"]
    author = await author_of(client, token, first)
    response = await set_rule(client, token, author, "ban")
    assert response.status == 200, await response.text()
    done = await response.json()
    assert done["changed"] is True and done["author"]["rule"]["rule"] == "ban"
    assert done["author"]["rule"]["set_by"] == "lan"
    banned = await post(client, site_key, "Bình luận hoàn toàn bình thường")
    assert banned["status"] == "rejected" and "author_banned:reject" in banned["reasons"]
    # another author is untouched
    assert (await post(client, site_key, "Ổn", email="binh@example.com"))["status"] == "published"
    # the comments before the ban stay as they were
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1", first) == "published"
    again = await (await set_rule(client, token, author, "ban")).json()
    assert again["changed"] is False
    lifted = await client.delete(f"/v1/sites/news/authors/{author}/rule", headers=auth(token))
    assert lifted.status == 200 and (await lifted.json())["author"]["rule"] is None
    assert (await post(client, site_key, "Bình luận sau khi gỡ"))["status"] == "published"
    history = await client.get(f"/v1/sites/news/authors/{author}/events", headers=auth(token))
    events = (await history.json())["items"]
    assert [(e["rule"], e["previous"], e["actor"]) for e in events] == [
        (None, "ban", "lan"), ("ban", None, "lan"),
    ]  # fmt: skip
    audit = await (await client.get("/v1/sites/news/audit", headers=auth(owner))).json()
    rules = [e for e in audit["items"] if e["kind"] == "author"]
    assert [(e["detail"]["rule"], e["detail"]["author_id"]) for e in rules] == [
        (None, author), ("ban", author),
    ]  # fmt: skip


async def test_premoderate_holds_and_trust_publishes_but_not_a_blocked_term(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    owner = auth(await make_staff("chu", role="owner"))
    policy = await client.get("/v1/sites/news/policy", headers=owner)
    etag = policy.headers["ETag"]
    put = await client.put(
        "/v1/sites/news/policy", json={"blocked_terms": ["lừa đảo"]},
        headers={**owner, "If-Match": etag},
    )  # fmt: skip
    assert put.status == 200, await put.text()
    first = (await post(client, site_key, "Bài viết hay quá"))["id"]
    author = await author_of(client, token, first)
    assert (await set_rule(client, token, author, "premoderate")).status == 200
    held_one = await post(client, site_key, "Một ý kiến bình thường")
    assert held_one["status"] == "pending"
    assert "author_premoderated:hold" in held_one["reasons"]
    assert (await set_rule(client, token, author, "trust")).status == 200
    trusted = await post(client, site_key, "maybe-spam nhưng là người quen")
    assert trusted["status"] == "published" and "author_trusted:publish" in trusted["reasons"]
    hard = await post(client, site_key, "casino casino")
    assert hard["status"] == "spam"  # a hard reject still wins over trust
    blocked = await post(client, site_key, "Trang này lừa đảo")
    assert blocked["status"] == "rejected" and "blocked_term:reject" in blocked["reasons"]


async def test_rules_are_per_site(
    client: TestClient, site_key: str, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    other_key = await make_site("other")
    other_token = await make_staff("minh", slug="other")
    first = (await post(client, site_key, "Bài viết hay quá"))["id"]
    await post(client, other_key, "Cũng người này, trang khác")
    author = await author_of(client, token, first)
    assert (await set_rule(client, token, author, "ban")).status == 200
    assert (await post(client, other_key, "Vẫn đăng được"))["status"] == "published"
    # another site's staff cannot read or act on this site's authors
    for method, path in (("GET", f"/v1/sites/news/authors/{author}"),
                         ("PUT", f"/v1/sites/news/authors/{author}/rule")):  # fmt: skip
        response = await client.request(
            method, path, json={"rule": None}, headers=auth(other_token)
        )
        assert response.status == 404, await response.text()
    # on its own site the same author has no rule
    mine = await client.get(f"/v1/sites/other/authors/{author}", headers=auth(other_token))
    assert (await mine.json())["rule"] is None


async def test_author_endpoints_refuse_bad_input(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    first = (await post(client, site_key, "Bài viết hay quá"))["id"]
    author = await author_of(client, token, first)
    bad = await client.get("/v1/sites/news/authors/an@example.com", headers=auth(token))
    assert bad.status == 422
    assert (await bad.json())["errors"][0]["field"] == "author"
    unknown = await client.get(f"/v1/sites/news/authors/{'0' * 64}", headers=auth(token))
    assert unknown.status == 404
    assert (await set_rule(client, token, "0" * 64, "ban")).status == 404
    wrong = await set_rule(client, token, author, "shadowban")
    assert wrong.status == 422 and (await wrong.json())["errors"][0]["field"] == "rule"
    cursor = await client.get(
        f"/v1/sites/news/authors/{author}/comments?cursor=xyz", headers=auth(token)
    )
    assert cursor.status == 422 and (await cursor.json())["errors"][0]["field"] == "cursor"
    anonymous = await client.get(f"/v1/sites/news/authors/{author}")
    assert anonymous.status == 401


async def test_erasing_an_author_erases_their_rule_and_its_history(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    token = await make_staff("lan")
    first = (await post(client, site_key, "Bài viết hay quá"))["id"]
    author = await author_of(client, token, first)
    assert (await set_rule(client, token, author, "trust")).status == 200
    erased = await client.post("/v1/authors/erase", json={"email": EMAIL}, headers=auth(site_key))
    assert (await erased.json())["erased"] == 1
    assert await db.fetchval("SELECT count(*) FROM author_rules") == 0
    assert await db.fetchval("SELECT count(*) FROM author_rule_events") == 0
    gone = await client.get(f"/v1/sites/news/authors/{author}", headers=auth(token))
    assert gone.status == 404
