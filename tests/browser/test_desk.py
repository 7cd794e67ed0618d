"""A desk working all day in a real browser: notes with decisions, counts in the tabs, new
comments announced without a reload, filters as choices; owners managing their staff."""

from __future__ import annotations

import re

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install '.[dev]')"
)

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.browser.conftest import Service, World, screenshot

TITLE = "Giá xăng giảm lần thứ ba liên tiếp"
URL = "https://bao.example.vn/kinh-te/gia-xang-giam.html"
NEW_PASSWORD = "mật-khẩu-mới-của-mai-1"


def test_a_note_goes_with_the_decision_into_the_history(page: Page, world: World) -> None:
    world.person("lan")
    cid = world.post("maybe-spam gọi 0912 345 678 để nhận quà")["id"]
    world.login(page, "lan")
    item = page.locator(f'#items li.item[data-id="{cid}"]')
    note = item.locator("input.note")
    expect(note).to_have_attribute("placeholder", "Note with the decision (optional)")
    note.fill("Lộ số điện thoại; đã báo biên tập")
    note.press("r")  # typing in the note is text, not the reject shortcut
    expect(note).to_have_value("Lộ số điện thoại; đã báo biên tậpr")
    note.fill("Lộ số điện thoại; đã báo biên tập")
    screenshot(page, "queue-note-en")
    page.goto("/ui/queue?lang=vi")
    note = item.locator("input.note")
    expect(note).to_have_attribute("placeholder", "Ghi chú kèm quyết định (không bắt buộc)")
    note.fill("Lộ số điện thoại; đã báo biên tập")
    screenshot(page, "queue-note-vi")
    item.locator('[data-action="reject"]').click()
    expect(page.locator("#toast")).to_contain_text("Đã xử lý: đã từ chối")
    assert world.statuses()[cid] == "rejected"
    page.goto(f"/ui/comments/{cid}?lang=vi")
    row = page.locator("#events tbody tr").last
    expect(row).to_contain_text("đã từ chối")
    expect(row.locator("td.note")).to_have_text("Lộ số điện thoại; đã báo biên tập")
    screenshot(page, "comment-note-vi")
    page.goto(f"/ui/comments/{cid}?lang=en")
    expect(page.locator("#events td.note").last).to_have_text("Lộ số điện thoại; đã báo biên tập")
    screenshot(page, "comment-note-en")


def test_tabs_count_and_new_comments_wait_in_a_banner(page: Page, world: World) -> None:
    world.person("lan")
    first = world.post("maybe-spam bình luận đầu")["id"]
    second = world.post("maybe-spam bình luận thứ hai")["id"]
    world.post("Bài viết rất hay, cảm ơn tác giả!")
    page.clock.install()
    world.login(page, "lan")
    expect(page.locator('#tab-queue [data-count="pending"]')).to_have_text("2")
    expect(page.locator('#tab-published [data-count="published"]')).to_have_text("1")
    expect(page.locator("#live")).to_be_hidden()
    page.keyboard.press("j")  # from the first to the second
    current = page.locator("#items li.item.current")
    expect(current).to_have_attribute("data-id", second)
    # two comments come in while the page is open (through the API, as a site sends them)
    world.post("maybe-spam bình luận mới một")
    world.post("maybe-spam bình luận mới hai")
    page.clock.run_for(16_000)
    banner = page.locator("#live")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("New comments: 2")
    expect(page.locator('#tab-queue [data-count="pending"]')).to_have_text("4")
    # nothing moved under the moderator: same list, same item under the cursor
    expect(page.locator("#items li.item")).to_have_count(2)
    expect(current).to_have_attribute("data-id", second)
    expect(page.locator("#items li.item").first).to_have_attribute("data-id", first)
    screenshot(page, "queue-live-en")
    page.click("#fresh-show")
    expect(page.locator("#items li.item")).to_have_count(4)
    expect(banner).to_be_hidden()
    # a decision updates the counts without waiting for the next check
    page.locator("#items li.item").first.locator('[data-action="approve"]').click()
    page.clock.run_for(1_000)
    expect(page.locator('#tab-queue [data-count="pending"]')).to_have_text("3")
    expect(page.locator('#tab-published [data-count="published"]')).to_have_text("2")
    page.goto("/ui/queue?lang=vi")
    world.post("maybe-spam thêm một bình luận")
    page.clock.run_for(16_000)
    expect(banner).to_contain_text("1 bình luận mới")
    expect(page.locator("#fresh-show")).to_have_text("Hiện")
    expect(page.locator("#tab-queue .tab-name")).to_have_text("Cần duyệt")
    screenshot(page, "queue-live-vi")


def test_reason_and_article_filters_offer_choices(page: Page, world: World) -> None:
    world.person("lan")
    world.post("maybe-spam về giá xăng", thread="gia-xang", thread_title=TITLE, thread_url=URL)
    world.post("maybe-spam chuyện khác", thread="bai-khac", thread_title="Thời tiết cuối tuần")
    world.login(page, "lan")
    page.goto("/ui/queue?lang=vi")
    reasons = page.locator("#f-reason option")
    expect(reasons.nth(0)).to_have_text("Tất cả lý do")
    expect(reasons.nth(1)).to_have_text("Bị báo cáo")
    expect(page.locator('#f-reason option[value="spam:hold"]')).to_have_text(
        "Điểm thư rác: giữ lại chờ duyệt"
    )
    options = page.locator("#thread-choices option")
    expect(options).to_have_count(2)
    labels = {options.nth(i).get_attribute("value"): options.nth(i).text_content()
              for i in range(2)}  # fmt: skip
    assert labels == {"gia-xang": TITLE, "bai-khac": "Thời tiết cuối tuần"}
    page.fill("#f-thread", "gia-xang")
    page.select_option("#f-reason", "spam:hold")
    page.locator('#filters button[type="submit"]').click()
    expect(page.locator("#items li.item")).to_have_count(1)
    expect(page.locator("#items li.item a.article")).to_have_text(TITLE)
    assert "thread=gia-xang" in page.url and "reason=spam%3Ahold" in page.url
    screenshot(page, "queue-filters-vi")
    # a title typed in full (not picked from the list) finds its article too
    page.select_option("#f-reason", "")
    page.fill("#f-thread", "thời tiết cuối tuần")
    page.locator('#filters button[type="submit"]').click()
    expect(page.locator("#items li.item .article")).to_have_text("Thời tiết cuối tuần")
    expect(page.locator("#f-thread")).to_have_value("bai-khac")
    page.select_option("#f-reason", "reported")
    page.locator('#filters button[type="submit"]').click()
    expect(page.locator("#items li.item")).to_have_count(0)
    page.goto("/ui/queue?lang=en")
    expect(page.locator("#f-reason option").nth(1)).to_have_text("Reported")
    screenshot(page, "queue-filters-en")


def _accept(dialog: Dialog) -> None:
    dialog.accept()


def test_an_owner_manages_staff_on_the_page(
    page: Page, world: World, browser: Browser, service: Service
) -> None:
    world.person("chu", role="owner")
    world.person("lan")
    world.login(page, "chu")
    page.goto("/ui/staff?lang=vi")
    screenshot(page, "staff-vi")
    page.fill("#invite-username", "mai")
    page.click("#invite-submit")
    link_box = page.locator("#staff-link")
    expect(link_box).to_be_visible()
    expect(page.locator("#staff-link-text")).to_contain_text("Hãy tự gửi liên kết này cho mai")
    link = page.locator("#staff-link-url").input_value()
    assert re.fullmatch(rf"{re.escape(service.url)}/ui/welcome/il_[\w-]+", link), link
    expect(page.locator('#staff tr[data-username="mai"]')).to_contain_text("kiểm duyệt viên")
    screenshot(page, "staff-invited-vi")
    # the new moderator, in a browser of their own, opens the link and sets a password
    theirs = browser.new_context(locale="vi-VN", base_url=service.url)
    try:
        mai = theirs.new_page()
        mai.goto(link + "?lang=en")
        expect(mai.locator("#welcome-text")).to_contain_text("mai, choose a password")
        screenshot(mai, "welcome-en")
        mai.goto(link + "?lang=vi")
        expect(mai.locator("#welcome-text")).to_contain_text("Chào mai")
        screenshot(mai, "welcome-vi")
        mai.fill("#password", NEW_PASSWORD)
        mai.fill("#again", NEW_PASSWORD)
        mai.click("#welcome-submit")
        mai.wait_for_url("**/ui/queue")
        expect(mai.locator(".who")).to_contain_text("mai")
        mai.goto(link)  # used once: dead now
        expect(mai.locator("#error-message")).to_contain_text("không còn dùng được")
    finally:
        theirs.close()
    # revoke lan (after confirming), then restore, then reset: a new link
    page.on("dialog", _accept)
    row = page.locator('#staff tr[data-username="lan"]')
    row.locator('[data-staff="revoke"]').click()
    expect(page.locator("#toast")).to_contain_text("Đã thu hồi quyền của lan")
    expect(row.locator('[data-staff="restore"]')).to_be_visible()
    row.locator('[data-staff="restore"]').click()
    expect(page.locator("#toast")).to_contain_text("Đã khôi phục quyền của lan")
    row.locator('[data-staff="reset"]').click()
    expect(page.locator("#staff-link-text")).to_contain_text("lan")
    assert page.locator("#staff-link-url").input_value() != link
    # a name already taken is refused in the page's language
    page.fill("#invite-username", "lan")
    page.click("#invite-submit")
    expect(page.locator("#toast")).to_have_text("Tên đăng nhập này đã có trên trang.")
    # or with a first password the owner sets
    page.fill("#invite-username", "hoa")
    expect(page.locator("#invite-password")).to_be_hidden()
    page.check("#invite-method-password")
    page.fill("#invite-password", "mật-khẩu-ban-đầu-của-hoa")
    page.click("#invite-submit")
    expect(page.locator("#toast")).to_have_text(
        "hoa có thể đăng nhập ngay bằng mật khẩu bạn đã đặt."
    )
    expect(page.locator('#staff tr[data-username="hoa"] td.has-password')).to_have_text("có")
    expect(page.locator("#invite-password")).to_be_hidden()
    page.goto("/ui/audit?lang=vi")
    audit = page.locator("#audit")
    for words in ("thêm mai làm kiểm duyệt viên, qua liên kết dùng một lần",
                  "mai đã tự đặt mật khẩu qua liên kết dùng một lần", "thu hồi quyền của lan",
                  "khôi phục quyền của lan", "đặt lại mật khẩu của lan"):  # fmt: skip
        expect(audit).to_contain_text(words)
    screenshot(page, "audit-staff-vi")
    page.goto("/ui/audit?lang=en")
    expect(audit).to_contain_text("lan's access revoked")
    screenshot(page, "audit-staff-en")
    page.goto("/ui/staff?lang=en")
    screenshot(page, "staff-en")


def test_a_moderator_cannot_manage_staff(page: Page, world: World) -> None:
    world.person("lan")
    world.login(page, "lan")
    expect(page.locator('header nav a[href="/ui/staff"]')).to_have_count(0)
    response = page.goto("/ui/staff?lang=vi")
    assert response is not None and response.status == 403
    expect(page.locator("#error-message")).to_have_text("Chỉ chủ trang được xem mục này.")
    status = page.evaluate(
        """async () => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const r = await fetch('/ui/api/staff/invite', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token},
                body: JSON.stringify({username: 'x'})});
            return r.status;
        }"""
    )
    assert status == 403
