"""Who calls the API: a site by its key, a moderator or owner by their personal token."""

from __future__ import annotations

from aiohttp import web

from moderation.domain.credentials import bearer_token, hash_key
from moderation.domain.errors import Forbidden, NotFound, StaffUnauthorized, Unauthorized
from moderation.domain.models import Site
from moderation.domain.review import Staff
from moderation.http.callers import holder, verified
from moderation.keys import SITES, STORE


async def authenticate(request: web.Request) -> Site:
    """The site whose key is in the Authorization header; Unauthorized otherwise."""
    token = bearer_token(request.headers.get("Authorization"))
    site = await request.app[SITES].by_key(token) if token else None
    if site is None or token is None:
        raise Unauthorized("site key")
    verified(request, hash_key(token))
    return site


async def authenticate_staff(request: web.Request) -> Staff:
    """The moderator or owner whose personal token is in the Authorization header."""
    token = bearer_token(request.headers.get("Authorization"))
    digest = hash_key(token) if token else None
    staff = await request.app[STORE].staff_by_token(digest) if digest else None
    if staff is None or digest is None:
        raise StaffUnauthorized("staff token")
    verified(request, digest)
    return staff


async def staff_or_site(request: web.Request) -> Staff | Site:
    """The staff member or the site whose token or key is in the Authorization header."""
    found = await holder(request)
    if found is None:
        raise StaffUnauthorized("staff token or site key")
    verified(request, found[0])
    return found[1]


async def staff_of_site(request: web.Request) -> Staff:
    """A staff member of the {site} in the path; another site's staff get 404, not 403."""
    staff = await authenticate_staff(request)
    if staff.site_slug != request.match_info["site"]:
        raise NotFound("site")
    return staff


async def owner_of_site(request: web.Request) -> Staff:
    """An owner of the {site} in the path; its moderators get 403, other sites' staff 404."""
    staff = await staff_of_site(request)
    if staff.role != "owner":
        raise Forbidden(staff.username)
    return staff
