"""Typed keys for what the web pages hold on the application."""

from __future__ import annotations

import jinja2
from aiohttp import web

TEMPLATES = web.AppKey("templates", jinja2.Environment)
