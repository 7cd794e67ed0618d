"""Typed keys for what the application holds (pool, store, scorer, metrics)."""

from __future__ import annotations

from aiohttp import web

from moderation.runtime.metrics import Metrics
from moderation.runtime.reloads import ModelReloads
from moderation.runtime.scoring import BatchScorer
from moderation.runtime.site_cache import SiteCache
from moderation.runtime.webhooks import WebhookWorker
from moderation.settings import Settings
from moderation.store import Store

SETTINGS = web.AppKey("settings", Settings)
SECRET = web.AppKey("secret", bytes)
METRICS = web.AppKey("metrics", Metrics)
STORE = web.AppKey("store", Store)
SITES = web.AppKey("sites", SiteCache)
SCORER = web.AppKey("scorer", BatchScorer)
WEBHOOKS = web.AppKey("webhooks", WebhookWorker)
RELOADS = web.AppKey("reloads", ModelReloads)
