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
