"""The owner's model page: state, versions with their figures, learning curve, train, pin,
roll back, switch off; owners only, CSRF-protected, in Vietnamese and English."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.runtime.scoring import DEFAULT_SCORER, Scorer, import_scorer
from moderation.settings import Settings
from tests.api.test_site_model import post, teach, text
from tests.conftest import MakeStaff
from tests.web.conftest import MakeLogin
from tests.web.test_newsroom import RAW_KEY, visible
from tests.web.test_pages import send

VI = {"Accept-Language": "vi"}
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def real_model() -> Scorer:
    return import_scorer(DEFAULT_SCORER)()


@pytest.fixture
async def client(
    settings: Settings,
    real_model: Scorer,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> TestClient:
    """The whole application with the real model (the adapter learns on its features)."""
    return await aiohttp_client(create_app(settings, lambda: real_model))


async def page(client: TestClient, headers: dict[str, str] = EN) -> str:
    response = await client.get("/ui/model", headers=headers)
    assert response.status == 200, await response.text()
    return await response.text()


async def test_owner_trains_pins_rolls_back_and_switches_off_from_the_page(
    client: TestClient, site_key: str, login: MakeLogin, make_staff: MakeStaff,
    db: asyncpg.Connection,
) -> None:  # fmt: skip
    csrf = await login("chu", role="owner")
    empty = await page(client, VI)
    assert 'href="/ui/model" aria-current="page"' in empty and "Mô hình riêng" in empty
    assert "Chưa có phiên bản nào." in empty and "chỉ mô hình chung" in empty
    lan = await make_staff("lan")
    await teach(client, site_key, lan, "news", 30)

    out = await send(client, csrf, "/ui/api/model/adapt", {})
    assert out["version"] == 1 and out["adopted"] is True and out["decisions"] == 60
    await teach(client, site_key, lan, "news", 10)
    second = await send(client, csrf, "/ui/api/model/adapt", {})
    assert second["version"] == 2

    html = await page(client)
    spam = out["labels"]["spam"]
    assert f"{spam['base_auc']:.3f} → {spam['adapted_auc']:.3f} ✓" in html
    assert 'id="model-in-use">version 2<' in html and 'id="model-enabled">on<' in html
    assert html.count('<tr data-version="') == 2 and "60 decisions, 30 positive" in html
    assert '<svg class="chart"' in html and "v1 · 60 shared model: " in html
    assert "v1 · 60 after learning: " in html and 'class="model-pin" data-version="1"' in html

    state = await send(client, csrf, "/ui/api/model", {"pinned": 1, "enabled": True})
    assert state["in_use"] == 1 and state["pinned"] == 1
    assert (await post(client, site_key, text(201, True)))["adapter_version"] == 1
    rolled = await page(client, VI)
    assert 'id="model-in-use">phiên bản 1<' in rolled and 'id="model-unpin"' in rolled
    off = await send(client, csrf, "/ui/api/model", {"pinned": 1, "enabled": False})
    assert off["in_use"] is None and off["enabled"] is False
    assert (await post(client, site_key, text(202, True)))["adapter_version"] is None
    assert 'id="model-enabled">đang tắt<' in await page(client, VI)
    await send(client, csrf, "/ui/api/model", {"pinned": None, "enabled": True})
    assert 'id="model-in-use">version 2<' in await page(client)

    bad = await client.post(
        "/ui/api/model", json={"pinned": 9, "enabled": True}, headers={"X-CSRF-Token": csrf}
    )
    assert bad.status == 422
    for lang, headers in (("en", EN), ("vi", VI)):
        for path in ("/ui/model", "/ui/audit"):
            shown = visible(await (await client.get(path, headers=headers)).text())
            assert not RAW_KEY.findall(shown), (lang, path, RAW_KEY.findall(shown))
            assert "{" not in shown and "model_" not in shown, (lang, path)
    audit = await (await client.get("/ui/audit", headers=VI)).text()
    said = ("Mô hình riêng", "đã dùng phiên bản 2", "chọn phiên bản 1 (quay lại)",
            "đã tắt: chỉ dùng mô hình chung", "đã bật", "dùng phiên bản mới nhất")  # fmt: skip
    for words in said:
        assert words in audit, words
    english = await (await client.get("/ui/audit", headers=EN)).text()
    assert "version 1 adopted" in english and "switched off: the shared model alone" in english


async def test_moderators_are_refused_and_changes_need_the_csrf_token(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("lan")
    queue = await (await client.get("/ui/queue")).text()
    assert 'href="/ui/model"' not in queue
    refused = await client.get("/ui/model")
    assert refused.status == 403 and "Only the site" in await refused.text()
    for path, body in (("/ui/api/model/adapt", {}), ("/ui/api/model", {"enabled": False})):
        denied = await client.post(path, json=body, headers={"X-CSRF-Token": csrf})
        assert denied.status == 403, path
    await client.post("/ui/logout", data={"csrf": csrf})
    owner_csrf = await login("chu", role="owner")
    assert owner_csrf
    for path, body in (("/ui/api/model/adapt", {}), ("/ui/api/model", {"enabled": False})):
        forged = await client.post(path, json=body)
        assert forged.status == 403, path
    assert 'id="model-enabled">on<' in await page(client)
