"""Per-process rate limits: by credential once it has proven valid, else by client address."""

from __future__ import annotations

import math

from aiohttp import web
from aiohttp.typedefs import Handler

from moderation.domain.credentials import bearer_token, hash_key
from moderation.http.callers import proves_valid
from moderation.http.problems import problem
from moderation.keys import LIMIT_BY_ADDRESS, LIMIT_BY_KEY, LIMIT_CHECKS_BY_ADDRESS, SETTINGS
from moderation.runtime.rate_limiter import RateLimiter
from moderation.settings import Settings

# Probes and scrapers must always get through.
UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})


def install(app: web.Application, settings: Settings) -> None:
    """Create the limiters the middleware uses."""
    app[LIMIT_BY_KEY] = RateLimiter(settings.rate_limit_per_key, settings.rate_limit_per_key_burst)
    for key in (LIMIT_BY_ADDRESS, LIMIT_CHECKS_BY_ADDRESS):
        app[key] = RateLimiter(
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
    wait = await _wait(request, bearer_token(request.headers.get("Authorization")))
    if wait > 0:
        seconds = str(max(1, math.ceil(wait)))
        detail = "Too many requests from this caller; retry after the given seconds."
        return problem(429, "Too Many Requests", detail, headers={"Retry-After": seconds})
    return await handler(request)


async def _wait(request: web.Request, token: str | None) -> float:
    """0 when the request may go ahead, else the seconds its caller must wait."""
    by_key = request.app[LIMIT_BY_KEY]
    digest = hash_key(token) if token else None
    if digest is not None and digest in by_key:
        # the site's server posts for all its readers: limit it by its key, never by address
        return by_key.acquire(digest)
    # No credential, or one not yet found valid (http.callers adds those it checks): a made-up
    # token counts against its address and adds nothing to the key table.
    address = client_address(request)
    wait = request.app[LIMIT_BY_ADDRESS].acquire(address)
    if wait > 0 and digest is not None and await _valid_after_all(request, address):
        return 0.0  # a real credential's first request in this process, from a busy address
    return wait


async def _valid_after_all(request: web.Request, address: str) -> bool:
    """Whether an unknown credential refused by its address's limit is a real one (so that a
    website's server is never held back by its address); these look-ups are limited per
    address too, so that made-up tokens cannot make every refusal cost a query."""
    if request.app[LIMIT_CHECKS_BY_ADDRESS].acquire(address) > 0:
        return False
    return await proves_valid(request)
