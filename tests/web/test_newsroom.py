"""A news site's desk: the article and the replied-to comment in the queue; logout releases."""

from __future__ import annotations

import re

import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import auth, comment
from tests.web.conftest import MakeLogin, held
from tests.web.test_pages import send

TITLE = "Giá xăng giảm <lần> thứ ba"
URL = "https://bao.example.vn/gia-xang.html?a=1&b=2"


async def test_queue_shows_the_article_as_a_link_and_the_replied_to_comment(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login()
    first = await client.post(
        "/v1/comments", json=comment(body="Ý kiến đầu tiên"), headers=auth(site_key)
    )
    parent = (await first.json())["id"]
    await held(client, site_key, 1, parent_id=parent, thread_title=TITLE, thread_url=URL)
    html = await (await client.get("/ui/queue")).text()
    link = 'class="article" href="https://bao.example.vn/gia-xang.html?a=1&amp;b=2"'
    assert link in html and "Giá xăng giảm &lt;lần&gt; thứ ba" in html
    assert 'class="parent"' in html and "Ý kiến đầu tiên" in html
    assert f"/ui/comments/{parent}" in html


async def test_logout_releases_the_users_claims(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login()
    await held(client, site_key, 3)
    claimed = await send(client, csrf, "/ui/api/claim", {"limit": 10})
    assert claimed["count"] == 3
    held_rows = "SELECT count(*) FROM comments WHERE claimed_by IS NOT NULL"
    assert await db.fetchval(held_rows) == 3
    response = await client.post("/ui/logout", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303
    assert await db.fetchval(held_rows) == 0


RAW_CODE = re.compile(r"(?<![\w/-])[a-z_]+:(?:hold|reject|publish)\b")
RAW_KEY = re.compile(r"\b(?:status|kind|label|rule|verdict|action|actor|note|role|error)_[a-z_]+")
TAG = re.compile(r"<script.*?</script>|<[^>]*>", re.DOTALL)


def visible(html: str) -> str:
    """The text a reader sees: no tags, attributes or scripts."""
    return TAG.sub(" ", html)


async def test_no_page_shows_an_untranslated_key_or_raw_reason_code(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login("chu", role="owner")
    [cid, other] = await held(client, site_key, 2, thread_title="Bài báo", thread_url=URL)
    for n in range(3):
        body = {"reason": "abuse", "reporter_ip": f"198.51.100.{n}"}
        await client.post(f"/v1/comments/{other}/report", json=body, headers=auth(site_key))
    await send(client, csrf, "/ui/api/claim", {"limit": 1})
    await send(client, csrf, "/ui/api/decision", {"id": cid, "action": "reject"})
    await send(client, csrf, "/ui/api/undo", {"id": cid})
    await send(client, csrf, "/ui/api/model", {"enabled": False})
    pages = [
        "/ui/queue", "/ui/queue?status=published", "/ui/queue?reason=reported",
        f"/ui/comments/{cid}",
        f"/ui/comments/{other}", "/ui/policy", "/ui/stats", "/ui/audit", "/ui/staff",
        "/ui/model",
    ]  # fmt: skip
    for lang in ("vi", "en"):
        for path in pages:
            html = visible(await (await client.get(path, headers={"Accept-Language": lang})).text())
            assert not RAW_CODE.findall(html), (lang, path, RAW_CODE.findall(html))
            assert not RAW_KEY.findall(html), (lang, path, RAW_KEY.findall(html))
            if lang == "vi":
                assert " system " not in html and " operator " not in html
    vi = {"Accept-Language": "vi"}
    queue = await (await client.get("/ui/queue", headers=vi)).text()
    assert "Điểm thư rác: giữ lại chờ duyệt" in queue and "Xúc phạm" in queue
    assert "chu đang xử lý" in queue and "Bài viết" in queue
    history = await (await client.get(f"/ui/comments/{cid}", headers=vi)).text()
    assert "đã từ chối" in history and "đã hoàn tác" in history and "tự động" in history
    audit = await (await client.get("/ui/audit", headers=vi)).text()
    assert "Hoàn tác" in audit and "Quyết định" in audit and "phiên bản 1" in audit
    assert "Mô hình riêng" in audit and "đã tắt: chỉ dùng mô hình chung" in audit
    policy = await (await client.get("/ui/policy", headers=vi)).text()
    assert "Tin tưởng tác giả" in policy


async def test_reported_tab_lists_reported_comments_with_their_count(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login()
    ok = await client.post("/v1/comments", json=comment(body="Bài hay"), headers=auth(site_key))
    cid = (await ok.json())["id"]
    for n in range(2):
        body = {"reason": "spam", "reporter_ip": f"198.51.100.{n}"}
        await client.post(f"/v1/comments/{cid}/report", json=body, headers=auth(site_key))
    await held(client, site_key, 1)
    vi = {"Accept-Language": "vi"}
    html = await (await client.get("/ui/queue?reason=reported", headers=vi)).text()
    assert 'id="tab-reported" href="/ui/queue?reason=reported" aria-current="page"' in html
    assert html.count('class="item ') == 1 and f'data-id="{cid}"' in html
    assert "2 lượt báo cáo" in html and "Bị báo cáo" in html
    pending = await (await client.get("/ui/queue")).text()
    assert (
        f'data-id="{cid}"' not in pending
        and 'id="tab-queue" href="/ui/queue" aria-current' in pending
    )
