"""A news site's desk in a real browser: articles, replies, logout releasing claims."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install '.[dev]')"
)

from playwright.sync_api import Page, expect

from tests.browser.conftest import World, screenshot

TITLE = "Giá xăng giảm lần thứ ba liên tiếp"
URL = "https://bao.example.vn/kinh-te/gia-xang-giam.html"


def test_queue_shows_article_title_link_and_replied_to_comment(page: Page, world: World) -> None:
    world.person("lan")
    parent = world.post("Xăng giảm thì tốt quá, mong giá điện cũng giảm.")["id"]
    world.post("maybe-spam trả lời bạn ở trên", parent_id=parent, thread_title=TITLE,
               thread_url=URL)  # fmt: skip
    world.login(page, "lan")
    item = page.locator("#items li.item").first
    link = item.locator("a.article")
    expect(link).to_have_text(TITLE)
    expect(link).to_have_attribute("href", URL)
    expect(item.locator("blockquote.parent")).to_contain_text("mong giá điện cũng giảm")
    screenshot(page, "queue-article-en")
    page.goto("/ui/queue?lang=vi")
    expect(page.locator("#items li.item").first.locator("blockquote.parent")).to_contain_text(
        "Trả lời"
    )
    screenshot(page, "queue-article-vi")


def test_logout_releases_claims(page: Page, world: World) -> None:
    world.person("lan")
    world.person("minh")
    for i in range(2):
        world.post(f"maybe-spam bình luận {i}")
    world.login(page, "lan")
    page.click("#claim")
    expect(page.locator("#items li.item .claim").first).to_contain_text("lan")
    page.click("#logout")
    page.wait_for_url("**/ui/login**")
    world.login(page, "minh")
    expect(page.locator("#items li.item")).to_have_count(2)
    expect(page.locator("#items li.item .claim")).to_have_count(0)


def test_every_page_in_both_languages_without_raw_codes(page: Page, world: World) -> None:
    world.person("chu", role="owner")
    cid = world.post("maybe-spam bình luận", thread_title=TITLE, thread_url=URL)["id"]
    world.login(page, "chu")
    page.keyboard.press("j")
    page.keyboard.press("s")  # spam the only one: the toast names the action, item gone
    expect(page.locator("#toast")).to_contain_text("marked as spam")
    for lang in ("en", "vi"):
        for name, path in (("queue", "/ui/queue?status=spam"), ("comment", f"/ui/comments/{cid}"),
                           ("policy", "/ui/policy"), ("stats", "/ui/stats"),
                           ("audit", "/ui/audit"), ("staff", "/ui/staff")):  # fmt: skip
            page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            text = page.locator("body").inner_text()
            assert "spam:hold" not in text and "status_" not in text, (lang, path)
            screenshot(page, f"{name}-{lang}")
    page.goto(f"/ui/comments/{cid}?lang=vi")
    expect(page.locator("#events")).to_contain_text("đánh dấu thư rác")


def test_reported_tab_lists_reported_comments_by_reports(page: Page, world: World) -> None:
    world.person("lan")
    once = world.post("Bình luận bị báo cáo một lần")["id"]
    thrice = world.post("Bình luận bị báo cáo ba lần")["id"]
    world.post("Bình luận không ai báo cáo")
    world.report(once, "198.51.100.1")
    for n in range(3):
        world.report(thrice, f"198.51.100.{n}", reason="hate")
    world.login(page, "lan")
    page.click("#tab-reported")
    page.wait_for_url("**/ui/queue?reason=reported")
    expect(page.locator("#tab-reported")).to_have_attribute("aria-current", "page")
    items = page.locator("#items li.item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-id", thrice)
    expect(items.nth(0).locator(".reports")).to_contain_text("3 reports")
    expect(items.nth(0).locator(".badge")).to_contain_text("pending")  # held at 3
    expect(items.nth(1).locator(".badge")).to_contain_text("published")
    screenshot(page, "queue-reported-en")
    page.goto("/ui/queue?reason=reported&lang=vi")
    expect(page.locator("#tab-reported .tab-name")).to_have_text("Bị báo cáo")
    expect(page.locator("#items li.item").first.locator(".reports")).to_contain_text(
        "3 lượt báo cáo"
    )
    screenshot(page, "queue-reported-vi")
    # approving settles the reports: it leaves the reported view
    page.locator("#items li.item").first.locator('[data-action="approve"]').click()
    expect(page.locator("#toast")).to_contain_text("Đã xử lý: đã duyệt")
    assert world.statuses()[thrice] == "published"
    page.goto("/ui/queue?reason=reported")
    expect(page.locator("#items li.item")).to_have_count(1)
