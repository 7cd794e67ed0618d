"""Per-process rate limits: by credential when the caller sends one, else by client address."""

from __future__ import annotations

import math

from aiohttp import web
from aiohttp.typedefs import Handler

from moderation.domain.credentials import bearer_token, hash_key
from moderation.http.problems import problem
from moderation.keys import LIMIT_BY_ADDRESS, LIMIT_BY_KEY, SETTINGS
from moderation.runtime.rate_limiter import RateLimiter
from moderation.settings import Settings

# Probes and scrapers must always get through.
UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})


def install(app: web.Application, settings: Settings) -> None:
    """Create the limiters the middleware uses."""
    app[LIMIT_BY_KEY] = RateLimiter(settings.rate_limit_per_key, settings.rate_limit_per_key_burst)
    app[LIMIT_BY_ADDRESS] = RateLimiter(
        settings.rate_limit_per_address, settings.rate_limit_per_address_burst
    )


def client_address(request: web.Request) -> str:
    """The caller's address; behind a trusted proxy, the last hop it added to X-Forwarded-For."""
    if request.app[SETTINGS].trust_forwarded_for:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
        if hops[-1]:
            return hops[-1]
    return request.remote or "unknown"


@web.middleware
async def rate_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """429 with Retry-After when a caller goes over its rate."""
    if request.path in UNLIMITED:
        return await handler(request)
    token = bearer_token(request.headers.get("Authorization"))
    if token:
        # the site's server posts for all its readers: limit it by its key, never by address
        wait = request.app[LIMIT_BY_KEY].acquire(hash_key(token))
    else:
        wait = request.app[LIMIT_BY_ADDRESS].acquire(client_address(request))
    if wait > 0:
        seconds = str(max(1, math.ceil(wait)))
        detail = "Too many requests from this caller; retry after the given seconds."
        return problem(429, "Too Many Requests", detail, headers={"Retry-After": seconds})
    return await handler(request)
