"""Who calls the API: a site by its key, a moderator or owner by their personal token."""

from __future__ import annotations

from aiohttp import web

from moderation.domain.credentials import bearer_token, hash_key
from moderation.domain.errors import Forbidden, NotFound, StaffUnauthorized, Unauthorized
from moderation.domain.models import Site
from moderation.domain.review import Staff
from moderation.keys import SITES, STORE


async def authenticate(request: web.Request) -> Site:
    """The site whose key is in the Authorization header; Unauthorized otherwise."""
    token = bearer_token(request.headers.get("Authorization"))
    site = await request.app[SITES].by_key(token) if token else None
    if site is None:
        raise Unauthorized("site key")
    return site


async def authenticate_staff(request: web.Request) -> Staff:
    """The moderator or owner whose personal token is in the Authorization header."""
    token = bearer_token(request.headers.get("Authorization"))
    staff = await request.app[STORE].staff_by_token(hash_key(token)) if token else None
    if staff is None:
        raise StaffUnauthorized("staff token")
    return staff


async def staff_or_site(request: web.Request) -> Staff | Site:
    """The staff member or the site whose token or key is in the Authorization header."""
    token = bearer_token(request.headers.get("Authorization"))
    if token:
        staff = await request.app[STORE].staff_by_token(hash_key(token))
        found = staff or await request.app[SITES].by_key(token)
        if found is not None:
            return found
    raise StaffUnauthorized("staff token or site key")


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
