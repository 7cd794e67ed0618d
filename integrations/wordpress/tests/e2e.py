"""End-to-end test of the WordPress plugin: real WordPress, real MariaDB, this service.

Run by e2e.sh (which installs the Debian packages or skips). Exit status: 0 when every check
passed or when the environment cannot run the test (SKIP, with the reason), 1 when a check
failed: the plugin or the service misbehaved.

Steps: a fresh service database and a `moderation serve`; a copy of Debian's WordPress on a
fresh MariaDB database, served by `php -S`; the plugin installed and configured; comments posted
through wp-comments-post.php with the form's own fields; decisions taken in the service
(webhooks), in wp-admin (feedback), forged webhooks refused, and the fail mode.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PLUGIN = HERE.parent / "comment-moderation-service"
WP_TOOL = HERE / "wp-tool.php"
WP_SOURCE = Path(os.environ.get("WP_E2E_SOURCE", "/usr/share/wordpress"))
MODERATION = Path(sys.executable).parent / "moderation"
MARIADB = os.environ.get("WP_E2E_MARIADB", "127.0.0.1:3306")
MARIADB_USER = os.environ.get("WP_E2E_MARIADB_USER", "root")
MARIADB_PASSWORD = os.environ.get("WP_E2E_MARIADB_PASSWORD", "")
POSTGRES = os.environ.get("WP_E2E_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
ADMIN, ADMIN_PASSWORD = "admin", "e2e-Admin-pw-123"
SLUG = "wp-e2e"
WATCHED = "chính quyền"  # a watched term of the site's policy: such comments are held
WAIT_SECONDS = 30.0

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
OFFLINE_OPEN = "Mình đọc lại lần nữa, vẫn thấy bài viết rất có giá trị."
# The service's status -> WordPress' comment_approved, as the plugin maps them.
WP_STATUS = {"published": "1", "pending": "0", "spam": "spam", "rejected": "trash"}


class Skip(Exception):
    """The environment cannot run the test (not a failure of the plugin or the service)."""


@dataclass
class Response:
    """An HTTP answer, redirects not followed."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Leaves 3xx answers to the caller (the redirect target says what WordPress did)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Never follow."""
        return None


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    opener: urllib.request.OpenerDirector | None = None,
) -> Response:
    """One request; any status comes back as a Response."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = opener or urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=20) as answer:
            return Response(answer.status, dict(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers.items()), error.read())


def form_body(fields: dict[str, str]) -> bytes:
    """application/x-www-form-urlencoded, UTF-8."""
    return urllib.parse.urlencode(fields).encode()


class FormParser(HTMLParser):
    """The fields of one form (by id, or by action) as a browser would submit them."""

    def __init__(self, form_id: str = "commentform", action: str | None = None) -> None:
        super().__init__()
        self.form_id, self.wanted_action = form_id, action
        self.action = ""
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect inputs and textareas of the form."""
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and (
            a.get("id") == self.form_id
            or (self.wanted_action is not None and a.get("action", "").endswith(self.wanted_action))
        ):
            self._in_form, self.action = True, a.get("action", "")
        elif self._in_form and tag == "input" and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields[a["name"]] = a.get("value", "")
        elif self._in_form and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        """Leave the form or a textarea."""
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        """A textarea's initial text."""
        if self._textarea:
            self.fields[self._textarea] += data


@dataclass
class Checks:
    """Named checks, printed as they happen, and a summary."""

    results: list[tuple[str, bool, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: object = "") -> bool:
        """Record one check."""
        self.results.append((name, ok, str(detail)))
        print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
        return ok

    def count(self, what: str) -> None:
        """Count something for the summary."""
        self.counts[what] = self.counts.get(what, 0) + 1

    def failed(self) -> list[str]:
        """Names of the failed checks."""
        return [name for name, ok, _ in self.results if not ok]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """A command's standard output; CalledProcessError (with its stderr) when it fails."""
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, cmd, done.stdout, done.stderr)
    return done.stdout


def wait_until(what: str, probe: Callable[[], bool], seconds: float = WAIT_SECONDS) -> float:
    """Seconds until probe() held; TimeoutError after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        with contextlib.suppress(OSError):
            if probe():
                return time.monotonic() - started
        time.sleep(0.2)
    raise TimeoutError(f"{what}: not within {seconds:g} s")


@contextlib.contextmanager
def background(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    """A process in its own session, stopped with its children (php -S workers) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class WordPress:
    """A WordPress copy served by php -S, driven like a browser and through wp-tool.php."""

    root: Path
    url: str

    def tool(self, command: str, args: dict[str, Any] | None = None) -> Any:
        """Run wp-tool.php; its JSON output."""
        cmd = [
            "php",
            str(WP_TOOL),
            str(self.root),
            command,
            json.dumps({"url": self.url, **(args or {})}),
        ]
        return json.loads(run(cmd))

    def comments(self) -> dict[int, dict[str, str]]:
        """Every comment with the plugin's meta, by id."""
        return {int(c["comment_ID"]): c for c in self.tool("comments")}

    def comment(self, comment_id: int) -> dict[str, str]:
        """One comment."""
        return self.comments()[comment_id]

    def page(self, path: str = "/?p=1") -> str:
        """A public page's HTML (redirects followed)."""
        with urllib.request.urlopen(self.url + path, timeout=20) as answer:
            html: str = answer.read().decode()
            return html

    def visible(self, *texts: str) -> list[str]:
        """Those of the texts shown on post 1's page (their first words: links get markup)."""
        page = unescape(self.page())
        return [t for t in texts if t[:30] in page]

    def post_comment(
        self, author: str, email: str, text: str, extra: dict[str, str] | None = None
    ) -> tuple[int, str, int | None]:
        """Fill in the form of post 1 and submit it: status, Location, the new comment's id."""
        form = FormParser()
        form.feed(self.page())
        if not form.action or "comment" not in form.fields:
            raise AssertionError("no comment form on /?p=1")
        if extra and not set(extra) <= set(form.fields):
            raise AssertionError(f"the form has no field {sorted(set(extra) - set(form.fields))}")
        typed = {"author": author, "email": email, "url": "", "comment": text, **(extra or {})}
        fields = {**form.fields, **typed}
        answer = http(
            "POST",
            form.action,
            form_body(fields),
            {"Referer": self.url + "/?p=1", "Content-Type": "application/x-www-form-urlencoded"},
        )
        location = answer.headers.get("Location", "")
        found = re.search(r"unapproved=(\d+)|#comment-(\d+)", location)
        new_id = int(found.group(1) or found.group(2)) if found else None
        return answer.status, location, new_id


@dataclass
class Service:
    """The running service and its credentials for the test site."""

    url: str
    key: str
    moderator: str
    owner: str
    secret: str

    def call(
        self,
        method: str,
        path: str,
        token: str,
        body: object = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """An authenticated JSON call."""
        data = None if body is None else json.dumps(body).encode()
        all_headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        return http(method, self.url + path, data, all_headers)

    def comment(self, comment_id: str) -> dict[str, Any]:
        """GET /v1/comments/{id} with the site key."""
        found: dict[str, Any] = self.call("GET", f"/v1/comments/{comment_id}", self.key).json()
        return found

    def events(self, comment_id: str) -> list[dict[str, Any]]:
        """GET /v1/comments/{id}/events with the moderator's token."""
        answer = self.call("GET", f"/v1/comments/{comment_id}/events", self.moderator)
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


class Admin:
    """A logged-in wp-admin session."""

    def __init__(self, wp: WordPress) -> None:
        self.wp = wp
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect
        )
        http("GET", wp.url + "/wp-login.php", opener=self.opener)  # sets the test cookie
        login = {
            "log": ADMIN,
            "pwd": ADMIN_PASSWORD,
            "wp-submit": "Log In",
            "redirect_to": wp.url + "/wp-admin/",
            "testcookie": "1",
        }
        answer = http(
            "POST",
            wp.url + "/wp-login.php",
            form_body(login),
            {"Content-Type": "application/x-www-form-urlencoded"},
            self.opener,
        )
        if answer.status != 302 or "wp-admin" not in answer.headers.get("Location", ""):
            raise AssertionError(f"wp-admin login failed: {answer.status}")

    def settings_page(self) -> str:
        """The plugin's settings page."""
        url = f"{self.wp.url}/wp-admin/options-general.php?page=comment-moderation-service"
        return http("GET", url, opener=self.opener).body.decode()

    def save_settings(self, values: dict[str, str]) -> int:
        """Fill in and submit the settings page as the site owner does; the answer's status."""
        form = FormParser(action="options.php")
        form.feed(self.settings_page())
        if not form.fields:
            raise AssertionError("no settings form on the plugin's page")
        typed = {f"cmsvc_settings[{k}]": v for k, v in values.items()}
        answer = http(
            "POST",
            f"{self.wp.url}/wp-admin/options.php",
            form_body({**form.fields, **typed}),
            {"Content-Type": "application/x-www-form-urlencoded"},
            self.opener,
        )
        return answer.status

    def row_action(self, comment_id: int, action: str, view: str = "all") -> int:
        """Click a row action of edit-comments.php (spamcomment, unspamcomment, ...)."""
        listing = http(
            "GET",
            f"{self.wp.url}/wp-admin/edit-comments.php?comment_status={view}",
            opener=self.opener,
        ).body.decode()
        amp = "&(?:amp;|#038;)"
        pattern = rf"comment\.php\?c={comment_id}{amp}action={action}{amp}_wpnonce=(\w+)"
        found = re.search(pattern, listing)
        if not found:
            raise AssertionError(f"no {action} link for comment {comment_id} in wp-admin")
        query = f"c={comment_id}&action={action}&_wpnonce={found.group(1)}"
        url = f"{self.wp.url}/wp-admin/comment.php?{query}"
        return http(
            "GET",
            url,
            headers={"Referer": self.wp.url + "/wp-admin/edit-comments.php"},
            opener=self.opener,
        ).status


def signed(secret: str, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """A webhook delivery as the service sends it."""
    body = json.dumps(event, ensure_ascii=False).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-Moderation-Event-Id": event["event_id"],
        "X-Moderation-Event": event["event"],
        "X-Moderation-Signature": f"sha256={digest}",
    }


class Scenario:
    """The checks, in order, against one WordPress and one service."""

    def __init__(self, wp: WordPress, svc: Service, checks: Checks) -> None:
        self.wp, self.svc, self.checks = wp, svc, checks
        self.ids: dict[str, int] = {}
        self.admin = Admin(wp)

    def configure(self) -> None:
        """The site owner fills in Settings → Comment moderation; secrets are never shown."""
        values = {
            "service_url": self.svc.url,
            "site_key": self.svc.key,
            "webhook_secret": self.svc.secret,
            "fail_mode": "hold",
            "timeout": "3",
        }
        status = self.admin.save_settings(values)
        saved = self.wp.tool("settings-get")
        self.checks.check(
            "settings page saved the service URL, key, secret, fail mode and timeout",
            status == 302 and saved == {**values, "timeout": 3},
            (status, saved),
        )
        page = self.admin.settings_page()
        self.checks.check(
            "settings page shows the webhook URL, never the key or the secret",
            self.wp.tool("webhook-url") in unescape(page)
            and self.svc.key not in page
            and self.svc.secret not in page,
        )

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

        def event(status: str, at: datetime, event_id: str | None = None) -> dict[str, Any]:
            return {
                "event_id": event_id or str(uuid.uuid4()),
                "event": "comment.status_changed",
                "created_at": at.isoformat().replace("+00:00", "Z"),
                "site": SLUG,
                "comment": {
                    "id": service_id,
                    "thread": "post-1",
                    "status": status,
                    "previous_status": "spam",
                    "action": "reject",
                    "actor": "lan",
                },
            }

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

    def service_unreachable(self) -> None:
        """Service down: hold keeps the comment, fail open leaves WordPress' verdict; retried."""
        down = f"http://127.0.0.1:{free_port()}"
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
        self.retries(spammed)

    def retries(self, spammed: int) -> None:
        """The service is back: WP-Cron's retries send what waited."""
        for name in ("offline-hold", "offline-open"):
            ran = self.wp.tool("retry", {"comment_id": self.ids[name]})
            row = self.wp.comment(self.ids[name])
            self.checks.check(f"{name}: a retry was scheduled", ran["scheduled"], ran)
            self.mapped(f"{name} (retried)", row, {"published"})
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
        """Every part; a part that crashes is a failure, the next parts still run."""
        for part in (
            self.configure,
            self.intake,
            self.moderator_decides,
            self.admin_decides,
            self.forged_and_repeated_webhooks,
            self.service_unreachable,
            self.privacy,
        ):
            print(f"- {part.__doc__}", flush=True)
            try:
                part()
            except Exception as error:  # a crash is a failed check, with its trace
                traceback.print_exc()
                self.checks.check(f"{part.__name__} ran to the end", False, repr(error))


def write_wordpress(root: Path, db_name: str, log: Path) -> None:
    """Copy Debian's WordPress, configure it, add the plugin and the test's mu-plugin."""
    shutil.copytree(WP_SOURCE, root, ignore_dangling_symlinks=True)  # symlinks followed
    host, _, port = MARIADB.partition(":")
    config = f"""<?php
define('DB_NAME', {db_name!r}); define('DB_USER', {MARIADB_USER!r});
define('DB_PASSWORD', {MARIADB_PASSWORD!r}); define('DB_HOST', '{host}:{port or 3306}');
define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');
foreach (['AUTH_KEY','SECURE_AUTH_KEY','LOGGED_IN_KEY','NONCE_KEY','AUTH_SALT','SECURE_AUTH_SALT',
          'LOGGED_IN_SALT','NONCE_SALT'] as $k) define($k, {secrets.token_hex(16)!r} . $k);
$table_prefix = 'wp_';
define('WP_DEBUG', true); define('WP_DEBUG_DISPLAY', false); define('WP_DEBUG_LOG', {str(log)!r});
define('WP_HTTP_BLOCK_EXTERNAL', true); define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true); define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""
    (root / "wp-config.php").unlink(missing_ok=True)
    (root / "wp-config.php").write_text(config)
    shutil.copytree(PLUGIN, root / "wp-content/plugins" / PLUGIN.name)
    mu = root / "wp-content/mu-plugins"
    mu.mkdir(exist_ok=True)
    # The test posts many comments from 127.0.0.1 within seconds: no flood check.
    (mu / "e2e-no-flood.php").write_text(
        "<?php\nadd_filter('comment_flood_filter', '__return_false');\n"
    )


def mariadb(command: str, name: str) -> None:
    """Create or drop the WordPress database (as the MariaDB administrator)."""
    args = {"host": MARIADB, "user": MARIADB_USER, "password": MARIADB_PASSWORD, "name": name}
    run(["php", str(WP_TOOL), "-", command, json.dumps(args)], timeout=30)


def postgres(command: str, name: str) -> None:
    """Create or drop the service's database."""
    run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{POSTGRES}/postgres", "-c", f'{command} "{name}"']
    )


def start_service(tmp: Path, db_url: str, wp_webhook: str) -> tuple[Service, dict[str, str]]:
    """Site, staff and webhook created with the CLI; the environment of `moderation serve`."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "MODERATION_SECRET": secrets.token_hex(32),
        "MODERATION_DATA_DIR": str(tmp / "service"),
        "MODERATION_WEBHOOK_POLL_SECONDS": "0.2",
        "MODERATION_WEBHOOK_BACKOFF_SECONDS": "0.5",
        "MODERATION_WEBHOOK_BACKOFF_CAP_SECONDS": "2",
        "MODERATION_PORT": str(free_port()),
        "MODERATION_WORKERS": "1",
        "MODERATION_LOG_LEVEL": "WARNING",
    }
    cli = str(MODERATION)
    key = run([cli, "sites", "create", SLUG], env).strip()
    moderator = run([cli, "users", "create", "lan", "--site", SLUG, "--role", "moderator"], env)
    owner = run([cli, "users", "create", "chu", "--site", SLUG, "--role", "owner"], env)
    secret = run([cli, "sites", "webhook", SLUG, "--url", wp_webhook], env).strip()
    url = f"http://127.0.0.1:{env['MODERATION_PORT']}"
    return Service(url, key, moderator.strip(), owner.strip(), secret), env


def watch_term(svc: Service) -> None:
    """The owner adds a watched term: comments with it are held for a moderator."""
    current = svc.call("GET", f"/v1/sites/{SLUG}/policy", svc.owner)
    answer = svc.call(
        "PUT",
        f"/v1/sites/{SLUG}/policy",
        svc.owner,
        {"watched_terms": [WATCHED]},
        {"If-Match": current.headers["ETag"]},
    )
    if answer.status != 200:
        raise AssertionError(f"policy update failed: {answer.status} {answer.body[:300]!r}")


def preflight() -> None:
    """Skip when the tools the test needs are missing."""
    for tool in ("php", "psql"):
        if shutil.which(tool) is None:
            raise Skip(f"{tool} is not installed")
    if not (WP_SOURCE / "wp-settings.php").exists():
        raise Skip(f"no WordPress at {WP_SOURCE} (Debian package 'wordpress')")
    if not MODERATION.exists():
        raise Skip(f"no {MODERATION}: run with the project's .venv/bin/python")


def environment(name: str, step: Callable[[], None]) -> None:
    """A step of setting up the machine: its failure skips the test."""
    try:
        step()
    except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as error:
        stderr = (getattr(error, "stderr", "") or "").strip()
        raise Skip(f"{name}: {stderr.splitlines()[-1] if stderr else error}") from None


def main() -> int:
    """Set everything up, run the scenario, print the summary; the exit status."""
    preflight()
    started = time.monotonic()
    name = f"wpe2e_{os.getpid()}_{secrets.token_hex(3)}"
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="wp-e2e-") as tmp_name, contextlib.ExitStack() as stack:
        tmp = Path(tmp_name)
        wp = WordPress(tmp / "wordpress", f"http://127.0.0.1:{free_port()}")
        environment("MariaDB at " + MARIADB, lambda: mariadb("createdb", name))
        stack.callback(mariadb, "dropdb", name)
        environment("PostgreSQL at " + POSTGRES, lambda: postgres("CREATE DATABASE", name))
        stack.callback(postgres, "DROP DATABASE IF EXISTS", name)
        environment(
            "copying WordPress", lambda: write_wordpress(wp.root, name, tmp / "wp-debug.log")
        )
        installed = wp.tool(
            "install",
            {
                "admin": ADMIN,
                "password": ADMIN_PASSWORD,
                "plugin": f"{PLUGIN.name}/{PLUGIN.name}.php",
            },
        )
        if not checks.check(
            "WordPress installed, plugin activated", installed["activated"], installed
        ):
            return 1
        svc, env = start_service(tmp, f"{POSTGRES}/{name}", wp.tool("webhook-url"))
        stack.enter_context(background([str(MODERATION), "serve"], tmp / "service.log", env))
        php_env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}
        php = ["php", "-S", wp.url.removeprefix("http://"), "-t", str(wp.root)]
        stack.enter_context(background(php, tmp / "php-server.log", php_env))
        wait_until("service ready", lambda: http("GET", svc.url + "/readyz").status == 200, 90)
        wait_until("WordPress up", lambda: http("GET", wp.url + "/?p=1").status == 200, 30)
        watch_term(svc)
        scenario = Scenario(wp, svc, checks)
        scenario.run()
        plugin_notices = [
            x
            for x in (tmp / "wp-debug.log").read_text().splitlines()
            if f"plugins/{PLUGIN.name}/" in x
        ]
        checks.check(
            "no PHP error, warning or notice from the plugin",
            not plugin_notices,
            "\n".join(plugin_notices[:5]),
        )
        if checks.failed():
            for log in ("service.log", "php-server.log", "wp-debug.log"):
                path = tmp / log
                if path.exists():
                    lines = [x for x in path.read_text().splitlines() if "Deprecated" not in x]
                    print(f"--- last lines of {log}:\n" + "\n".join(lines[-25:]))
    return summary(checks, time.monotonic() - started)


def summary(checks: Checks, seconds: float) -> int:
    """Print PASS or FAIL with counts; the exit status."""
    failed = checks.failed()
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(checks.counts.items()))
    total = len(checks.results)
    if failed:
        print(f"FAIL wordpress e2e: {len(failed)} of {total} checks failed", end=" ")
        print(f"({counts}; {seconds:.0f} s)")
        for name in failed:
            print(f"  failed: {name}")
        return 1
    print(f"PASS wordpress e2e: {total} checks passed ({counts}; {seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Skip as reason:
        print(f"SKIP wordpress e2e: {reason}")
        sys.exit(0)
