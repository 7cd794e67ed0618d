"""Typed keys for what the application holds; the types are imported for the checker only, so
any layer may import this module without pulling in the store, the model or the pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import jinja2

    from moderation.runtime.metrics import Metrics
    from moderation.runtime.rate_limiter import RateLimiter
    from moderation.runtime.reloads import ModelReloads
    from moderation.runtime.scoring import BatchScorer
    from moderation.runtime.site_adapters import SiteAdapters
    from moderation.runtime.site_cache import SiteCache
    from moderation.runtime.webhooks import WebhookWorker
    from moderation.settings import Settings
    from moderation.store import Store
    from moderation.usecases.adapting import Adapting
    from moderation.usecases.deskwork import DeskWork
    from moderation.usecases.intake import Intake
    from moderation.usecases.owning import Owning
    from moderation.usecases.reviewing import Reviewing

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
SECRET: web.AppKey[bytes] = web.AppKey("secret")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
STORE: web.AppKey[Store] = web.AppKey("store")
SITES: web.AppKey[SiteCache] = web.AppKey("sites")
SCORER: web.AppKey[BatchScorer] = web.AppKey("scorer")
WEBHOOKS: web.AppKey[WebhookWorker] = web.AppKey("webhooks")
RELOADS: web.AppKey[ModelReloads] = web.AppKey("reloads")
# Rate limits per credential, by the credential's hash. A credential gets a bucket of its own
# only once it has proven valid (http.callers): a made-up one is no bucket.
LIMIT_BY_KEY: web.AppKey[RateLimiter] = web.AppKey("limit_by_key")
LIMIT_BY_ADDRESS: web.AppKey[RateLimiter] = web.AppKey("limit_by_address")
# Look-ups of unknown credentials sent from an address over its limit, limited alike.
LIMIT_CHECKS_BY_ADDRESS: web.AppKey[RateLimiter] = web.AppKey("limit_checks_by_address")
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates")
INTAKE: web.AppKey[Intake] = web.AppKey("intake")
REVIEWING: web.AppKey[Reviewing] = web.AppKey("reviewing")
OWNING: web.AppKey[Owning] = web.AppKey("owning")
SITE_ADAPTERS: web.AppKey[SiteAdapters] = web.AppKey("site_adapters")
ADAPTING: web.AppKey[Adapting] = web.AppKey("adapting")
DESK: web.AppKey[DeskWork] = web.AppKey("desk")
