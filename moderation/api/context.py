"""Typed keys for what the application holds (pool, store, scorer, metrics)."""

from __future__ import annotations

from aiohttp import web

from moderation.metrics import Metrics
from moderation.reloads import ModelReloads
from moderation.scoring import BatchScorer
from moderation.settings import Settings
from moderation.sites import SiteCache
from moderation.store import Store
from moderation.webhooks import WebhookWorker

SETTINGS = web.AppKey("settings", Settings)
SECRET = web.AppKey("secret", bytes)
METRICS = web.AppKey("metrics", Metrics)
STORE = web.AppKey("store", Store)
SITES = web.AppKey("sites", SiteCache)
SCORER = web.AppKey("scorer", BatchScorer)
WEBHOOKS = web.AppKey("webhooks", WebhookWorker)
RELOADS = web.AppKey("reloads", ModelReloads)
