"""The article a comment belongs to (thread_title, thread_url) and the comment it answers."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.api.test_queue import claim, held
from tests.conftest import MakeStaff, auth, both_intake_statements, comment

intake_statement = both_intake_statements  # every test with each intake statement

TITLE = "Giá xăng giảm lần thứ ba liên tiếp"
URL = "https://bao.example.vn/kinh-te/gia-xang-giam-123.html"


async def queue(client: TestClient, token: str, **query: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/sites/news/queue", params=query, headers=auth(token))
    assert response.status == 200, await response.text()
    items: list[dict[str, Any]] = (await response.json())["items"]
    return items


async def test_title_and_address_are_stored_per_thread_and_listed(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    token = await make_staff("lan")
    await held(client, site_key, 1, thread_title="Tiêu đề cũ", thread_url=URL)
    await held(client, site_key, 1, thread_title=TITLE)  # the latest title wins; url kept
    await held(client, site_key, 1)  # a comment without them keeps what is stored
    rows = await db.fetch("SELECT thread, title, url FROM threads")
    assert [tuple(r) for r in rows] == [("bai-viet-1", TITLE, URL)]
    items = await queue(client, token)
    assert {(i["thread_title"], i["thread_url"]) for i in items} == {(TITLE, URL)}
    claimed = (await claim(client, token, 5))["items"]
    assert {(i["thread_title"], i["thread_url"]) for i in claimed} == {(TITLE, URL)}


async def test_reply_shows_the_comment_it_answers(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    first = await client.post(
        "/v1/comments", json=comment(body="Bài viết rất hay"), headers=auth(site_key)
    )
    parent = (await first.json())["id"]
    [reply] = await held(client, site_key, 1, parent_id=parent)
    [item] = [i for i in await queue(client, token) if i["id"] == reply]
    assert item["parent_id"] == parent
    assert (item["parent_name"], item["parent_excerpt"]) == ("Nguyễn Văn An", "Bài viết rất hay")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("thread_url", "javascript:alert(1)"),
        ("thread_url", "ftp://bao.example.vn/x"),
        ("thread_url", "https://"),
        ("thread_url", "https://bao.example.vn/" + "a" * 2000),
        ("thread_title", "x" * 501),
        ("thread_title", ""),
        ("thread_title", 5),
    ],
)
async def test_bad_article_fields_answer_422_naming_the_field(
    client: TestClient, site_key: str, field: str, value: object
) -> None:
    response = await client.post(
        "/v1/comments", json=comment(**{field: value}), headers=auth(site_key)
    )
    assert response.status == 422
    assert field in await response.text()


async def test_openapi_lists_the_fields_where_the_wordpress_plugin_looks(
    client: TestClient,
) -> None:
    # class-capabilities.php: components.schemas.CommentIn.properties
    doc = await (await client.get("/openapi.json")).json()
    properties = doc["components"]["schemas"]["CommentIn"]["properties"]
    assert {"thread_title", "thread_url", "parent_id"} <= set(properties)
