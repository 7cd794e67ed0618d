"""Operator endpoints: health, readiness, metrics, the OpenAPI document.

/healthz is liveness: the process answers (never the database; restart it when this fails).
/readyz is readiness: the process can serve, the model loaded. It reports the database (its
role, or why it is unavailable) without failing on it: the database is shared by every host,
so failing would take them all out of a balancer at once, which then answers with its own
errors instead of the service's 503 + Retry-After. /readyz?require=primary also needs this
host's pool to reach a writable primary (docs/deployment.md says which to use for what; a
query, not a path of its own, so that it stays one of the probes never rate-limited).
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from moderation.api import openapi
from moderation.domain.errors import DatabaseUnavailable, InvalidField
from moderation.http.bodies import json_response
from moderation.keys import METRICS, SCORER, STORE

# /readyz waits this long at most for the database: a balancer's check must not time out
# because the pool is busy.
READY_DATABASE_SECONDS = 1.0


async def healthz(request: web.Request) -> web.Response:
    """The process is up; nothing else is checked."""
    return json_response({"status": "ok"})


async def _database(request: web.Request) -> dict[str, object]:
    """The role of the server this process's pool reaches, or why none answers."""
    store = request.app[STORE]
    try:
        return {"role": await store.database_role(READY_DATABASE_SECONDS)}
    except DatabaseUnavailable as exc:
        found: dict[str, object] = {"role": "unavailable", "cause": exc.cause}
        if (down := store.state.seconds_down()) is not None:
            found["seconds_down"] = down
        return found


async def _readiness(request: web.Request, need_primary: bool) -> web.Response:
    """The readiness body; 503 with Retry-After when a required check fails."""
    database = await _database(request)
    checks = {"model": SCORER in request.app, "database": database["role"] == "primary"}
    ready = checks["model"] and (checks["database"] or not need_primary)
    body: dict[str, object] = {
        "status": "ready" if ready else "unavailable",
        "checks": checks,
        "database": database,
    }
    if SCORER in request.app:
        body["model_version"] = request.app[SCORER].version
    retry = {"Retry-After": str(request.app[STORE].state.retry_after())}
    return json_response(body, 200 if ready else 503, None if ready else retry)


async def readyz(request: web.Request) -> web.Response:
    """Ready to serve (the model loaded), the database reported; with ?require=primary, also
    attached to a writable primary. 503 otherwise."""
    require = request.query.get("require")
    if require not in (None, "primary"):
        raise InvalidField("require", "must be primary (or absent)")
    return await _readiness(request, need_primary=require == "primary")


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format."""
    body = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi_json(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of the API."""
    return json_response(openapi.document())
