"""Search in the queue and all comments (issue 19): text, author name, article, status and
days, newest first; a bounded walk per page; bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from moderation.domain import desk
from tests.api.test_authors import post
from tests.api.test_queue import held
from tests.conftest import MakeStaff, auth


async def search(client: TestClient, token: str, **query: str) -> Any:
    response = await client.get("/v1/sites/news/queue", params=query, headers=auth(token))
    assert response.status == 200, await response.text()
    return await response.json()


async def test_search_by_text_name_article_status_and_days(
    client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    token = await make_staff("lan")
    phone = (await post(client, site_key, "Liên hệ SỐ ĐIỆN THOẠI của tôi nhé"))["id"]
    [held_one] = await held(client, site_key, 1, body="maybe-spam số điện thoại", name="Trần Bình",
                            thread="bai-2")  # fmt: skip
    other = (await post(client, site_key, "Không liên quan", name="Lê Chi"))["id"]
    wild = (await post(client, site_key, "Giảm 100% thật_sự"))["id"]
    await db.execute("UPDATE comments SET created_at = '2026-01-15 12:00+07' WHERE id = $1", other)
    found = await search(client, token, q="số điện thoại")  # case-insensitive, Vietnamese
    assert [i["id"] for i in found["items"]] == [held_one, phone]  # newest first, any status
    assert {i["status"] for i in found["items"]} == {"published", "pending"}
    assert found["next_cursor"] is None
    assert [i["id"] for i in (await search(client, token, q="số", status="pending"))["items"]] == [
        held_one
    ]
    assert [i["id"] for i in (await search(client, token, name="bình"))["items"]] == [held_one]
    by_thread = await search(client, token, q="điện", thread="bai-2")
    assert [i["id"] for i in by_thread["items"]] == [held_one]
    # the user's wildcards are literal: "100%" and "_" match themselves only
    assert [i["id"] for i in (await search(client, token, q="100%"))["items"]] == [wild]
    assert [i["id"] for i in (await search(client, token, q="gi_m"))["items"]] == []
    days = await search(client, token, **{"from": "2026-01-15", "to": "2026-01-15"})
    assert [i["id"] for i in days["items"]] == [other]
    everything = await search(client, token, status="all")
    assert len(everything["items"]) == 4


async def test_search_pages_with_a_cursor_and_a_bounded_walk(
    client: TestClient, site_key: str, make_staff: MakeStaff, monkeypatch: Any
) -> None:
    token = await make_staff("lan")
    ids = [(await post(client, site_key, f"Ý kiến số {n}"))["id"] for n in range(5)]
    first = await search(client, token, q="ý kiến", limit="2")
    assert [i["id"] for i in first["items"]] == [ids[4], ids[3]]
    second = await search(client, token, q="ý kiến", limit="2", cursor=first["next_cursor"])
    assert [i["id"] for i in second["items"]] == [ids[2], ids[1]]
    # a walk of 3 rows per page: a page finds what those rows hold, then says where to go on
    monkeypatch.setattr("moderation.usecases.deskwork.SEARCH_SCAN", 3)
    found = await search(client, token, q="số 0")
    assert found["items"] == [] and found["next_cursor"]
    rest = await search(client, token, q="số 0", cursor=found["next_cursor"])
    assert [i["id"] for i in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert desk.SEARCH_SCAN == 2000


async def test_search_refuses_bad_input_naming_the_field(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    token = await make_staff("lan")
    for _ in range(2):
        await post(client, site_key, "Bài viết hay")
    queue_cursor = (await search(client, token, limit="1", status="published"))["next_cursor"]
    assert queue_cursor
    cases = [
        ({"q": "x" * 101}, "q"), ({"name": "a\x01b"}, "name"),
        ({"q": "a", "from": "15/01/2026"}, "from"), ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-02-02", "to": "2026-02-01"}, "to"),
        ({"q": "a", "status": "gone"}, "status"), ({"q": "a", "limit": "0"}, "limit"),
        ({"q": "a", "cursor": "xyz"}, "cursor"),
        ({"status": "all", "cursor": queue_cursor}, "cursor"),
    ]  # fmt: skip
    for query, field in cases:
        response = await client.get("/v1/sites/news/queue", params=query, headers=auth(token))
        assert response.status == 422, (query, await response.text())
        assert (await response.json())["errors"][0]["field"] == field, query


async def test_a_term_without_diacritics_finds_the_text_written_with_them(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    """Moderators type 'gia xang' as readers do; a term with diacritics means what it says."""
    token = await make_staff("lan")
    accented = (await post(client, site_key, "Giá xăng lại tăng, ĐỒ NGU mới tin lời hứa"))["id"]
    plain = (await post(client, site_key, "gia xang giam roi, do ngu moi khong biet", name="Đức"))[
        "id"
    ]
    other = (await post(client, site_key, "Gìa xẵng (sai dấu)"))["id"]

    def ids(found: Any) -> set[str]:
        return {i["id"] for i in found["items"]}

    assert ids(await search(client, token, q="gia xang")) == {accented, plain, other}
    assert ids(await search(client, token, q="do ngu")) == {accented, plain}
    assert ids(await search(client, token, q="giá xăng")) == {accented}
    assert ids(await search(client, token, q="đồ ngu")) == {accented}
    assert ids(await search(client, token, q="gìa")) == {other}
    assert ids(await search(client, token, name="duc")) == {plain}
    assert ids(await search(client, token, name="Đức")) == {plain}


def test_undecorated_terms() -> None:
    assert desk.undecorated("gia xang") and desk.undecorated("100%")
    assert not desk.undecorated("giá") and not desk.undecorated("do đúng")
    assert not desk.undecorated("Đ") and not desk.undecorated("ca\u0301")  # decomposed too
