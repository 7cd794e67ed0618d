"""The desk's pages (issue 19): an author's page reached from each queue item, with their
comments and rule buttons (never the address); search from the queue's form; edit and
publish from an item, the original kept for staff, both steps in the history."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import auth, comment
from tests.web.conftest import MakeLogin, held
from tests.web.test_newsroom import RAW_CODE, RAW_KEY, visible
from tests.web.test_pages import send

EMAIL = "an.nguyen@example.com"


async def test_queue_item_links_to_the_authors_page_with_rule_buttons(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login()
    [cid] = await held(client, site_key, 1)
    await client.post("/v1/comments", json=comment(body="Bài hay"), headers=auth(site_key))
    author = await db.fetchval("SELECT encode(email_hash, 'hex') FROM comments WHERE id = $1", cid)
    queue = await (await client.get("/ui/queue")).text()
    assert f'href="/ui/authors/{author}"' in queue
    page = await client.get(f"/ui/authors/{author}?lang=vi")
    assert page.status == 200
    html = await page.text()
    assert EMAIL not in html and "an.nguyen" not in html
    for words in ("Chặn người viết", "Kiểm duyệt trước", "Tin tưởng", "Bỏ áp dụng", "Sửa và đăng"):
        assert words in html, words
    assert html.count('class="item ') == 2 and 'class="author-link"' not in html
    answer = await send(client, csrf, "/ui/api/author-rule", {"author": author, "rule": "ban"})
    assert answer["rule"] == "ban" and answer["changed"] is True
    assert 'aria-pressed="true"' in answer["html"] and "lan" in answer["html"]
    banned = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert (await banned.json())["status"] == "rejected"
    queue = await (await client.get("/ui/queue?lang=vi")).text()
    assert "bị chặn" in visible(queue)
    lifted = await send(client, csrf, "/ui/api/author-rule", {"author": author, "rule": None})
    assert lifted["rule"] is None and "bỏ áp dụng" in lifted["html"].lower()
    missing = await client.get(f"/ui/authors/{'0' * 64}")
    assert missing.status == 404
    bad = await client.post(
        "/ui/api/author-rule", json={"author": author, "rule": "ban"}, headers={}
    )
    assert bad.status == 403  # no CSRF token


async def test_search_form_finds_comments_in_every_status(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login()
    [held_id] = await held(client, site_key, 1, body="maybe-spam giá xăng hôm nay")
    posted = await client.post(
        "/v1/comments", json=comment(body="Giá XĂNG lại tăng", name="Trần Bình"),
        headers=auth(site_key),
    )  # fmt: skip
    published = (await posted.json())["id"]
    page = await (await client.get("/ui/queue?q=xăng&status=all&lang=vi")).text()
    assert 'id="f-q"' in page and 'value="xăng"' in page
    assert page.index(published) < page.index(held_id)  # newest first, both statuses
    assert '<option value="all" selected>' in page
    found = await (await client.get("/ui/api/items?name=bình")).json()
    assert found["count"] == 1 and published in found["html"]
    bad = await client.get("/ui/api/items?from=2026-13-01")
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "from"


async def test_edit_and_publish_from_the_page(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("chu", role="owner")  # an owner moderates too, and reads the audit
    [cid] = await held(client, site_key, 1, body="maybe-spam gọi anh Tuấn ở 12 ngõ Huế")
    queue = await (await client.get("/ui/queue?lang=vi")).text()
    assert f'id="redact-{cid}"' in queue and "Sửa và đăng" in queue
    edit = {"id": cid, "public_body": "maybe-spam gọi anh Tuấn [đã ẩn]", "note": "địa chỉ"}
    answer = await send(client, csrf, "/ui/api/redact", edit)
    assert (answer["status"], answer["published"], answer["edited"]) == ("published", True, True)
    assert "12 ngõ Huế" in answer["html"] and "[đã ẩn]" in answer["html"]  # staff see both
    thread = await (await client.get("/v1/sites/news/threads/bai-viet-1/comments")).text()
    assert "[đã ẩn]" in thread and "ngõ Huế" not in thread
    history = await (await client.get(f"/ui/comments/{cid}?lang=vi")).text()
    assert "sửa bản công khai" in history and "đã duyệt" in history
    assert "12 ngõ Huế" in history
    audit = await (await client.get("/ui/audit?lang=vi")).text()
    assert "Sửa bản công khai" in audit and "sửa bản công khai" in audit


async def test_desk_pages_show_no_untranslated_key(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login("chu", role="owner")
    [cid] = await held(client, site_key, 1)
    author = await db.fetchval("SELECT encode(email_hash, 'hex') FROM comments WHERE id = $1", cid)
    for rule in ("premoderate", "trust", "ban", None):
        await send(client, csrf, "/ui/api/author-rule", {"author": author, "rule": rule})
    await send(client, csrf, "/ui/api/author-rule", {"author": author, "rule": "ban"})
    await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    await send(client, csrf, "/ui/api/redact", {"id": cid, "public_body": "Bản đã sửa"})
    pages = [
        f"/ui/authors/{author}", "/ui/queue?status=all", "/ui/queue?q=b%E1%BA%A3n",
        f"/ui/comments/{cid}", "/ui/audit", "/ui/queue?status=rejected",
    ]  # fmt: skip
    for lang in ("vi", "en"):
        for path in pages:
            response = await client.get(path, headers={"Accept-Language": lang})
            assert response.status == 200, path
            html = visible(await response.text())
            assert not RAW_CODE.findall(html), (lang, path, RAW_CODE.findall(html))
            assert not RAW_KEY.findall(html), (lang, path, RAW_KEY.findall(html))
