"""Reading comments back: the site's view, the public thread, erasure."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import MakeSite, auth, comment


async def post(client: TestClient, key: str, **overrides: object) -> dict[str, str]:
    response = await client.post("/v1/comments", json=comment(**overrides), headers=auth(key))
    assert response.status in (201, 202)
    body: dict[str, str] = await response.json()
    return body


async def test_site_reads_its_comment_with_masked_email(client: TestClient, site_key: str) -> None:
    posted = await post(client, site_key, body="gọi 0912345678")
    response = await client.get(f"/v1/comments/{posted['id']}", headers=auth(site_key))
    assert response.status == 200
    view = await response.json()
    assert view["email_masked"] == "an***@example.com"
    assert view["body"] == "gọi 0912345678"
    assert view["public_body"] == "gọi 091*******"
    assert view["status"] == "published" and view["policy_version"] == 1
    assert "an.nguyen@example.com" not in await response.text()


async def test_other_site_gets_404(client: TestClient, site_key: str, make_site: MakeSite) -> None:
    posted = await post(client, site_key)
    other = await make_site("other")
    response = await client.get(f"/v1/comments/{posted['id']}", headers=auth(other))
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    assert posted["id"] not in await response.text()


async def test_unknown_or_malformed_id_404(client: TestClient, site_key: str) -> None:
    for comment_id in ("00000000-0000-4000-8000-000000000000", "not-an-id"):
        response = await client.get(f"/v1/comments/{comment_id}", headers=auth(site_key))
        assert response.status == 404


async def test_reading_needs_a_key(client: TestClient, site_key: str) -> None:
    posted = await post(client, site_key)
    assert (await client.get(f"/v1/comments/{posted['id']}")).status == 401


async def test_thread_lists_published_only_oldest_first(client: TestClient, site_key: str) -> None:
    first = await post(client, site_key, body="thứ nhất, mail me an@x.vn")
    await post(client, site_key, body="casino casino")  # spam: hidden
    await post(client, site_key, body="maybe-spam")  # pending: hidden
    await post(client, site_key, thread="khac", body="other thread")
    second = await post(client, site_key, body="thứ hai")
    response = await client.get("/v1/sites/news/threads/bai-viet-1/comments")
    assert response.status == 200
    page = await response.json()
    assert [i["id"] for i in page["items"]] == [first["id"], second["id"]]
    assert page["next_cursor"] is None
    assert set(page["items"][0]) == {"id", "parent_id", "name", "body", "created_at"}
    assert page["items"][0]["body"] == "thứ nhất, mail me a***@x.vn"
    assert "example.com" not in await response.text()


async def test_thread_pagination_with_cursor(client: TestClient, site_key: str) -> None:
    ids = [(await post(client, site_key, body=f"số {i}"))["id"] for i in range(5)]
    seen: list[str] = []
    url = "/v1/sites/news/threads/bai-viet-1/comments?limit=2"
    cursor = None
    for _ in range(3):
        page = await (await client.get(url + (f"&cursor={cursor}" if cursor else ""))).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids and cursor is None


async def test_thread_id_may_hold_slashes(client: TestClient, site_key: str) -> None:
    posted = await post(client, site_key, thread="2024/05/bai-viet")
    page = await (await client.get("/v1/sites/news/threads/2024/05/bai-viet/comments")).json()
    assert [i["id"] for i in page["items"]] == [posted["id"]]


async def test_scores_keep_the_contract_order(client: TestClient, site_key: str) -> None:
    posted = await post(client, site_key)
    assert list(posted["scores"]) == ["spam", "abuse", "hate"]
    view = await (await client.get(f"/v1/comments/{posted['id']}", headers=auth(site_key))).json()
    assert list(view["scores"]) == ["spam", "abuse", "hate"]


async def test_thread_etag_304(client: TestClient, site_key: str) -> None:
    await post(client, site_key)
    url = "/v1/sites/news/threads/bai-viet-1/comments"
    first = await client.get(url)
    etag = first.headers["ETag"]
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag
    await post(client, site_key, body="mới")
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_thread_bad_parameters(client: TestClient, site_key: str) -> None:
    base = "/v1/sites/news/threads/t/comments"
    assert (await client.get("/v1/sites/nope/threads/t/comments")).status == 404
    for query in ("?limit=0", "?limit=abc", "?limit=1000", "?cursor=%%%", "?cursor=bm9wZQ"):
        response = await client.get(base + query)
        assert response.status == 422, query
        field = (await response.json(content_type=None))["errors"][0]["field"]
        assert field in ("limit", "cursor")


async def test_erase_author(
    client: TestClient, site_key: str, make_site: MakeSite, db: asyncpg.Connection
) -> None:
    other = await make_site("other")
    await post(client, site_key, email="Erase.Me@example.com")
    await post(client, site_key, email="erase.me@example.com", body="casino")
    await post(client, site_key, email="keep@example.com")
    await post(client, other, email="erase.me@example.com")
    response = await client.post(
        "/v1/authors/erase", json={"email": "erase.me@example.com"}, headers=auth(site_key)
    )
    assert response.status == 200
    assert await response.json() == {"erased": 2}
    assert await db.fetchval("SELECT count(*) FROM comments") == 2  # keep@ and the other site's
    assert await db.fetchval("SELECT count(*) FROM comment_events") == 2


async def test_erase_validates_and_needs_key(client: TestClient, site_key: str) -> None:
    bad = await client.post("/v1/authors/erase", json={"email": "x"}, headers=auth(site_key))
    assert bad.status == 422
    assert (await client.post("/v1/authors/erase", json={"email": "a@b.vn"})).status == 401
