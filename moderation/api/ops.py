"""Operator endpoints: health, readiness, metrics, the OpenAPI document."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from moderation.api import openapi
from moderation.domain.errors import DatabaseUnavailable
from moderation.http.bodies import json_response
from moderation.keys import METRICS, SCORER, SETTINGS, STORE


async def healthz(request: web.Request) -> web.Response:
    """The process is up."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database answers and the model is loaded; 503 otherwise."""
    checks = {"model": SCORER in request.app, "database": True}
    try:
        await request.app[STORE].ping()
    except DatabaseUnavailable:
        checks["database"] = False
    ready = all(checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "unavailable", "checks": checks}
    if SCORER in request.app:
        body["model_version"] = request.app[SCORER].version
    retry = {"Retry-After": str(request.app[SETTINGS].retry_after_seconds)}
    return json_response(body, 200 if ready else 503, None if ready else retry)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format."""
    body = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi_json(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of the API."""
    return json_response(openapi.document())
