"""Per-site learning through the API: decisions teach one site's scores, and only its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from moderation.app import create_app
from moderation.keys import ADAPTING
from moderation.runtime.scoring import DEFAULT_SCORER, Scorer, import_scorer
from moderation.settings import Settings
from tests.conftest import MakeSite, MakeStaff, auth, comment

TOPICS = ["giá xăng", "bóng đá", "thời tiết", "giáo dục", "y tế", "giao thông", "du lịch",
          "nhà ở", "việc làm", "công nghệ", "nông nghiệp", "môi trường"]  # fmt: skip


def text(i: int, marked: bool) -> str:
    """Ordinary comments; this site's spammers sign theirs with a harmless-looking phrase that
    the base ranks below its readers' own sign-off, so only the site's decisions can teach it
    (a solicitation-like mark, such as "ghé orchidvn nhé", the base already ranks)."""
    sign = "chúc tác giả vui" if marked else "mình thích màu tím"
    return f"Mình đọc bài về {TOPICS[i % len(TOPICS)]} số {i}, thấy khá đúng, {sign}."


@pytest.fixture(scope="module")
def real_model() -> Scorer:
    return import_scorer(DEFAULT_SCORER)()


@pytest.fixture
async def app_client(
    settings: Settings,
    real_model: Scorer,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> TestClient:
    return await aiohttp_client(create_app(settings, lambda: real_model))


async def post(client: TestClient, key: str, body: str, n: int = 0) -> dict[str, Any]:
    data = comment(body=body, email=f"reader{n}@example.com")
    response = await client.post("/v1/comments", json=data, headers=auth(key))
    assert response.status in (201, 202), await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def teach(client: TestClient, key: str, token: str, site: str, n: int) -> None:
    """n marked comments decided spam, n unmarked not_spam, by one moderator in bulk."""
    for marked, action in ((True, "spam"), (False, "not_spam")):
        ids = [(await post(client, key, text(i, marked), i))["id"] for i in range(n)]
        response = await client.post(
            f"/v1/sites/{site}/decisions", json={"ids": ids, "action": action},
            headers=auth(token),
        )  # fmt: skip
        assert response.status == 200, await response.text()


async def test_decisions_teach_the_site_and_leave_the_control_site_as_the_base(
    app_client: TestClient, site_key: str, make_site: MakeSite, make_staff: MakeStaff,
    db: asyncpg.Connection, real_model: Scorer,
) -> None:  # fmt: skip
    client = app_client
    control_key = await make_site("control")
    lan = await make_staff("lan")
    owner = await make_staff("chu", role="owner")
    probe_spam, probe_clean = text(101, True), text(102, False)
    before = [await post(client, k, t) for k in (site_key, control_key)
              for t in (probe_spam, probe_clean)]  # fmt: skip
    await teach(client, site_key, lan, "news", 30)

    response = await client.post("/v1/sites/news/model/adapt", headers=auth(owner))
    assert response.status == 200, await response.text()
    out = await response.json()
    spam = out["labels"]["spam"]
    assert out["version"] == 1 and out["decisions"] == 60 and out["adopted"] is True
    assert spam["adapted_auc"] > spam["base_auc"] and spam["adopted"]
    assert out["labels"]["abuse"]["trained"] is False  # no reject/approve decisions

    after = [await post(client, k, t) for k in (site_key, control_key)
             for t in (probe_spam, probe_clean)]  # fmt: skip
    news_spam, news_clean, control_spam, control_clean = after
    assert news_spam["scores"]["spam"] > before[0]["scores"]["spam"] + 0.2
    assert news_spam["scores"]["spam"] > news_clean["scores"]["spam"]
    assert news_spam["adapter_version"] == 1
    # the control site scores exactly as the base model, as before the other site learnt
    assert control_spam["scores"] == before[2]["scores"]
    assert control_clean["scores"] == before[3]["scores"]
    assert control_spam["adapter_version"] is None
    stored = await db.fetch("SELECT site_id, adapter_version, model_version FROM comments"
                            " WHERE id = ANY($1::uuid[])", [a["id"] for a in after])  # fmt: skip
    assert sorted(r["adapter_version"] or 0 for r in stored) == [0, 0, 1, 1]
    # GET of a comment says which base model and which adapter version scored it
    for posted, adapter in ((news_spam, 1), (control_spam, None)):
        got = await client.get(f"/v1/comments/{posted['id']}", headers=auth(
            site_key if adapter else control_key))  # fmt: skip
        view = await got.json()
        assert view["model_version"] == real_model.version == posted["model_version"]
        assert view["adapter_version"] == adapter

    model = await (await client.get("/v1/sites/news/model", headers=auth(owner))).json()
    assert model["in_use"] == 1 and model["enabled"] is True
    assert [h["version"] for h in model["history"]] == [1]
    assert {p["label"] for p in model["learning_curve"]} == {"spam"}
    audit = await (await client.get("/v1/sites/news/audit", headers=auth(owner))).json()
    assert any(e["kind"] == "model" and e["detail"]["action"] == "adopted" for e in audit["items"])

    off = await client.put("/v1/sites/news/model", json={"enabled": False}, headers=auth(owner))
    assert off.status == 200 and (await off.json())["in_use"] is None
    base_again = await post(client, site_key, probe_spam)
    assert base_again["scores"] == before[0]["scores"] and base_again["adapter_version"] is None
    bad = await client.put("/v1/sites/news/model", json={"pinned": 7}, headers=auth(owner))
    assert bad.status == 422
    on = await client.put("/v1/sites/news/model", json={"pinned": 1}, headers=auth(owner))
    assert (await on.json())["in_use"] == 1
    assert (await post(client, site_key, probe_spam))["adapter_version"] == 1


@pytest.mark.parametrize("settings_overrides", [{"site_adapter_memory_mb": 0.2}], indirect=True)
async def test_a_process_keeps_sites_adapters_within_its_memory_setting(
    app_client: TestClient, site_key: str, make_site: MakeSite, make_staff: MakeStaff,
) -> None:  # fmt: skip
    """Two sites' spam adapters (a scoring table of 128 KB each, and their weights as
    stored: about 140 KB) do not fit in 0.2 MB: the site that scored least recently is let
    go, and still scores with its adapter, read again, when its next comment comes."""
    other_key = await make_site("other")
    for key, site in ((site_key, "news"), (other_key, "other")):
        moderator = await make_staff(f"lan-{site}", site)
        owner = await make_staff(f"chu-{site}", site, role="owner")
        await teach(app_client, key, moderator, site, 30)
        adapted = await app_client.post(f"/v1/sites/{site}/model/adapt", headers=auth(owner))
        assert (await adapted.json())["adopted"] is True

    async def metric(name: str) -> float:
        exposition = await (await app_client.get("/metrics")).text()
        return next(sample.value for family in text_string_to_metric_families(exposition)
                    for sample in family.samples if sample.name == name)  # fmt: skip

    for _ in range(100):  # both adoptions' announcements loaded (milliseconds; 5 s at most)
        if await metric("moderation_site_adapter_loads_total") >= 2:
            break
        await asyncio.sleep(0.05)
    probe = text(101, True)
    assert (await post(app_client, site_key, probe))["adapter_version"] == 1
    loads = await metric("moderation_site_adapter_loads_total")
    held = await metric("moderation_site_adapter_bytes")
    assert 0.1 * 2**20 < held <= 0.2 * 2**20  # one site's adapter alone
    assert (await post(app_client, other_key, probe))["adapter_version"] == 1
    assert (await post(app_client, site_key, probe))["adapter_version"] == 1
    assert await metric("moderation_site_adapter_loads_total") == loads + 2  # each read again
    assert await metric("moderation_site_adapter_bytes") == held


async def test_adapt_is_for_owners_and_a_site_without_decisions_adopts_nothing(
    app_client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    lan = await make_staff("lan")
    owner = await make_staff("chu", role="owner")
    denied = await app_client.post("/v1/sites/news/model/adapt", headers=auth(lan))
    assert denied.status == 403
    response = await app_client.post("/v1/sites/news/model/adapt", headers=auth(owner))
    out = await response.json()
    assert (out["version"], out["decisions"], out["adopted"]) == (1, 0, False)
    model = await (await app_client.get("/v1/sites/news/model", headers=auth(owner))).json()
    assert model["in_use"] is None and model["history"][0]["state"] == "not_better"


async def test_confirming_a_published_comment_is_a_label(
    app_client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    lan = await make_staff("lan")
    published = await post(app_client, site_key, text(1, False))
    assert published["status"] == "published"
    response = await app_client.post(
        "/v1/sites/news/decisions", json={"ids": [published["id"]], "action": "approve"},
        headers=auth(lan),
    )  # fmt: skip
    assert (await response.json())["items"][0]["outcome"] == "unchanged"
    rows = await db.fetch("SELECT action, from_status, to_status FROM comment_events"
                          " WHERE comment_id = $1::uuid ORDER BY id", published["id"])  # fmt: skip
    assert [tuple(r) for r in rows][-1] == ("approve", "published", "published")
    assert await db.fetchval("SELECT status FROM comments WHERE id = $1::uuid",
                             published["id"]) == "published"  # fmt: skip
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE event <> 'comment.created'") == 0


async def test_one_trainer_per_site_and_background_training_when_due(
    app_client: TestClient, site_key: str, make_staff: MakeStaff, db: asyncpg.Connection
) -> None:
    lan = await make_staff("lan")
    owner = await make_staff("chu", role="owner")
    site_id = await db.fetchval("SELECT id FROM sites WHERE slug = 'news'")
    lock = "hashtextextended('moderation.site_adapter:' || $1::bigint, 0)"
    await db.execute(f"SELECT pg_advisory_lock({lock})", site_id)  # another host trains
    busy = await app_client.post("/v1/sites/news/model/adapt", headers=auth(owner))
    assert busy.status == 409
    await teach(app_client, site_key, lan, "news", 30)  # 60 decisions: over the 50 default
    adapting = app_client.app[ADAPTING]
    await adapting.due()  # locked elsewhere: skipped
    assert await db.fetchval("SELECT count(*) FROM site_adapters") == 0
    await db.execute(f"SELECT pg_advisory_unlock({lock})", site_id)
    await adapting.due()
    assert await db.fetch("SELECT version, created_by, adopted FROM site_adapters") == [
        (1, "system", True)
    ]
    await adapting.due()  # no new decisions since: nothing to do
    assert await db.fetchval("SELECT count(*) FROM site_adapters") == 1


async def test_a_new_version_reaches_the_other_processes_at_once(
    settings: Settings, real_model: Scorer, site_key: str, make_staff: MakeStaff,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:  # fmt: skip
    """Two instances whose site caches would keep a site an hour: an adoption, a switch-off
    and a pin made through one reach the other's scores within a second or so."""
    cached = settings.model_copy(update={"site_cache_seconds": 3600})
    here = await aiohttp_client(create_app(cached, lambda: real_model))
    there = await aiohttp_client(create_app(cached, lambda: real_model))
    lan = await make_staff("lan")
    owner = await make_staff("chu", role="owner")
    probe = text(101, True)
    assert (await post(there, site_key, probe))["adapter_version"] is None  # cached for 1 h
    await teach(here, site_key, lan, "news", 30)
    adapted = await here.post("/v1/sites/news/model/adapt", headers=auth(owner))
    assert (await adapted.json())["adopted"] is True

    async def there_scores_with(version: int | None) -> None:
        for _ in range(100):  # the notification arrives in milliseconds; 5 s at most
            got = await post(there, site_key, probe)
            if got["adapter_version"] == version:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the other process still scores with {got['adapter_version']}")

    await there_scores_with(1)
    off = await here.put("/v1/sites/news/model", json={"enabled": False}, headers=auth(owner))
    assert off.status == 200
    await there_scores_with(None)
    on = await here.put("/v1/sites/news/model", json={"enabled": True}, headers=auth(owner))
    assert on.status == 200
    await there_scores_with(1)


async def test_the_app_warms_its_model_before_it_serves(
    settings: Settings, real_model: Scorer, monkeypatch: pytest.MonkeyPatch,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:  # fmt: skip
    """Every scoring path compiled as the model loads (``classifiers.adapter.warm``): where no
    compiled code is cached yet the first comment would wait 10 - 15 s for the compiler."""
    import classifiers.adapter as module

    warmed: list[Any] = []
    monkeypatch.setattr(module, "warm", warmed.append)
    await aiohttp_client(create_app(settings, lambda: real_model))
    assert warmed == [real_model]
