"""A news site's desk: the article and the replied-to comment in the queue; logout releases."""

from __future__ import annotations

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
