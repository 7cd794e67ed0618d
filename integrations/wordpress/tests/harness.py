"""Helpers of the WordPress end-to-end test: HTTP without redirects, forms, checks, processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

WAIT_SECONDS = 30.0


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


class NoRedirect(urllib.request.HTTPRedirectHandler):
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
    opener = opener or urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=20) as answer:
            return Response(answer.status, dict(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers.items()), error.read())


def form_body(fields: dict[str, str]) -> bytes:
    """application/x-www-form-urlencoded, UTF-8."""
    return urllib.parse.urlencode(fields).encode()


def multipart(fields: dict[str, str], files: dict[str, Path]) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends a form with file inputs; its type."""
    boundary = "----e2e" + os.urandom(8).hex()
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + value.encode() + b"\r\n")
    for name, path in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{path.name}"\r\nContent-Type: application/zip\r\n\r\n'
        )
        parts.append(head.encode() + path.read_bytes() + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class FormParser(HTMLParser):
    """The fields of one form (by id, or by action) as a browser would submit them."""

    def __init__(self, form_id: str = "commentform", action: str | None = None) -> None:
        super().__init__()
        self.form_id, self.wanted_action = form_id, action
        self.action = ""
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False  # the first matching form only
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect inputs and textareas of the form."""
        a = {k: v or "" for k, v in attrs}
        if (
            tag == "form"
            and not self._done
            and (
                a.get("id") == self.form_id
                or (
                    self.wanted_action is not None
                    and a.get("action", "").endswith(self.wanted_action)
                )
            )
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
            self._done = self._done or self._in_form
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
