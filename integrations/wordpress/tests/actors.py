"""The parties of the WordPress end-to-end test: WordPress, its wp-admin, the service."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html import unescape
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from harness import FormParser, NoRedirect, Response, form_body, http, multipart, run

HERE = Path(__file__).resolve().parent
WP_TOOL = HERE / "wp-tool.php"
ADMIN, ADMIN_PASSWORD = "admin", "e2e-Admin-pw-123"
SLUG = "wp-e2e"


@dataclass
class WordPress:
    """A WordPress copy served by php -S, driven like a browser and through wp-tool.php."""

    root: Path
    url: str
    # The environment of its PHP (php -S and wp-tool.php): the clock of machine.php_clock().
    env: dict[str, str] | None = None
    clock: Path | None = None

    def tool(self, command: str, args: dict[str, Any] | None = None) -> Any:
        """Run wp-tool.php; its JSON output."""
        cmd = [
            "php",
            str(WP_TOOL),
            str(self.root),
            command,
            json.dumps({"url": self.url, **(args or {})}),
        ]
        return json.loads(run(cmd, self.env))

    def skew(self, seconds: int) -> None:
        """Set WordPress' clock (its PHP's) this many seconds off the machine's, from now on."""
        if self.clock is None:
            raise AssertionError("WordPress' clock cannot be moved (no libfaketime)")
        self.clock.write_text(f"{seconds:+d}\n")

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
    db_url: str = ""
    env: dict[str, str] | None = None

    def cli(self, *args: str) -> str:
        """Run the service's CLI (`moderation ...`) on its database; its standard output."""
        return run([str(Path(sys.executable).parent / "moderation"), *args], self.env)

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
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect
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

    def get(self, path: str) -> str:
        """A wp-admin page's HTML (path under /wp-admin/), redirects not followed."""
        return http("GET", f"{self.wp.url}/wp-admin/{path}", opener=self.opener).body.decode()

    def settings_page(self) -> str:
        """The plugin's settings page."""
        return self.get("options-general.php?page=comment-moderation-service")

    def save_settings(self, values: dict[str, str]) -> int:
        """Fill in and submit the settings page as the site owner does; the answer's status."""
        return self.save_settings_page(values)[0]

    def save_settings_page(self, values: dict[str, str]) -> tuple[int, str]:
        """Submit the settings page; the answer's status and the page it leads to (with the
        notices of the save)."""
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
        location = urllib.parse.urljoin(
            self.wp.url + "/wp-admin/", answer.headers.get("Location", "")
        )
        page = http("GET", location, opener=self.opener).body.decode() if location else ""
        return answer.status, page

    def upload_plugin(self, zip_path: Path) -> tuple[bool, str]:
        """Plugins > Add New > Upload Plugin with the zip, then "Activate Plugin"; whether both
        worked, and what the pages said."""
        form = FormParser(action="update.php?action=upload-plugin")
        form.feed(self.get("plugin-install.php?tab=upload"))
        if "_wpnonce" not in form.fields:
            return False, "no upload form on plugin-install.php?tab=upload"
        fields = {k: v for k, v in form.fields.items() if k != "pluginzip"}
        body, kind = multipart(fields, {"pluginzip": zip_path})
        url = form.action
        url = url if url.startswith("http") else f"{self.wp.url}/wp-admin/{url}"
        page = http("POST", url, body, {"Content-Type": kind}, self.opener).body.decode()
        found = re.search(r'href="([^"]*plugins\.php\?action=activate[^"]*)"', page)
        if not found:
            text = re.sub(r"<[^>]+>", " ", page)
            return False, " ".join(text.split())[-400:]
        link = unescape(found.group(1))
        link = link if link.startswith("http") else f"{self.wp.url}/wp-admin/{link}"
        answer = http("GET", link, opener=self.opener)
        return answer.status == 302 and "error" not in answer.headers.get("Location", ""), link

    def row_action(self, comment_id: int, action: str, view: str = "all") -> int:
        """Click a row action of edit-comments.php (spamcomment, unspamcomment, ...)."""
        listing = self.get(f"edit-comments.php?comment_status={view}")
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
