"""What the WordPress end-to-end test does and checks, part by part."""

from __future__ import annotations

import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

from actors import ADMIN, SLUG, Admin, Service, WordPress, signed
from harness import Checks, Response, free_port, http, wait_until
from parts import OwnerParts

CLEAN = "Bài viết rất hay, cảm ơn tác giả! Mong toà soạn có thêm nhiều bài phân tích như thế này."
ABUSIVE = "Đồ ngu như chó, câm mồm đi thằng óc lợn"
SPAM = (
    "Kiếm tiền online 5 triệu/ngày, click ngay http://kiemtien.example.com và "
    "http://bit.ly/abc123 nhận quà miễn phí"
)
HELD_APPROVE = "Chính quyền địa phương cần giải thích rõ hơn về dự án này."
HELD_REJECT = "Tôi không đồng ý, chính quyền nên lắng nghe người dân hơn."
BOT = "Chào bạn, bài viết hay lắm, cảm ơn nhé."
OFFLINE_HOLD = "Cảm ơn phóng viên, thông tin rất hữu ích."
OFFLINE_PHONE = "0987 654 321"
OFFLINE_OPEN = (
    "Mình đọc lại lần nữa, vẫn thấy bài viết rất có giá trị. Bạn nào muốn tham gia nhóm đọc "
    f"thì nhắn mình số {OFFLINE_PHONE}."
)
CRASH = "Cảm ơn tòa soạn đã cập nhật tin tức nhanh chóng và đầy đủ."
RACE = "Mình rất thích chuyên mục này, mong có thêm nhiều bài viết tương tự."
LEASED = "Chính quyền xã đã trả lời kiến nghị của bà con chưa vậy?"
AHEAD = "Chính quyền phường nên công khai tiến độ dự án này cho người dân biết."
AHEAD_OFFLINE = "Bài viết phân tích rất kỹ lưỡng, cảm ơn nhóm phóng viên."
BEHIND_OFFLINE = "Thông tin hữu ích quá, mình sẽ chia sẻ cho bạn bè cùng đọc."
# Held (a watched term); a moderator edits the address out and publishes it, then edits again.
REDACT = (
    "Chính quyền phường chậm quá, ai cần giấy tờ thì đến nhà mình ở số 12 ngõ Huế hỏi anh Tuấn."
)
REDACTED = "Chính quyền phường chậm quá, ai cần giấy tờ thì hỏi anh Tuấn [đã ẩn địa chỉ]."
REDACTED_AGAIN = "Chính quyền phường chậm quá [đã ẩn]."
SKEW = 600  # seconds WordPress' clock is moved off the service's
# The service's status -> WordPress' comment_approved, as the plugin maps them.
WP_STATUS = {"published": "1", "pending": "0", "spam": "spam", "rejected": "trash"}


def status_event(service_id: str, status: str, at: datetime, actor: str = "lan") -> dict[str, Any]:
    """A comment.status_changed event as the service sends it (a new event id)."""
    return {
        "event_id": str(uuid.uuid4()),
        "event": "comment.status_changed",
        "created_at": at.isoformat().replace("+00:00", "Z"),
        "site": SLUG,
        "comment": {
            "id": service_id,
            "thread": "post-1",
            "status": status,
            "previous_status": "pending",
            "action": "reject",
            "actor": actor,
        },
    }


def stamp(at: str) -> str:
    """A time of the service (RFC 3339) as the plugin keeps it in _cmsvc_status_at."""
    moment = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def result(answer: Response) -> str:
    """What the plugin's webhook says it did ("applied", "duplicate", ...); "" when not JSON."""
    try:
        return str(answer.json().get("result", ""))
    except ValueError:
        return ""


class Scenario:
    """The checks, in order, against one WordPress and one service."""

    def __init__(self, wp: WordPress, svc: Service, checks: Checks, plugin_zip: Path) -> None:
        self.wp, self.svc, self.checks = wp, svc, checks
        self.ids: dict[str, int] = {}
        self.admin = Admin(wp)
        self.owner = OwnerParts(self, plugin_zip)

    def post(
        self, name: str, author: str, email: str, text: str, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        """Post through the form; the stored comment, checked against the service's status."""
        status, location, new_id = self.wp.post_comment(author, email, text, extra)
        self.checks.count("comments posted")
        if not self.checks.check(
            f"{name}: wp-comments-post answers 302 with the comment",
            status == 302 and new_id is not None,
            f"{status} {location}",
        ):
            raise AssertionError(f"{name} was not stored")
        assert new_id is not None
        self.ids[name] = new_id
        return self.wp.comment(new_id)

    def mapped(self, name: str, row: dict[str, str], expected: set[str]) -> str:
        """The service knows the comment, its status maps to WordPress' and is the expected one."""
        service_id = row["_cmsvc_id"]
        seen = self.svc.comment(service_id) if service_id else {}
        status = str(seen.get("status", ""))
        self.checks.count(f"service status {status or 'unknown'}")
        self.checks.check(
            f"{name}: service id in comment meta and known to the service",
            bool(service_id) and seen.get("body") == row["comment_content"],
            seen,
        )
        self.checks.check(
            f"{name}: service said {status}, so WordPress has {WP_STATUS.get(status)}",
            WP_STATUS.get(status) == row["comment_approved"],
            row["comment_approved"],
        )
        self.checks.check(
            f"{name}: status is one of {sorted(expected)}", status in expected, status
        )
        return status

    def intake(self) -> None:
        """Clean, abusive, spam with links, held by a watched term: each where it belongs."""
        row = self.post("clean", "Nguyễn Văn An", "an@example.com", CLEAN)
        self.mapped("clean", row, {"published"})
        self.checks.check("clean: visible on the post's page", bool(self.wp.visible(CLEAN)))
        row = self.post("abusive", "Trần Văn Bình", "binh@example.com", ABUSIVE)
        self.mapped("abusive", row, {"pending", "rejected"})
        row = self.post("spam", "Kiếm Tiền Nhanh", "promo@example.net", SPAM)
        self.mapped("spam", row, {"spam"})
        for name, text in (("held-approve", HELD_APPROVE), ("held-reject", HELD_REJECT)):
            row = self.post(name, "Lê Thị Cúc", "cuc@example.org", text)
            self.mapped(name, row, {"pending"})
        # A bot fills in every field, the plugin's hidden honeypot too.
        bot = {"cmsvc_hp": "http://seo.example.com"}
        row = self.post("honeypot", "Bot", "bot@example.com", BOT, bot)
        if self.mapped("honeypot", row, {"spam"}) == "spam":
            reasons = self.svc.comment(row["_cmsvc_id"])["reasons"]
            self.checks.check(
                "honeypot: the service saw the hidden field", "honeypot:reject" in reasons, reasons
            )
        shown = self.wp.visible(ABUSIVE, SPAM, HELD_APPROVE, HELD_REJECT, BOT)
        self.checks.check("held, trashed and spam comments are not on the page", not shown, shown)

    def wait_status(self, comment_id: int, want: str) -> float:
        """Seconds until the WordPress comment has the status; TimeoutError."""
        return wait_until(
            f"comment {comment_id} -> {want}",
            lambda: self.wp.comment(comment_id)["comment_approved"] == want,
        )

    def moderator_rejects(self, comment_id: int, service_id: str) -> tuple[int, float, bool]:
        """A moderator rejects in the service: its answer's status, and the seconds until the
        webhook trashed the comment in WordPress (whether it did)."""
        status = self.moderator(service_id, "reject")
        try:
            return status, self.wait_status(comment_id, "trash"), True
        except TimeoutError:
            return status, 0.0, False

    def moderator_decides(self) -> None:
        """A moderator decides in the service; the webhook updates WordPress."""
        for name, action, want in (
            ("held-approve", "approve", "1"),
            ("held-reject", "reject", "trash"),
        ):
            comment_id = self.ids[name]
            service_id = self.wp.comment(comment_id)["_cmsvc_id"]
            answer = self.svc.call(
                "POST",
                f"/v1/comments/{service_id}/decision",
                self.svc.moderator,
                {"action": action, "note": "e2e"},
            )
            self.checks.check(
                f"{name}: moderator's {action} accepted by the service",
                answer.status == 200,
                answer.body[:300],
            )
            try:
                took = self.wait_status(comment_id, want)
                self.checks.check(
                    f"{name}: webhook moved it to {want} in WordPress ({took:.1f} s)", True
                )
                self.checks.count("webhooks applied")
            except TimeoutError as error:
                self.checks.check(f"{name}: webhook moved it to {want} in WordPress", False, error)
        self.checks.check(
            "approved by the moderator: now visible on the page",
            self.wp.visible(HELD_APPROVE, HELD_REJECT) == [HELD_APPROVE],
        )

    def moderator_redacts(self) -> None:
        """A moderator edits a held comment's public copy and publishes it in the service;
        readers of WordPress get the edited text (the original kept for staff), an edit that
        leaves the status reaches WordPress too, and older events do not bring a copy back."""
        row = self.post("redact", "Hoàng Văn Tuấn", "tuan@example.com", REDACT)
        self.mapped("redact", row, {"pending"})
        comment_id, service_id = self.ids["redact"], row["_cmsvc_id"]
        path = f"/v1/comments/{service_id}/redaction"
        answer = self.svc.call(
            "POST", path, self.svc.moderator, {"public_body": REDACTED, "note": "e2e"}
        )
        self.checks.check(
            "redact: the service edited and published it",
            answer.status == 200 and answer.json().get("published") is True,
            answer.body[:300],
        )

        def shown(text: str) -> bool:
            page = unescape(self.wp.page())
            return text in page and "ngõ Huế" not in page

        try:
            took = wait_until("redacted copy on the page", lambda: shown(REDACTED))
            self.checks.check(f"redact: the page shows the edited text ({took:.1f} s)", True)
        except TimeoutError as error:
            self.checks.check("redact: the page shows the edited text", False, error)
        row = self.wp.comment(comment_id)
        self.checks.check(
            "redact: published in WordPress, its own text the original (for staff), the edit kept",
            row["comment_approved"] == "1"
            and row["comment_content"] == REDACT
            and row["_cmsvc_public"] == REDACTED,
            row,
        )
        again = {"public_body": REDACTED_AGAIN, "publish": False}
        answer = self.svc.call("POST", path, self.svc.moderator, again)
        self.checks.check(
            "redact again (published, status unchanged): the service edited it",
            answer.status == 200 and answer.json().get("edited") is True,
            answer.body[:300],
        )
        try:
            took = wait_until("second edit on the page", lambda: shown(REDACTED_AGAIN))
            self.checks.check(f"redact again: comment.edited reached the page ({took:.1f} s)", True)
        except TimeoutError as error:
            self.checks.check("redact again: comment.edited reached the page", False, error)
        url = self.wp.tool("webhook-url")
        old = datetime.now(UTC) - timedelta(hours=1)
        late = status_event(service_id, "published", old)
        late["comment"]["public_body"] = REDACT  # an old copy, delivered late
        edited = {**status_event(service_id, "published", old), "event": "comment.edited"}
        edited["comment"]["public_body"] = REDACT
        answers = [result(http("POST", url, *signed(self.svc.secret, e))) for e in (late, edited)]
        row = self.wp.comment(comment_id)
        self.checks.check(
            "redact: older events (status or edit) do not bring an older copy back",
            answers == ["stale", "stale"]
            and row["_cmsvc_public"] == REDACTED_AGAIN
            and shown(REDACTED_AGAIN),
            (answers, row),
        )

    def admin_decides(self) -> None:
        """wp-admin marks the clean comment spam, then not spam; the service records both."""
        admin = self.admin
        comment_id = self.ids["clean"]
        service_id = self.wp.comment(comment_id)["_cmsvc_id"]
        for action, view, wp_want, svc_action, svc_want in (
            ("spamcomment", "all", "spam", "spam", "spam"),
            ("unspamcomment", "spam", "1", "not_spam", "published"),
        ):
            status = admin.row_action(comment_id, action, view)
            row = self.wp.comment(comment_id)
            self.checks.check(
                f"wp-admin {action}: WordPress has {wp_want}",
                status == 302 and row["comment_approved"] == wp_want,
                f"{status} {row['comment_approved']} {row['_cmsvc_error']}",
            )
            mine = [
                e
                for e in self.svc.events(service_id)
                if e["actor"] == f"site:wp-admin:{ADMIN}" and e["action"] == svc_action
            ]
            self.checks.check(
                f"wp-admin {action}: service recorded {svc_action} by site:wp-admin:{ADMIN}",
                len(mine) == 1 and mine[0]["to_status"] == svc_want,
                self.svc.events(service_id),
            )
            self.checks.count("wp-admin decisions recorded")
        # The service's webhooks of these decisions come back; they must not flip anything.
        time.sleep(2)
        row = self.wp.comment(comment_id)
        self.checks.check(
            "the site's own decisions echoed by webhook change nothing",
            row["comment_approved"] == "1" and row["_cmsvc_status"] == "published",
            row,
        )

    def forged_and_repeated_webhooks(self) -> None:
        """Bad signatures refused; an event applied once; an older event never undoes a newer."""
        url = self.wp.tool("webhook-url")
        comment_id = self.ids["spam"]
        service_id = self.wp.comment(comment_id)["_cmsvc_id"]
        now = datetime.now(UTC)

        def event(status: str, at: datetime) -> dict[str, Any]:
            return status_event(service_id, status, at)

        body, headers = signed(self.svc.secret, event("published", now + timedelta(seconds=5)))
        forged = http(
            "POST", url, body, {**headers, "X-Moderation-Signature": "sha256=" + "0" * 64}
        )
        unsigned = http("POST", url, body, {"Content-Type": "application/json"})
        self.checks.check(
            "webhook with a wrong signature: 401", forged.status == 401, forged.status
        )
        self.checks.check(
            "webhook without a signature: 401", unsigned.status == 401, unsigned.status
        )
        now_status = self.wp.comment(comment_id)["comment_approved"]
        self.checks.check("forged webhooks changed nothing", now_status == "spam", now_status)
        first = event("rejected", now + timedelta(seconds=5))
        body, headers = signed(self.svc.secret, first)
        answers = [http("POST", url, body, headers).json().get("result") for _ in range(2)]
        self.checks.check(
            "signed event applied once, then recognised as a duplicate",
            answers == ["applied", "duplicate"],
            answers,
        )
        self.checks.check(
            "signed event moved the comment to trash",
            self.wp.comment(comment_id)["comment_approved"] == "trash",
        )
        body, headers = signed(self.svc.secret, event("published", now - timedelta(hours=1)))
        stale = http("POST", url, body, headers).json().get("result")
        row = self.wp.comment(comment_id)
        self.checks.check(
            "an older event does not undo a newer one",
            stale == "stale" and row["comment_approved"] == "trash",
            (stale, row),
        )

    def interrupted_webhooks(self) -> None:
        """A delivery cut short by a fatal error is applied on retry; concurrent copies once."""
        url = self.wp.tool("webhook-url")
        for name, text in (("crash", CRASH), ("race", RACE)):
            row = self.post(name, "Nguyễn Văn An", "an@example.com", text)
            self.mapped(name, row, {"published", "pending"})
        comment_id = self.ids["crash"]
        service_id = self.wp.comment(comment_id)["_cmsvc_id"]
        body, headers = signed(self.svc.secret, status_event(service_id, "spam", datetime.now(UTC)))
        self.wp.tool("fault", {"fault": "crash"})
        first = http("POST", url, body, headers)
        row = self.wp.comment(comment_id)
        self.checks.check(
            "webhook cut short by a PHP fatal error while applied: 500, comment unchanged",
            first.status == 500 and row["comment_approved"] in ("0", "1"),
            (first.status, first.body[:200], row),
        )
        again = http("POST", url, body, headers)
        row = self.wp.comment(comment_id)
        self.checks.check(
            "the service's retry of that event is applied (not answered duplicate)",
            again.status == 200
            and result(again) == "applied"
            and row["comment_approved"] == "spam",
            (again.status, again.body[:200], row),
        )
        comment_id = self.ids["race"]
        service_id = self.wp.comment(comment_id)["_cmsvc_id"]
        body, headers = signed(self.svc.secret, status_event(service_id, "spam", datetime.now(UTC)))
        self.wp.tool("fault", {"fault": "slow"})
        try:
            with ThreadPoolExecutor(3) as pool:
                answers = list(pool.map(lambda _: http("POST", url, body, headers), range(3)))
        finally:
            self.wp.tool("fault", {"fault": ""})
        seen = sorted(f"{a.status} {result(a)}" for a in answers)
        self.checks.check(
            "3 copies of one event at once: applied by one, the others answered 409 (retried)",
            seen.count("200 applied") == 1
            and "409 being applied" in seen
            and set(seen) <= {"200 applied", "409 being applied", "200 duplicate"},
            seen,
        )
        later = http("POST", url, body, headers)
        row = self.wp.comment(comment_id)
        self.checks.check(
            "a copy after that one was applied: duplicate; the comment is spam",
            result(later) == "duplicate" and row["comment_approved"] == "spam",
            (later.status, later.body[:200], row),
        )

    def service_unreachable(self) -> None:
        """Service down: hold keeps the comment, fail open leaves WordPress' verdict; retried."""
        down = f"http://127.0.0.1:{free_port()}"
        self.owner.delete_while_unreachable(down)
        # Key and secret left empty: the saved ones stay.
        self.admin.save_settings({"service_url": down, "fail_mode": "hold"})
        row = self.post("offline-hold", "Phạm Minh Đức", "duc@example.com", OFFLINE_HOLD)
        self.checks.check(
            "service unreachable, fail mode hold: comment held",
            row["comment_approved"] == "0" and bool(row["_cmsvc_error"]),
            row,
        )
        self.admin.save_settings({"service_url": down, "fail_mode": "open"})
        # An author with an approved comment: WordPress alone would approve.
        row = self.post("offline-open", "Nguyễn Văn An", "an@example.com", OFFLINE_OPEN)
        self.checks.check(
            "service unreachable, fail open: WordPress' own verdict (approved)",
            row["comment_approved"] == "1" and not row["_cmsvc_id"],
            row,
        )
        self.owner.local_mask("offline-open", OFFLINE_PHONE)
        # wp-admin marks a comment spam while the service is down: the decision waits.
        spammed = self.ids["held-approve"]
        self.admin.row_action(spammed, "spamcomment")
        row = self.wp.comment(spammed)
        self.checks.check(
            "service unreachable: wp-admin's spam applies in WordPress, the error is kept",
            row["comment_approved"] == "spam" and bool(row["_cmsvc_error"]),
            row,
        )
        self.admin.save_settings({"service_url": self.svc.url, "fail_mode": "hold"})
        saved = self.wp.tool("settings-get")
        self.checks.check(
            "settings saved with an empty key and secret keep the saved ones",
            saved["site_key"] == self.svc.key and saved["webhook_secret"] == self.svc.secret,
        )
        self.owner.orphans_sent()
        self.retries(spammed)
        self.owner.service_copy_after_retry("offline-open", OFFLINE_PHONE)

    def retries(self, spammed: int) -> None:
        """The service is back: WP-Cron's retries send what waited."""
        for name in ("offline-hold", "offline-open"):
            ran = self.wp.tool("retry", {"comment_id": self.ids[name]})
            row = self.wp.comment(self.ids[name])
            self.checks.check(f"{name}: a retry was scheduled", ran["scheduled"], ran)
            # offline-open leaves a phone number: the model may hold it (a verdict all the same)
            self.mapped(f"{name} (retried)", row, {"published", "pending"})
            self.checks.check(f"{name}: nothing left to retry", not row["_cmsvc_error"], row)
        ran = self.wp.tool("retry", {"comment_id": spammed})
        service_id = self.wp.comment(spammed)["_cmsvc_id"]
        mine = [
            e
            for e in self.svc.events(service_id)
            if e["actor"] == f"site:wp-admin:{ADMIN}" and e["action"] == "spam"
        ]
        self.checks.check(
            "wp-admin's spam, retried, recorded by the service",
            ran["scheduled"]
            and len(mine) == 1
            and self.svc.comment(service_id)["status"] == "spam",
            (ran, mine),
        )

    @staticmethod
    def waiting(row: dict[str, Any]) -> dict[str, Any]:
        """A comment's job waiting for WP-Cron (its _cmsvc_retry meta); {} when none."""
        job = row.get("_cmsvc_retry")
        return job if isinstance(job, dict) else {}

    def lease_conflict(self) -> None:
        """A moderator's live lease: wp-admin's decision answered 409 waits and is sent later."""
        row = self.post("leased", "Lê Thị Cúc", "cuc@example.org", LEASED)
        self.mapped("leased", row, {"pending"})
        comment_id, service_id = self.ids["leased"], row["_cmsvc_id"]
        claimed = self.svc.call(
            "POST", f"/v1/sites/{SLUG}/queue/claim", self.svc.moderator, {"limit": 100}
        )
        held = [i["id"] for i in claimed.json().get("items", [])] if claimed.status == 200 else []
        self.checks.check(
            "leased: the moderator claims it (a live lease)", service_id in held, claimed.body[:300]
        )
        self.admin.row_action(comment_id, "spamcomment")
        row = self.wp.comment(comment_id)
        job = self.waiting(row)
        self.checks.check(
            "leased: wp-admin's spam answered 409 applies in WordPress and waits for a retry",
            row["comment_approved"] == "spam"
            and "409" in row["_cmsvc_error"]
            and job.get("kind") == "decision"
            and job.get("action") == "spam",
            row,
        )
        ran = self.wp.tool("retry", {"comment_id": comment_id})
        row = self.wp.comment(comment_id)
        self.checks.check(
            "leased: retried while the lease lives, 409 again, tried again later (attempt 2)",
            ran["scheduled"]
            and self.waiting(row).get("attempt") == 2
            and self.svc.comment(service_id)["status"] == "pending",
            (ran, row),
        )
        released = self.svc.call("POST", f"/v1/sites/{SLUG}/queue/release", self.svc.moderator, {})
        ran = self.wp.tool("retry", {"comment_id": comment_id})
        row = self.wp.comment(comment_id)
        mine = [
            e
            for e in self.svc.events(service_id)
            if e["actor"] == f"site:wp-admin:{ADMIN}" and e["action"] == "spam"
        ]
        self.checks.check(
            "leased: once the lease is released, the retried spam is recorded by the service",
            released.status == 200
            and len(mine) == 1
            and self.svc.comment(service_id)["status"] == "spam"
            and not self.waiting(row)
            and not row["_cmsvc_error"],
            (released.status, ran, row, mine),
        )

    def own_events(self, service_id: str, action: str) -> list[dict[str, Any]]:
        """The service's events of wp-admin's decisions `action` on a comment."""
        return [
            e
            for e in self.svc.events(service_id)
            if e["actor"] == f"site:wp-admin:{ADMIN}" and e["action"] == action
        ]

    def moderator(self, service_id: str, action: str) -> int:
        """A moderator decides in the service; the answer's status."""
        path = f"/v1/comments/{service_id}/decision"
        return self.svc.call("POST", path, self.svc.moderator, {"action": action}).status

    def clock_ahead(self) -> None:
        """WordPress' clock 10 min ahead: a moderator's decision after wp-admin's still applies."""
        self.wp.skew(SKEW)
        try:
            row = self.post("ahead", "Lê Thị Cúc", "cuc@example.org", AHEAD)
            self.mapped("ahead", row, {"pending"})
            comment_id, service_id = self.ids["ahead"], row["_cmsvc_id"]
            self.admin.row_action(comment_id, "approvecomment")
            mine = self.own_events(service_id, "approve")
            exact = stamp(mine[0]["created_at"]) if mine else "(no event)"
            try:
                wait_until(
                    "stamp", lambda: self.wp.comment(comment_id)["_cmsvc_status_at"] == exact, 10
                )
                dated = True
            except TimeoutError:
                dated = False
            row = self.wp.comment(comment_id)
            self.checks.check(
                "clock 10 min ahead: wp-admin's approve is dated by the service's clock "
                "(its event's created_at), not by WordPress'",
                dated and row["comment_approved"] == "1",
                (exact, row),
            )
            status, took, applied = self.moderator_rejects(comment_id, service_id)
            self.checks.check(
                f"clock 10 min ahead: the moderator's later reject applies ({took:.1f} s), "
                "not taken for older than wp-admin's approve",
                status == 200 and applied,
                (status, self.wp.comment(comment_id)),
            )
        finally:
            self.wp.skew(0)

    def clock_ahead_offline(self) -> None:
        """Ahead, service unreachable: a moderator's decision after wp-admin's unsent one wins."""
        self.wp.skew(SKEW)
        try:
            # The service's answer to this post tells WordPress how far off its clock is.
            row = self.post("ahead-offline", "Nguyễn Văn An", "an@example.com", AHEAD_OFFLINE)
            comment_id, service_id = self.ids["ahead-offline"], row["_cmsvc_id"]
            self.admin.save_settings(
                {"service_url": f"http://127.0.0.1:{free_port()}", "fail_mode": "hold"}
            )
            self.admin.row_action(comment_id, "spamcomment")
            row = self.wp.comment(comment_id)
            waiting = self.waiting(row).get("action") == "spam"
            # WordPress dates its unsent decision with the service's time estimated to about
            # half a second: the moderator decides clearly later.
            time.sleep(1.5)
            status, took, applied = self.moderator_rejects(comment_id, service_id)
            row = self.wp.comment(comment_id)
            self.checks.check(
                "clock 10 min ahead, service unreachable: a moderator's reject made 1.5 s after "
                f"wp-admin's unsent spam applies ({took:.1f} s) and replaces the waiting spam",
                waiting and status == 200 and applied and not self.waiting(row),
                (waiting, status, row),
            )
        finally:
            self.admin.save_settings({"service_url": self.svc.url, "fail_mode": "hold"})
            self.wp.skew(0)

    def clock_behind_offline(self) -> None:
        """Behind, service unreachable: an event older than wp-admin's unsent decision is stale."""
        self.wp.skew(-SKEW)
        try:
            row = self.post("behind-offline", "Nguyễn Văn An", "an@example.com", BEHIND_OFFLINE)
            comment_id, service_id = self.ids["behind-offline"], row["_cmsvc_id"]
            self.admin.save_settings(
                {"service_url": f"http://127.0.0.1:{free_port()}", "fail_mode": "hold"}
            )
            before = datetime.now(UTC)
            self.admin.row_action(comment_id, "spamcomment")
            # A moderator's event from before wp-admin's spam, delivered after it.
            older = status_event(service_id, "published", before - timedelta(seconds=2))
            body, headers = signed(self.svc.secret, older)
            answer = http("POST", self.wp.tool("webhook-url"), body, headers)
            row = self.wp.comment(comment_id)
            self.checks.check(
                "clock 10 min behind, service unreachable: an event older than wp-admin's "
                "unsent spam is stale; the spam stays and waits",
                result(answer) == "stale"
                and row["comment_approved"] == "spam"
                and self.waiting(row).get("action") == "spam",
                (answer.status, answer.body[:200], row),
            )
            self.admin.save_settings({"service_url": self.svc.url, "fail_mode": "hold"})
            ran = self.wp.tool("retry", {"comment_id": comment_id})
            self.checks.check(
                "clock 10 min behind: the waiting spam, retried, is recorded by the service",
                len(self.own_events(service_id, "spam")) == 1
                and self.svc.comment(service_id)["status"] == "spam",
                ran,
            )
        finally:
            self.admin.save_settings({"service_url": self.svc.url, "fail_mode": "hold"})
            self.wp.skew(0)

    def privacy(self) -> None:
        """Erasing a commenter's personal data in WordPress erases their comments in the service."""
        service_id = self.wp.comment(self.ids["honeypot"])["_cmsvc_id"]
        result = self.wp.tool("erase", {"email": "bot@example.com"})
        gone = self.svc.call("GET", f"/v1/comments/{service_id}", self.svc.key).status
        self.checks.check(
            "privacy eraser: the author's comments are gone from the service",
            result["items_removed"] is True and gone == 404,
            (result, gone),
        )

    def run(self) -> None:
        """Every part; a part that crashes is a failure, the next parts still run (all but
        the plugin's installation, without which none can)."""
        owner = self.owner
        print(f"- {owner.install_plugin.__doc__}", flush=True)
        try:
            owner.install_plugin()
        except Exception as error:
            traceback.print_exc()
            self.checks.check("install_plugin ran to the end", False, repr(error))
            return
        for part in (
            owner.configure,
            self.intake,
            owner.reader_copy,
            owner.column_held,
            self.moderator_decides,
            self.moderator_redacts,
            owner.box_history,
            owner.webhooks_seen,
            self.admin_decides,
            owner.admin_actions_in_step,
            self.forged_and_repeated_webhooks,
            self.interrupted_webhooks,
            self.service_unreachable,
            self.lease_conflict,
            self.clock_ahead,
            self.clock_ahead_offline,
            self.clock_behind_offline,
            owner.key_replaced,
            owner.context_and_reports,
            owner.idempotency,
            owner.vietnamese,
            self.privacy,
        ):
            print(f"- {part.__doc__}", flush=True)
            started = time.monotonic()
            try:
                part()
            except Exception as error:  # a crash is a failed check, with its trace
                traceback.print_exc()
                self.checks.check(f"{part.__name__} ran to the end", False, repr(error))
            print(f"  ({part.__name__}: {time.monotonic() - started:.1f} s)", flush=True)
