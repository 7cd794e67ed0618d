"""The desk in a real browser (issue 19): an author's page from a queue item with ban,
premoderate, trust and lift; search from the queue's form; edit and publish from an item."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install '.[dev]')"
)

from playwright.sync_api import Page, expect

from tests.browser.conftest import World, screenshot

OTHER = "binh@example.com"


def public_thread(world: World, thread: str = "bai-1") -> str:
    """The public listing of a thread, as a reader's browser gets it."""
    url = f"{world.service.url}/v1/sites/{world.slug}/threads/{thread}/comments"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.dumps(json.loads(response.read()), ensure_ascii=False)


def test_author_page_from_the_queue_with_ban_premoderate_trust_and_lift(
    page: Page, world: World
) -> None:
    world.person("lan")
    world.post("Bình luận đầu tiên của An")
    held = world.post("maybe-spam mua hàng giá rẻ")["id"]
    world.post("Bình luận của người khác", name="Trần Bình", email=OTHER)
    world.login(page, "lan")
    item = page.locator(f'#items li.item[data-id="{held}"]')
    item.locator("a.author-link").click()
    page.wait_for_url("**/ui/authors/**")
    expect(page.locator("#author-name")).to_have_text("Nguyễn Văn An")
    expect(page.locator("#items li.item")).to_have_count(2)
    expect(page.locator("#items form.redact").first).to_be_hidden()
    expect(page.locator("#author-counts .count-published")).to_have_text("1")
    assert "an@example.com" not in page.content()
    page.click("#rule-ban")
    expect(page.locator("#rule-state")).to_contain_text("Banned by lan")
    expect(page.locator("#rule-ban")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#toast")).to_contain_text("Saved.")
    screenshot(page, "author-banned-en")
    assert world.post("Một ý kiến bình thường")["status"] == "rejected"
    assert world.post("Người khác vẫn đăng được", email=OTHER)["status"] == "published"
    page.goto(page.url + "?lang=vi")
    expect(page.locator("#rule-ban")).to_have_text("Chặn người viết")
    expect(page.locator("#rule-premoderate")).to_have_text("Kiểm duyệt trước")
    expect(page.locator("#rule-trust")).to_have_text("Tin tưởng")
    expect(page.locator("#rule-state")).to_contain_text("mọi bình luận mới đều bị từ chối")
    expect(page.locator("#items li.item")).to_have_count(3)  # the rejected one is listed too
    screenshot(page, "author-banned-vi")
    page.click("#rule-premoderate")
    expect(page.locator("#rule-state")).to_contain_text("phải chờ duyệt")
    assert world.post("Một ý kiến nữa")["status"] == "pending"
    page.click("#rule-trust")
    expect(page.locator("#rule-state")).to_contain_text("được đăng ngay")
    assert world.post("maybe-spam nhưng là người quen")["status"] == "published"
    expect(page.locator("#items li.item .author-rule").first).to_have_text("được tin tưởng")
    page.click("#rule-lift")
    expect(page.locator("#rule-state")).to_contain_text("Chưa áp dụng gì")
    expect(page.locator("#items li.item .author-rule")).to_have_count(0)
    expect(page.locator("#rule-events tbody tr")).to_have_count(4)
    assert world.post("maybe-spam lần nữa")["status"] == "pending"
    screenshot(page, "author-history-vi")


def test_search_from_the_queue_form(page: Page, world: World) -> None:
    world.person("lan")
    published = world.post("Giá XĂNG lại tăng rồi")["id"]
    held = world.post("maybe-spam giá xăng giảm sâu", name="Trần Bình", email=OTHER)["id"]
    world.post("Thời tiết hôm nay đẹp")
    world.login(page, "lan")
    page.fill("#f-q", "xăng")
    page.select_option("#f-status", "all")
    page.click("#search-submit")
    items = page.locator("#items li.item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-id", held)  # newest first
    expect(items.nth(1)).to_have_attribute("data-id", published)
    assert "q=x" in page.url and "status=all" in page.url
    screenshot(page, "search-en")
    page.fill("#f-q", "")
    page.fill("#f-name", "bình")
    page.keyboard.press("Enter")
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-id", held)
    page.goto("/ui/queue?q=x%C4%83ng&status=all&lang=vi")
    expect(page.locator("#search")).to_contain_text("Nội dung")
    expect(page.locator("#search-submit")).to_have_text("Tìm")
    expect(page.locator("#items li.item")).to_have_count(2)
    screenshot(page, "search-vi")
    page.fill("#f-from", "2020-02-02")
    page.fill("#f-to", "2020-02-01")
    page.click("#search-submit")
    expect(page.locator("#toast")).to_contain_text("to")  # 422 naming the field


def test_edit_and_publish_keeps_the_original_for_staff(page: Page, world: World) -> None:
    world.person("lan")
    cid = world.post("maybe-spam Bán xe, gọi anh Tuấn ở 12 ngõ Huế nhé")["id"]
    world.login(page, "lan")
    item = page.locator(f'#items li.item[data-id="{cid}"]')
    expect(item.locator("form.redact")).to_be_hidden()
    page.keyboard.press("j")
    page.keyboard.press("p")
    area = item.locator("form.redact textarea")
    expect(area).to_be_visible()
    expect(area).to_be_focused()
    area.fill("maybe-spam Bán xe, gọi anh Tuấn [đã ẩn] nhé")
    item.locator('form.redact input[name="note"]').fill("địa chỉ nhà")
    screenshot(page, "redact-editor-en")
    item.locator("button.redact-publish").click()
    expect(page.locator("#toast")).to_contain_text("Edited and published.")
    expect(item).to_have_count(0)
    assert world.statuses()[cid] == "published"
    public = public_thread(world)
    assert "[đã ẩn]" in public and "ngõ Huế" not in public
    page.goto(f"/ui/comments/{cid}")
    expect(page.locator("#items li.item .body")).to_contain_text("12 ngõ Huế")
    expect(page.locator("#items li.item .public-copy")).to_contain_text("[đã ẩn]")
    expect(page.locator("#events tr.redaction")).to_contain_text("edited the public copy")
    expect(page.locator("#events")).to_contain_text("approved")
    screenshot(page, "redact-history-en")
    page.goto(f"/ui/comments/{cid}?lang=vi")
    expect(page.locator("#events tr.redaction")).to_contain_text("sửa bản công khai")
    expect(page.locator("#items li.item .public-copy")).to_contain_text("Bản công khai (đã sửa)")
    page.locator("#events tr.redaction summary").click()
    expect(page.locator("#events tr.redaction .before")).to_contain_text("ngõ Huế")
    screenshot(page, "redact-history-vi")
    # an edit without publishing, from the comment page: the item stays, its copy replaced
    page.locator("#items li.item button.redact-open").click()
    page.locator("#items li.item form.redact textarea").fill("Bán xe [đã ẩn]")
    page.locator("#items li.item button.redact-save").click()
    expect(page.locator("#toast")).to_contain_text("Đã lưu bản sửa.")
    expect(page.locator("#items li.item .public-copy")).to_contain_text("Bán xe [đã ẩn]")
    expect(page.locator("#items li.item input.pick")).to_have_count(0)
