"""The queue as a desk works it all day: counts per status in the tabs, new comments noticed
while the page is open (by any process), decision notes, reason and article filters offered as
choices."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from moderation.domain.pages import COUNT_CAP, QueueCounts
from moderation.domain.policy import REASON_CODES
from tests.conftest import auth, comment
from tests.web.conftest import MakeLogin, held
from tests.web.test_pages import send

COUNT = re.compile(r'data-count="(\w+)"[^>]*>([^<]*)<')


def tab_counts(html: str) -> dict[str, str]:
    """The count each queue tab shows."""
    return dict(COUNT.findall(html))


async def live(client: TestClient, since: str, **query: str) -> dict[str, Any]:
    """GET /ui/api/live with these filters; the JSON (asserting 200)."""
    response = await client.get("/ui/api/live", params={"since": since, **query})
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


def since_of(html: str) -> str:
    """The time of the count the page was rendered with."""
    found = re.search(r'data-since="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_tabs_count_each_status_and_the_reported(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login()
    ids = await held(client, site_key, 4)
    await client.post("/v1/comments", json=comment(body="Bài hay"), headers=auth(site_key))
    await send(client, csrf, "/ui/api/decision", {"id": ids[0], "action": "reject"})
    await send(client, csrf, "/ui/api/decision", {"id": ids[1], "action": "spam"})
    body = {"reason": "abuse", "reporter_ip": "198.51.100.7"}
    await client.post(f"/v1/comments/{ids[2]}/report", json=body, headers=auth(site_key))
    html = await (await client.get("/ui/queue")).text()
    assert tab_counts(html) == {
        "pending": "2", "reported": "1", "published": "1", "rejected": "1", "spam": "1",
    }  # fmt: skip
    vi = await (await client.get("/ui/queue?status=rejected&lang=vi")).text()
    assert 'id="tab-rejected" href="/ui/queue?status=rejected" aria-current="page"' in vi
    assert ">Bị từ chối</span>" in vi and ">Đã đăng</span>" in vi


def test_counts_past_the_cap_show_a_plus() -> None:
    now = datetime.now(UTC)
    counts = QueueCounts(
        pending=COUNT_CAP + 1, published=COUNT_CAP, rejected=0, spam=3, reported=0, fresh=0,
        as_of=now,
    )  # fmt: skip
    assert counts.tabs()["pending"] == f"{COUNT_CAP}+"
    assert counts.tabs()["published"] == str(COUNT_CAP)


async def test_counts_read_at_most_the_cap(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    """The page's count stops at the cap: 1,002 published comments show as "1000+"."""
    await login()
    site = await db.fetchval("SELECT id FROM sites WHERE slug = 'news'")
    await db.execute(
        "INSERT INTO comments (site_id, thread, author_name, email_hash, email_domain,"
        " email_masked, body, public_body, status, intake_status, scores, reasons,"
        " model_version, policy_version)"
        " SELECT $1, 't', 'A', '\\x00'::bytea, 'example.com', 'a***@example.com', 'x', 'x',"
        " 'published', 'published', '{}'::jsonb, '{}', 'm', 1 FROM generate_series(1, $2)",
        site, COUNT_CAP + 2,
    )  # fmt: skip
    html = await (await client.get("/ui/queue")).text()
    assert tab_counts(html)["published"] == f"{COUNT_CAP}+"


async def test_live_check_sees_new_comments_and_keeps_counts_current(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login()
    [first] = await held(client, site_key, 1)
    html = await (await client.get("/ui/queue")).text()
    since = since_of(html)
    quiet = await live(client, since)
    assert quiet["fresh"] == 0 and quiet["counts"]["pending"] == "1"
    await held(client, site_key, 2)
    await client.post("/v1/comments", json=comment(body="Bài hay"), headers=auth(site_key))
    seen = await live(client, since, lang="vi")
    assert seen["fresh"] == 2  # the published one is not in this view
    assert seen["fresh_text"] == "2 bình luận mới"
    assert seen["counts"]["pending"] == "3" and seen["counts"]["published"] == "1"
    assert (await live(client, since, status="published"))["fresh"] == 1
    assert (await live(client, since, thread="khac"))["fresh"] == 0
    assert (await live(client, since, reason="spam:hold"))["fresh"] == 2
    # counting again from the time the last check returned: nothing new since
    assert (await live(client, seen["since"]))["fresh"] == 0
    await send(client, csrf, "/ui/api/decision", {"id": first, "action": "approve"})
    after = await live(client, seen["since"])
    assert after["counts"]["pending"] == "2" and after["counts"]["published"] == "2"


async def test_live_check_on_the_reported_view_counts_new_reports(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login()
    ids = await held(client, site_key, 2)
    since = since_of(await (await client.get("/ui/queue?reason=reported")).text())
    for n, cid in enumerate(ids):
        body = {"reason": "spam", "reporter_ip": f"198.51.100.{n}"}
        await client.post(f"/v1/comments/{cid}/report", json=body, headers=auth(site_key))
    seen = await live(client, since, reason="reported")
    assert seen["fresh"] == 2 and seen["counts"]["reported"] == "2"
    assert seen["fresh_text"] == "Newly reported: 2"


async def test_a_second_process_answers_the_live_check(
    client: TestClient, site_key: str, login: MakeLogin, aiohttp_client: Any, settings: Any
) -> None:
    """Nothing lives in the process: another app over the same database sees the same."""
    from moderation.app import create_app
    from tests.standin import KeywordScorer

    await login()
    since = since_of(await (await client.get("/ui/queue")).text())
    other = await aiohttp_client(create_app(settings, KeywordScorer))
    await held(other, site_key, 1)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/ui/"))["mod_session"]
    response = await other.get(
        "/ui/api/live", params={"since": since}, cookies={"mod_session": cookie.value}
    )
    assert response.status == 200
    assert (await response.json())["fresh"] == 1


async def test_live_check_refuses_a_bad_since_and_needs_a_session(
    client: TestClient, login: MakeLogin, site_key: str
) -> None:
    anonymous = await client.get("/ui/api/live", params={"since": "2026-01-01T00:00:00+00:00"})
    assert anonymous.status == 401
    await login()
    for bad in ("", "yesterday", "2026-01-01T00:00:00", "9" * 50):
        response = await client.get("/ui/api/live", params={"since": bad})
        assert response.status == 422, bad
        assert (await response.json())["errors"][0]["field"] == "since"


async def test_a_note_goes_with_a_decision_and_shows_in_the_history(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login()
    [one, two] = await held(client, site_key, 2)
    queue = await (await client.get("/ui/queue?lang=vi")).text()
    assert 'class="note"' in queue and "Ghi chú kèm quyết định (không bắt buộc)" in queue
    note = "Lộ số điện thoại <b>cá nhân</b>"
    await send(client, csrf, "/ui/api/decision", {"id": one, "action": "reject", "note": note})
    await send(client, csrf, "/ui/api/bulk", {"ids": [two], "action": "spam", "note": "quảng cáo"})
    stored = await db.fetchval(
        "SELECT note FROM comment_events WHERE comment_id = $1 AND action = 'reject'", one
    )
    assert stored == note
    page = await (await client.get(f"/ui/comments/{one}")).text()
    assert '<td class="note">Lộ số điện thoại &lt;b&gt;cá nhân&lt;/b&gt;</td>' in page
    assert "quảng cáo" in await (await client.get(f"/ui/comments/{two}")).text()
    # a moderator's note that reads "undo" is their words, not the undo marker
    await send(client, csrf, "/ui/api/undo", {"id": one})
    await send(client, csrf, "/ui/api/decision", {"id": one, "action": "reject", "note": "undo"})
    history = await (await client.get(f"/ui/comments/{one}?lang=vi")).text()
    assert '<td class="note">đã hoàn tác</td>' in history  # the undo itself
    assert '<td class="note">undo</td>' in history  # the note


async def test_filters_offer_reasons_in_words_and_articles_by_title(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login()
    title = "Giá xăng giảm <lần> thứ ba"
    await held(client, site_key, 1, thread="gia-xang", thread_title=title)
    await held(client, site_key, 1, thread="khong-ten")
    html = await (await client.get("/ui/queue?lang=vi")).text()
    select = html[
        html.index('id="f-reason"') : html.index("</select>", html.index('id="f-reason"'))
    ]
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert options[:2] == [("", "Tất cả lý do"), ("reported", "Bị báo cáo")]
    assert ("spam:hold", "Điểm thư rác: giữ lại chờ duyệt") in options
    assert {code for code, _ in options[2:]} == set(REASON_CODES)
    assert 'list="thread-choices"' in html
    assert '<option value="gia-xang">Giá xăng giảm &lt;lần&gt; thứ ba</option>' in html
    assert '<option value="khong-ten">khong-ten</option>' in html
    english = await (await client.get("/ui/queue?reason=reported&lang=en")).text()
    assert '<option value="reported" selected>Reported</option>' in english
    # a code from a link that the list lacks stays shown, in words where known
    odd = await (await client.get("/ui/queue?reason=honeypot:hold")).text()
    assert '<option value="honeypot:hold" selected>Bot trap filled: held</option>' in odd
    # the filter itself: the article chosen
    only = await (await client.get("/ui/queue?thread=gia-xang")).text()
    assert only.count('class="item ') == 1 and "Giá xăng giảm" in only


async def test_a_search_page_counts_its_tabs_and_polls_like_the_queue(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    """A search over every status (status=all, which the queue's own filters refuse) renders
    its counts and its live checks answer, rather than a 422 every 15 seconds."""
    await login()
    await held(client, site_key, 1)
    query = {"status": "all", "q": "maybe"}
    page = await client.get("/ui/queue", params=query)
    assert page.status == 200, await page.text()
    html = await page.text()
    assert tab_counts(html)["pending"] == "1"
    answer = await live(client, since_of(html), **query)
    assert answer["fresh"] == 0 and answer["counts"]["pending"] == "1"
