"""Loading a retrained model without a restart: the owner's endpoint, every process, failures."""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from classifiers.model import Model
from classifiers.train import TrainConfig, decision_examples, retrain, save_versioned, train
from moderation.app import create_app
from moderation.keys import RELOADS
from moderation.runtime.scoring import ModelDirectory
from moderation.server import _reload_on_sighup, settle_heap
from moderation.settings import Settings
from tests.conftest import MakeSite, MakeStaff, auth, comment
from tests.standin import KeywordScorer
from tests.unit.test_classifiers_model import TINY, tiny_examples
from tests.unit.test_feedback_training import NOT_SPAM, write_labels

Client = Callable[..., Awaitable[TestClient]]
QUICK = TrainConfig(features=TINY.features, c_grid=TINY.c_grid, experts=TINY.experts, folds=2)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, Model]:
    """A tiny base model and the same retrained on a few moderators' corrections."""
    base, _ = train(tiny_examples(), QUICK)
    labels = write_labels(tmp_path_factory.mktemp("labels") / "l.jsonl", NOT_SPAM, spam=0)
    fixed, _ = retrain(tiny_examples(), decision_examples(labels, 5, "tiny_vi"), QUICK)
    return base, fixed


@pytest.fixture
def model_dir(tmp_path: Path, models: tuple[Model, Model]) -> Path:
    save_versioned(models[0], tmp_path / "models")
    return tmp_path / "models"


async def serve(aiohttp_client: Client, settings: Settings, model_dir: Path) -> TestClient:
    """The application loading its model from a model directory."""
    return await aiohttp_client(create_app(settings.model_copy(update={"model_dir": model_dir})))


async def posted_version(client: TestClient, key: str, body: str = "Bài viết hay quá") -> str:
    response = await client.post("/v1/comments", json=comment(body=body), headers=auth(key))
    assert response.status in (201, 202), await response.text()
    version: str = (await response.json())["model_version"]
    return version


async def reload(client: TestClient, token: str, slug: str = "news") -> tuple[int, dict[str, str]]:
    response = await client.post(f"/v1/sites/{slug}/model/reload", headers=auth(token))
    return response.status, await response.json(content_type=None)


async def test_owner_reloads_a_retrained_model(
    aiohttp_client: Client,
    settings: Settings,
    model_dir: Path,
    models: tuple[Model, Model],
    site_key: str,
    make_staff: MakeStaff,
) -> None:
    base, fixed = models
    client = await serve(aiohttp_client, settings, model_dir)
    owner, lan = await make_staff("chu", role="owner"), await make_staff("lan")
    first = (await posted_version(client, site_key), await posted_version(client, site_key))
    assert first == (base.version, base.version)
    save_versioned(fixed, model_dir)
    assert await posted_version(client, site_key) == base.version  # nothing reloaded yet
    assert await reload(client, owner) == (
        200, {"model_version": fixed.version, "previous": base.version}
    )  # fmt: skip
    # nothing new in the directory: asking again (any site's owner may) loads nothing
    with mock.patch.object(ModelDirectory, "__call__", side_effect=AssertionError("loaded")):
        again = await asyncio.gather(*(reload(client, owner) for _ in range(5)))
    assert again == [(200, {"model_version": fixed.version, "previous": fixed.version})] * 5
    cid = await (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).json()
    assert cid["model_version"] == fixed.version
    ready = await (await client.get("/readyz")).json()
    assert ready["model_version"] == fixed.version
    answer = await client.post(
        f"/v1/comments/{cid['id']}/decision", json={"action": "reject"}, headers=auth(lan)
    )
    assert answer.status == 200
    events = await (await client.get(f"/v1/comments/{cid['id']}/events", headers=auth(lan))).json()
    assert [e["model_version"] for e in events["items"]] == [fixed.version, fixed.version]


async def test_only_this_sites_owner_may_reload(
    aiohttp_client: Client,
    settings: Settings,
    model_dir: Path,
    make_site: MakeSite,
    make_staff: MakeStaff,
) -> None:
    client = await serve(aiohttp_client, settings, model_dir)
    await make_site("news")
    await make_site("other")
    lan = await make_staff("lan")
    stranger = await make_staff("chu", "other", "owner")
    status, problem = await reload(client, lan)
    assert status == 403 and problem["title"] == "Forbidden"
    assert (await reload(client, stranger))[0] == 404
    assert (await reload(client, "mt_nobody"))[0] == 401


async def test_a_broken_model_is_refused_and_the_old_one_kept(
    aiohttp_client: Client,
    settings: Settings,
    model_dir: Path,
    models: tuple[Model, Model],
    site_key: str,
    make_staff: MakeStaff,
) -> None:
    base = models[0]
    client = await serve(aiohttp_client, settings, model_dir)
    owner = await make_staff("chu", role="owner")
    broken = model_dir / "2026.11-broken"
    broken.mkdir()
    (broken / "model.json").write_text('{"version": "half written"')
    (model_dir / "CURRENT").write_text("2026.11-broken\n")
    response = await client.post("/v1/sites/news/model/reload", headers=auth(owner))
    assert response.status == 409
    assert response.content_type == "application/problem+json"
    problem = await response.json(content_type=None)
    assert problem["title"] == "The new model could not be loaded"
    assert "previous model is still in use" in problem["detail"]
    assert await posted_version(client, site_key) == base.version
    (model_dir / "CURRENT").write_text("no-such-version\n")
    assert (await reload(client, owner))[0] == 409
    assert (await (await client.get("/readyz")).json())["model_version"] == base.version


async def test_a_reload_reaches_the_other_processes(
    aiohttp_client: Client,
    settings: Settings,
    model_dir: Path,
    models: tuple[Model, Model],
    site_key: str,
    make_staff: MakeStaff,
) -> None:
    base, fixed = models
    here = await serve(aiohttp_client, settings, model_dir)
    there = await serve(aiohttp_client, settings, model_dir)
    owner = await make_staff("chu", role="owner")
    assert await posted_version(there, site_key) == base.version
    save_versioned(fixed, model_dir)
    assert (await reload(here, owner))[1]["model_version"] == fixed.version
    for _ in range(200):  # the other process hears the notification and reloads
        if (await (await there.get("/readyz")).json())["model_version"] == fixed.version:
            break
        await asyncio.sleep(0.05)
    assert await posted_version(there, site_key) == fixed.version


class Versioned(KeywordScorer):
    def __init__(self, version: str) -> None:
        super().__init__()
        self.version = version


async def test_intake_scores_with_the_old_model_until_the_new_one_is_ready(
    aiohttp_client: Client, settings: Settings, site_key: str, make_staff: MakeStaff
) -> None:
    ready, started = threading.Event(), threading.Event()
    loads: list[str] = []

    def load() -> Versioned:
        loads.append("load")
        if len(loads) > 1:
            started.set()
            assert ready.wait(30)  # the new model takes its time to load
        return Versioned(f"v{len(loads)}")

    client = await aiohttp_client(create_app(settings, load))
    owner = await make_staff("chu", role="owner")
    reloading = asyncio.create_task(reload(client, owner))
    assert await asyncio.to_thread(started.wait, 30)
    assert await posted_version(client, site_key) == "v1"
    ready.set()
    assert await reloading == (200, {"model_version": "v2", "previous": "v1"})
    assert await posted_version(client, site_key) == "v2"


async def test_a_worker_started_during_a_sighup_loads_the_new_model(
    aiohttp_client: Client,
    settings: Settings,
    model_dir: Path,
    models: tuple[Model, Model],
    site_key: str,
) -> None:
    """A worker ignores SIGHUP until its handler is in place; the model saved (and the SIGHUP
    sent) after it loaded its model but before then must not leave it on the old model."""
    base, fixed = models
    app = create_app(settings.model_copy(update={"model_dir": model_dir}))

    async def saved_while_starting(app: web.Application) -> None:
        assert app[RELOADS].scorer.version == base.version  # loaded already
        save_versioned(fixed, model_dir)

    app.on_startup.append(saved_while_starting)
    app.on_startup.append(_reload_on_sighup)
    try:
        client = await aiohttp_client(app)
        await app[RELOADS].settled()
        assert await posted_version(client, site_key) == fixed.version
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)


async def test_a_reloaded_model_is_freed_though_startup_froze_the_old_one(
    aiohttp_client: Client,
    settings: Settings,
    model_dir: Path,
    models: tuple[Model, Model],
    site_key: str,
    make_staff: MakeStaff,
) -> None:
    """Workers freeze what startup built (server.settle_heap), so the collector never frees
    the first model: dropped by a reload, it must go by reference counting alone (a cycle
    through it would keep a whole model's arrays per reload). The start-up code once kept it
    in a local variable for the life of the app, whatever the reloads."""
    base, fixed = models
    app = create_app(settings.model_copy(update={"model_dir": model_dir}))
    app.on_startup.append(settle_heap)
    try:
        client = await aiohttp_client(app)
        owner = await make_staff("chu", role="owner")
        assert await posted_version(client, site_key) == base.version
        first = weakref.ref(app[RELOADS].scorer.model)
        save_versioned(fixed, model_dir)
        assert (await reload(client, owner))[0] == 200
        assert await posted_version(client, site_key) == fixed.version
        gc.collect()
        assert first() is None
    finally:
        gc.unfreeze()
