"""create_app(settings): the one place that wires the parts together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from threadpoolctl import threadpool_limits

from moderation.api import comments, desk_api, ops, owners, queue, readers, site_info, site_model
from moderation.http import params, problems, rate_limits
from moderation.keys import (
    ADAPTING,
    DESK,
    INTAKE,
    METRICS,
    OWNING,
    RELOADS,
    REVIEWING,
    SCORER,
    SECRET,
    SETTINGS,
    SITE_ADAPTERS,
    SITES,
    STORE,
    WEBHOOKS,
)
from moderation.runtime.metrics import Metrics
from moderation.runtime.reloads import ModelReloads
from moderation.runtime.scoring import BatchScorer, Scorer, scorer_factory, warmed
from moderation.runtime.secret import deployment_secret
from moderation.runtime.site_adapters import CHANNEL as ADAPTER_CHANNEL
from moderation.runtime.site_adapters import SiteAdapters
from moderation.runtime.site_cache import SiteCache
from moderation.runtime.webhooks import running
from moderation.settings import Settings
from moderation.store import Store, create_pool
from moderation.store.dbstate import DatabaseState
from moderation.usecases.adapting import Adapting
from moderation.usecases.deskwork import DeskWork
from moderation.usecases.intake import Intake
from moderation.usecases.owning import Owning
from moderation.usecases.reviewing import Reviewing
from moderation.web import routes as web_pages

ScorerFactory = Callable[[], Scorer]
ADAPT_CHECK_SECONDS = 60.0  # how often a process looks for sites due for training


async def _database(app: web.Application) -> AsyncIterator[None]:
    """The connection pool, the store over it and the site cache."""
    settings = app[SETTINGS]
    if not settings.database_url:
        raise ValueError("create_app needs settings.database_url")
    pool_args = (settings.pool_min_size, settings.pool_max_size, settings.db_timeout_seconds)
    state = DatabaseState(settings.retry_after_seconds)
    cache = settings.statement_cache_size
    async with create_pool(settings.database_url, *pool_args, state, cache) as pool:
        app[STORE] = Store(pool, settings.db_timeout_seconds, state, settings.intake_statements)
        app[STORE].batches.observe = app[METRICS].intake_batch.observe
        app[SITES] = SiteCache(app[STORE], settings.site_cache_seconds)
        yield
        await app[STORE].batches.drain()  # answer every comment taken before the pool closes


async def _webhooks(app: web.Application) -> AsyncIterator[None]:
    """The outbox worker, delivering webhooks in the background."""
    async with running(app[STORE], app[SETTINGS], app[METRICS]) as worker:
        app[WEBHOOKS] = worker
        yield


def _scoring(factory: ScorerFactory) -> Callable[[web.Application], AsyncIterator[None]]:
    """Load the model off the event loop and score in a small thread pool.

    BLAS runs one thread (MODERATION_SCORING_BLAS_THREADS) for as long as the app does: a
    scoring batch's products are small, and with a worker per core a second BLAS thread only
    takes a core from another worker, PostgreSQL or the client while it spins (measured at
    saturation: p99 about 100 ms with OpenBLAS's default of a thread per core, 23 - 45 ms
    with one; docs/performance.md)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        with ThreadPoolExecutor(settings.scoring_threads, thread_name_prefix="score") as pool:
            model = await asyncio.get_running_loop().run_in_executor(pool, warmed, factory)
            observe = app[METRICS].observe_batch
            app[SCORER] = BatchScorer(
                model, pool, settings.scoring_max_batch, observe, settings.scoring_inline_chars
            )
            del model  # this frame lives as long as the app: a reload must be able to free it
            # after the model has loaded BLAS: a library loaded later would keep its default
            with threadpool_limits(limits=settings.scoring_blas_threads, user_api="blas"):
                yield

    return context


def _reloads(factory: ScorerFactory) -> Callable[[web.Application], AsyncIterator[None]]:
    """Reloading the model on demand, and on other processes' notifications."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        reloads = ModelReloads(app[SCORER], factory, app[STORE])
        app[RELOADS] = reloads
        # a site's new adapter version is announced on the same listening connection
        budget = int(app[SETTINGS].site_adapter_memory_mb * 2**20)
        scorer = app[SCORER]
        adapters = SiteAdapters(app[STORE], app[SITES], budget, app[METRICS], lambda: scorer.model)
        app[SITE_ADAPTERS] = adapters
        reloads.also(ADAPTER_CHANNEL, adapters.notified, adapters.resync)
        dsn = app[SETTINGS].database_url
        assert dsn is not None  # checked by _database
        async with reloads.running(dsn):
            yield

    return context


async def _usecases(app: web.Application) -> AsyncIterator[None]:
    """The use cases the API and the pages call, over the parts the contexts above made."""
    store, scorer, webhooks = app[STORE], app[SCORER], app[WEBHOOKS]
    adapters = app[SITE_ADAPTERS]
    app[INTAKE] = Intake(store, scorer, app[SITES], app[SECRET], app[METRICS], webhooks, adapters)
    app[REVIEWING] = Reviewing(store, scorer, webhooks, app[SETTINGS].claim_lease_seconds)
    app[OWNING] = Owning(store, app[RELOADS], app[SETTINGS])
    app[ADAPTING] = Adapting(store, scorer, app[SETTINGS], adapters)
    app[DESK] = DeskWork(store, app[REVIEWING])
    async with app[ADAPTING].background(ADAPT_CHECK_SECONDS):
        yield


def _routes(app: web.Application) -> None:
    """Every route of the API."""
    app.router.add_post("/v1/comments", comments.post_comment)
    app.router.add_get("/v1/comments/{id}", comments.get_comment)
    app.router.add_post("/v1/comments/{id}/report", comments.report_comment)
    app.router.add_post("/v1/authors/erase", comments.erase_author)
    app.router.add_get("/v1/site", site_info.site_info)
    # A thread id may hold slashes (sites often use the article's path).
    app.router.add_get("/v1/sites/{site}/threads/{thread:.+}/comments", readers.thread_comments)
    app.router.add_get("/v1/sites/{site}/queue", queue.queue)
    app.router.add_post("/v1/sites/{site}/queue/claim", queue.claim)
    app.router.add_post("/v1/sites/{site}/queue/release", queue.release)
    app.router.add_post("/v1/sites/{site}/decisions", queue.bulk_decision)
    app.router.add_post("/v1/comments/{id}/decision", queue.decision)
    app.router.add_get("/v1/comments/{id}/events", queue.events)
    app.router.add_post("/v1/comments/{id}/redaction", desk_api.redact)
    app.router.add_get("/v1/sites/{site}/authors/{author}", desk_api.author)
    app.router.add_get("/v1/sites/{site}/authors/{author}/comments", desk_api.author_comments)
    app.router.add_get("/v1/sites/{site}/authors/{author}/events", desk_api.author_events)
    app.router.add_put("/v1/sites/{site}/authors/{author}/rule", desk_api.put_rule)
    app.router.add_delete("/v1/sites/{site}/authors/{author}/rule", desk_api.delete_rule)
    app.router.add_get("/v1/sites/{site}/audit", owners.audit)
    app.router.add_get("/v1/sites/{site}/policy", owners.get_policy)
    app.router.add_put("/v1/sites/{site}/policy", owners.put_policy)
    app.router.add_post("/v1/sites/{site}/policy/preview", owners.preview_policy)
    app.router.add_get("/v1/sites/{site}/stats", owners.stats)
    app.router.add_post("/v1/sites/{site}/model/reload", owners.reload_model)
    app.router.add_post("/v1/sites/{site}/model/adapt", site_model.adapt)
    app.router.add_get("/v1/sites/{site}/model", site_model.get_model)
    app.router.add_put("/v1/sites/{site}/model", site_model.put_model)
    app.router.add_get("/healthz", ops.healthz)
    app.router.add_get("/readyz", ops.readyz)
    app.router.add_get("/metrics", ops.metrics)
    app.router.add_get("/openapi.json", ops.openapi_json)


def create_app(settings: Settings, scorer: ScorerFactory | None = None) -> web.Application:
    """The application; its pool, model and executor live in cleanup_ctx.

    `scorer` loads the model (at start and at each reload); by default as the settings say
    (MODERATION_MODEL_DIR, else MODERATION_SCORER).
    """
    factory = scorer or scorer_factory(settings)
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            problems.observe,
            problems.problems,
            rate_limits.rate_limits,
            params.path_parameters,
        ],
    )
    rate_limits.install(app, settings)
    app[SETTINGS] = settings
    app[SECRET] = deployment_secret(settings)
    app[METRICS] = Metrics()
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_scoring(factory))
    app.cleanup_ctx.append(_reloads(factory))
    app.cleanup_ctx.append(_webhooks)
    app.cleanup_ctx.append(_usecases)
    _routes(app)
    web_pages.setup(app)
    return app
