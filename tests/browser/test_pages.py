"""The pages in a real browser: log in, claim, keyboard decisions, undo, bulk, XSS, CSRF, policy."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install '.[dev]')"
)

from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import World, screenshot

XSS = 'maybe-spam <script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


def test_claim_decide_by_keyboard_and_undo(page: Page, world: World) -> None:
    world.person("lan")
    ids = [world.post(f"maybe-spam bình luận số {i}")["id"] for i in range(3)]
    world.login(page, "lan")
    items = page.locator("#items li.item")
    expect(items).to_have_count(3)
    page.click("#claim")
    expect(page.locator("#items li.item .claim").first).to_contain_text("lan")
    expect(items).to_have_count(3)
    expect(items.first).to_have_class("item status-pending current")
    page.keyboard.press("j")
    expect(items.nth(1)).to_have_class("item status-pending current")
    page.keyboard.press("k")
    page.keyboard.press("a")  # approve the first
    expect(items).to_have_count(2)
    expect(page.locator("#toast")).to_contain_text("approved")
    assert world.statuses()[ids[0]] == "published"
    page.keyboard.press("r")  # reject the next one, now current
    expect(items).to_have_count(1)
    assert world.statuses()[ids[1]] == "rejected"
    page.keyboard.press("u")  # undo the reject
    expect(items).to_have_count(2)
    expect(page.locator(f'li.item[data-id="{ids[1]}"]')).to_be_visible()
    assert world.statuses()[ids[1]] == "pending"
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    screenshot(page, "queue-after-undo")
    page.click("#lang-switch")
    expect(page.locator("header nav")).to_contain_text("Hàng chờ")
    expect(page.locator("#claim")).to_have_text("Nhận 10")
    screenshot(page, "queue-vietnamese")


def test_bulk_decide(page: Page, world: World) -> None:
    world.person("lan")
    ids = [world.post(f"maybe-spam quảng cáo {i}")["id"] for i in range(4)]
    world.login(page, "lan")
    items = page.locator("#items li.item")
    expect(items).to_have_count(4)
    items.nth(3).locator("input.pick").check()
    page.keyboard.press("x")  # the current (first) item too
    page.click('[data-bulk="spam"]')
    expect(items).to_have_count(2)
    statuses = world.statuses()
    assert [statuses[i] for i in ids] == ["spam", "pending", "pending", "spam"]
    page.check("#pick-all")
    page.click('[data-bulk="approve"]')
    expect(items).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    assert set(world.statuses().values()) == {"spam", "published"}
    screenshot(page, "queue-after-bulk")


def test_xss_payload_shows_as_text(page: Page, world: World) -> None:
    world.person("lan")
    cid = world.post(XSS, name='<img src=x onerror="window.pwned=3">')["id"]
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    world.login(page, "lan")
    body = page.locator(f'li.item[data-id="{cid}"] .body')
    expect(body).to_have_text(XSS)
    expect(page.locator(f'li.item[data-id="{cid}"] .name')).to_contain_text("<img src=x")
    page.click("#claim")  # the same item arriving as a fragment
    expect(body).to_have_text(XSS)
    page.goto(f"/ui/comments/{cid}")
    expect(page.locator("li.item .body")).to_have_text(XSS)
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("li.item img").count() == 0 and page.locator("main script").count() == 0
    assert dialogs == []
    screenshot(page, "xss-as-text")


def test_csrf_refused(page: Page, world: World) -> None:
    world.person("lan")
    cid = world.post("maybe-spam csrf")["id"]
    world.login(page, "lan")
    script = """async ([id, token]) => {
        const headers = {"Content-Type": "application/json"};
        if (token !== null) headers["X-CSRF-Token"] = token;
        const r = await fetch("/ui/api/decision", {method: "POST", headers,
            body: JSON.stringify({id, action: "approve"})});
        return r.status;
    }"""
    assert page.evaluate(script, [cid, None]) == 403
    assert page.evaluate(script, [cid, "forged-token"]) == 403
    assert world.statuses()[cid] == "pending"
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    assert page.evaluate(script, [cid, token]) == 200
    assert world.statuses()[cid] == "published"


def test_policy_change_with_preview(page: Page, world: World) -> None:
    world.person("hoa", "owner")
    for i in range(3):
        world.post(f"maybe-spam khuyến mãi {i}")
    world.post("Bài viết rất hay, xổ số hôm nay thế nào?")
    world.login(page, "hoa")
    page.click("header nav >> text=Policy")
    page.wait_for_url("**/ui/policy")
    expect(page.locator("#save")).to_be_disabled()
    page.fill("#spam-reject", "0.7")  # a slider
    expect(page.locator('output[for="spam-reject"]')).to_have_text("0.7")
    page.fill("#watched_terms", "xổ số")
    page.check("#premoderate_new_authors")
    page.click("#preview")
    expect(page.locator("#preview-table")).to_be_visible()
    expect(page.locator("#preview-comments")).to_have_text("4")
    expect(page.locator("#preview-result svg.chart")).to_be_visible()
    changed = int(page.locator("#preview-changed").inner_text())
    assert changed >= 3
    screenshot(page, "policy-preview")
    page.click("#save")
    expect(page.locator("#policy-message")).to_have_text("Saved as version 2.")
    expect(page.locator("#policy-version")).to_have_text("2")
    page.click("header nav >> text=Audit log")
    expect(page.locator("#audit")).to_contain_text("hoa")
    page.click("header nav >> text=Stats")
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, "stats")


def test_filters_and_sort_without_a_reload(page: Page, world: World) -> None:
    world.person("lan")
    world.post("maybe-spam một", thread="thoi-su")
    world.post("maybe-spam hai", thread="the-thao")
    removed = world.post("casino giảm giá sốc buy now", thread="the-thao")["status"]
    assert removed in ("rejected", "spam")  # not in the queue
    world.login(page, "lan")
    items = page.locator("#items li.item")
    expect(items).to_have_count(2)
    page.evaluate("window.stillHere = true")
    page.fill("#f-thread", "the-thao")
    page.select_option("#f-sort", "score")
    page.press("#f-thread", "Enter")
    expect(items).to_have_count(1)
    expect(items.first.locator(".body")).to_have_text("maybe-spam hai")
    page.select_option("#f-status", removed)
    page.click("#filters button[type=submit]")
    expect(items.first.locator(".body")).to_have_text("casino giảm giá sốc buy now")
    assert f"status={removed}" in page.url and page.evaluate("window.stillHere") is True
    page.click("#logout")
    page.wait_for_url("**/ui/login")
    page.goto("/ui/queue")
    page.wait_for_url("**/ui/login")  # the session is gone


def test_long_comment_collapses_and_expands_by_click_and_key(page: Page, world: World) -> None:
    world.person("lan")
    long = world.post(
        "maybe-spam " + "\n".join(f"dòng số {i} của bình luận dài" for i in range(60))
    )
    short = world.post("maybe-spam ngắn")
    world.login(page, "lan")
    item = page.locator(f'li.item[data-id="{long["id"]}"]')
    body, toggle = item.locator(".body"), item.locator("button.expand")
    expect(page.locator(f'li.item[data-id="{short["id"]}"] button.expand')).to_have_count(0)
    expect(toggle).to_have_text("Show more")
    collapsed = body.bounding_box()
    assert collapsed is not None and collapsed["height"] < 200
    toggle.click()
    expect(toggle).to_have_text("Show less")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    opened = body.bounding_box()
    assert opened is not None and opened["height"] > 800
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    item.click()  # the current item; e opens it from the keyboard
    page.keyboard.press("e")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("e")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.click("#lang-switch")
    expect(toggle).to_have_text("Xem thêm")
    screenshot(page, "queue-long-comment")
