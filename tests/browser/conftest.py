"""Real Chromium (Debian's) driven by Playwright against the service running in a thread.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is missing.
Screenshots go to tests/browser/artifacts/ (kept out of git; CI may collect them).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.request
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiohttp import web
from pydantic import SecretStr

from moderation import admin
from moderation.app import ScorerFactory, create_app
from moderation.domain.models import Role
from moderation.settings import Settings
from tests.conftest import SECRET
from tests.standin import KeywordScorer

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "mật-khẩu-trình-duyệt-1"
ARGS = [
    "--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
T = TypeVar("T")

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # pragma: no cover - the skip below says why
    sync_playwright = None  # type: ignore[assignment]


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a browser test, in a thread: Playwright's loop owns this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Service:
    """The whole application served on a free port from its own thread and event loop."""

    def __init__(self, settings: Settings, scorer: ScorerFactory = KeywordScorer) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(create_app(settings, scorer), access_log=None)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)

    async def _start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def browser_dsn(chromium: Path, admin_dsn: str, template_db: str) -> Iterator[str]:
    """One database for the browser tests; each test makes its own site in it."""
    name = f"b_{uuid.uuid4().hex[:12]}"
    yield run(admin.create_database(admin_dsn, name, template_db))
    run(admin.drop_database(admin_dsn, name))


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; the tests skip, saying why, when it or playwright is absent."""
    if sync_playwright is None:
        pytest.skip("playwright is not installed (pip install '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path, service: Service) -> Iterator[Browser]:
    """Chromium, headless, launched once per module (after the service is up).

    Not per session: while Playwright's sync API is open its event loop counts as running in
    this thread, which would break the asyncio tests collected after these.
    """
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def service(
    chromium: Path, browser_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The service, with address rate limits off (the tests click fast from one address)."""
    settings = Settings(
        database_url=browser_dsn, secret=SecretStr(SECRET), site_cache_seconds=0,
        data_dir=tmp_path_factory.mktemp("browser"), rate_limit_per_address=0, access_log=False,
    )  # fmt: skip
    served = Service(settings)
    served.start()
    yield served
    served.stop()


@pytest.fixture
def page(service: Service, browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose requests may only reach the service."""
    context: BrowserContext = browser.new_context(locale="en-US", base_url=service.url)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlsplit(route.request.url).hostname == "127.0.0.1"
            else route.abort()
        ),
    )
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


class World:
    """One test's site: its key, staff, and helpers to post comments and read statuses."""

    def __init__(self, service: Service, dsn: str) -> None:
        self.service = service
        self.dsn = dsn
        self.slug = f"b-{uuid.uuid4().hex[:10]}"
        self.key = run(admin.add_site(dsn, 5, self.slug))

    def person(self, name: str, role: Role = "moderator") -> None:
        run(admin.add_user(self.dsn, 5, name, self.slug, role))
        run(admin.set_password(self.dsn, 5, self.slug, name, PASSWORD))

    def post(
        self, body: str, name: str = "Nguyễn Văn An", thread: str = "bai-1", **extra: object
    ) -> dict[str, Any]:
        payload: dict[str, object] = {
            "thread": thread,
            "name": name,
            "email": "an@example.com",
            "body": body,
        }
        payload.update(extra)
        return self._as_site("/v1/comments", payload)

    def report(self, cid: str, reporter_ip: str, reason: str = "abuse") -> dict[str, Any]:
        """A reader's report of a comment, as the site relays it."""
        body = {"reason": reason, "reporter_ip": reporter_ip}
        return self._as_site(f"/v1/comments/{cid}/report", body)

    def _as_site(self, path: str, body: object) -> dict[str, Any]:
        """POST a JSON body with the site key; the JSON answer."""
        request = urllib.request.Request(
            f"{self.service.url}{path}", data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    def statuses(self) -> dict[str, str]:
        async def read() -> dict[str, str]:
            conn = await asyncpg.connect(self.dsn)
            try:
                rows = await conn.fetch(
                    "SELECT c.id::text, c.status FROM comments c JOIN sites s ON s.id = c.site_id"
                    " WHERE s.slug = $1", self.slug,
                )  # fmt: skip
            finally:
                await conn.close()
            return {r["id"]: r["status"] for r in rows}

        return run(read())

    def login(self, page: Page, name: str) -> None:
        page.goto("/ui/login")
        page.fill("#site", self.slug)
        page.fill("#username", name)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url("**/ui/queue")


@pytest.fixture
def world(service: Service, browser_dsn: str) -> World:
    """A fresh site for one test."""
    return World(service, browser_dsn)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
