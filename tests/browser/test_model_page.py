"""The owner's model page in a real browser: train on the site's decisions, roll back to an
earlier version, switch learning off and on; in English and Vietnamese, with screenshots."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install '.[dev]')"
)

from playwright.sync_api import Page, expect
from pydantic import SecretStr

from moderation import admin
from moderation.runtime.scoring import DEFAULT_SCORER, import_scorer
from moderation.settings import Settings
from tests.api.test_site_model import text
from tests.browser.conftest import Service, World, run, screenshot
from tests.conftest import SECRET


@pytest.fixture(scope="module")
def service(browser_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service with the real model: the site's adapter learns on its features."""
    settings = Settings(
        database_url=browser_dsn, secret=SecretStr(SECRET), site_cache_seconds=0,
        data_dir=tmp_path_factory.mktemp("browser-model"), rate_limit_per_address=0,
        access_log=False,
    )  # fmt: skip
    model = import_scorer(DEFAULT_SCORER)()
    served = Service(settings, lambda: model)
    served.start()
    yield served
    served.stop()


def teach(world: World, token: str, n: int) -> None:
    """n comments signed by this site's spammers decided spam, n ordinary ones not spam."""
    for marked, action in ((True, "spam"), (False, "not_spam")):
        ids = [world.post(text(i, marked), email=f"r{i}@example.com")["id"] for i in range(n)]
        request = urllib.request.Request(
            f"{world.service.url}/v1/sites/{world.slug}/decisions",
            data=json.dumps({"ids": ids, "action": action}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200


def test_owner_trains_rolls_back_and_switches_off(page: Page, world: World) -> None:
    world.person("chu", role="owner")
    token = run(admin.add_user(world.dsn, 5, "lan", world.slug, "moderator"))
    teach(world, token, 25)
    world.login(page, "chu")
    page.click('header nav a[href="/ui/model"]')
    expect(page.locator("#model-in-use")).to_have_text("the shared model alone")
    page.click("#model-train")
    expect(page.locator("#model-message")).to_contain_text("Version 1 learnt from 50 decisions")
    expect(page.locator("#model-in-use")).to_have_text("version 1")
    teach(world, token, 10)
    page.click("#model-train")
    expect(page.locator("#model-message")).to_contain_text("Version 2")
    expect(page.locator("#model-history tbody tr")).to_have_count(2)
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, "model-en")

    page.click('.model-pin[data-version="1"]')
    expect(page.locator("#model-message")).to_have_text("Your choice is saved.")
    expect(page.locator("#model-in-use")).to_have_text("version 1")
    expect(page.locator("#model-pinned")).to_have_text("version 1")
    page.click("#model-toggle")
    expect(page.locator("#model-enabled")).to_have_text("off")
    expect(page.locator("#model-in-use")).to_have_text("the shared model alone")
    assert world.post(text(300, True))["adapter_version"] is None
    page.click("#model-toggle")
    page.click("#model-unpin")
    expect(page.locator("#model-in-use")).to_have_text("version 2")
    assert world.post(text(301, True))["adapter_version"] == 2

    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Mô hình riêng")
    expect(page.locator("#model-enabled")).to_have_text("đang bật")
    expect(page.locator("#model-train")).to_have_text("Học ngay")
    screenshot(page, "model-vi")
    page.click('header nav a[href="/ui/audit"]')
    expect(page.locator("#audit")).to_contain_text("chọn phiên bản 1 (quay lại)")
    expect(page.locator("#audit")).not_to_contain_text("{")
    screenshot(page, "model-audit-vi")
