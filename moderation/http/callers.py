"""Who holds a request's credential (a site key or a staff token); a credential found valid
gets a rate-limit bucket of its own."""

from __future__ import annotations

from aiohttp import web

from moderation.domain.credentials import bearer_token, hash_key
from moderation.domain.models import Site
from moderation.domain.review import Staff
from moderation.keys import LIMIT_BY_KEY, SITES, STORE


async def holder(request: web.Request) -> tuple[bytes, Staff | Site] | None:
    """The hash of the Authorization header's credential and the staff member or site it
    belongs to (a staff token first); None without a live one."""
    token = bearer_token(request.headers.get("Authorization"))
    if not token:
        return None
    digest = hash_key(token)
    staff = await request.app[STORE].staff_by_token(digest)
    found = staff or await request.app[SITES].by_key(token)
    return (digest, found) if found is not None else None


def verified(request: web.Request, digest: bytes) -> None:
    """The credential with this hash proved valid: from now on the rate limiter counts it on
    its own instead of against the caller's address."""
    limiter = request.app.get(LIMIT_BY_KEY)
    if limiter is not None:
        limiter.learn(digest)


async def proves_valid(request: web.Request) -> bool:
    """Whether the Authorization header holds a live staff token or site key (which from then
    on has a rate-limit bucket of its own)."""
    found = await holder(request)
    if found is not None:
        verified(request, found[0])
    return found is not None
