"""Owners manage their staff from the pages: the list, invitations (a one-time link or a first
password), revocation, restoration, password resets; and the page a one-time link opens."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from aiohttp import web

from moderation.domain.pages import InviteIn, StaffLinkOut, StaffNameIn
from moderation.domain.passwords import password_problem
from moderation.domain.review import Staff
from moderation.http.bodies import json_response, read_json
from moderation.keys import OWNING, STORE
from moderation.web.i18n import language, translate
from moderation.web.login import read_form
from moderation.web.render import local_time, render, site_zone
from moderation.web.sessions import (
    LOGIN_COOKIE,
    changing_staff,
    clear_cookie,
    csrf_matches,
    keyed,
    open_session,
    page_staff,
    require_owner,
    set_cookie,
)

HOME = "/ui/queue"


async def staff_page(request: web.Request) -> web.Response:
    """GET /ui/staff: the site's moderators and owners, with the owners' actions."""
    owner = await page_staff(request)
    if owner.role != "owner":
        message = translate(language(request), "owners_only")
        return await render(request, "error.html", owner, 403, message=message)
    people = await request.app[OWNING].staff(owner.site_id)
    return await render(request, "staff.html", owner, people=people)


async def _shown(request: web.Request, owner: Staff, out: StaffLinkOut) -> StaffLinkOut:
    """The link's whole address, as the owner hands it on, and its expiry in the site's
    time zone."""
    path = f"{request.scheme}://{request.host}{out.path}" if out.path else None
    zone = await site_zone(request, owner)
    shown = local_time(zone, out.expires_at) if out.expires_at else None
    return out.model_copy(update={"path": path, "expires_shown": shown})


async def invite(request: web.Request) -> web.Response:
    """POST /ui/api/staff/invite: add a staff member; the one-time link, shown only now."""
    owner = await changing_staff(request)
    require_owner(owner)
    payload = await read_json(request, InviteIn)
    out = await request.app[OWNING].invite(owner, payload)
    return json_response(await _shown(request, owner, out), status=201)


async def revoke(request: web.Request) -> web.Response:
    """POST /ui/api/staff/revoke: the member's token and sessions stop, claims go back."""
    owner = await changing_staff(request)
    require_owner(owner)
    payload = await read_json(request, StaffNameIn)
    return json_response(await request.app[OWNING].revoke(owner, payload.username))


async def restore(request: web.Request) -> web.Response:
    """POST /ui/api/staff/restore: lift a revocation."""
    owner = await changing_staff(request)
    require_owner(owner)
    payload = await read_json(request, StaffNameIn)
    return json_response(await request.app[OWNING].restore(owner, payload.username))


async def reset(request: web.Request) -> web.Response:
    """POST /ui/api/staff/reset: the password stops; a new one-time link, shown only now."""
    owner = await changing_staff(request)
    require_owner(owner)
    payload = await read_json(request, StaffNameIn)
    out = await request.app[OWNING].reset(owner, payload.username)
    return json_response(await _shown(request, owner, out))


async def _dead(request: web.Request) -> web.Response:
    """The page of a link that no longer works (used, expired, revoked, or never made)."""
    message = translate(language(request), "link_dead")
    return await render(request, "error.html", None, 410, message=message)


async def _welcome_form(request: web.Request, status: int, error: str | None) -> web.Response:
    """The set-a-password form of a link that works, or the page saying it does not."""
    state = await request.app[OWNING].link(request.match_info["token"])
    if state is None:
        return await _dead(request)
    site = await request.app[STORE].site_by_slug(state.site_slug)
    zone = ZoneInfo(site.policy.time_zone if site else "UTC")
    nonce = secrets.token_urlsafe(16)
    response = await render(
        request, "welcome.html", None, status, link=state, error=error,
        expires=local_time(zone, state.expires_at), form_csrf=keyed(request, "welcome", nonce),
    )  # fmt: skip
    set_cookie(request, response, LOGIN_COOKIE, nonce)
    return response


async def welcome_page(request: web.Request) -> web.Response:
    """GET /ui/welcome/{token}: set a password with a one-time link."""
    return await _welcome_form(request, 200, None)


async def welcome(request: web.Request) -> web.StreamResponse:
    """POST /ui/welcome/{token}: set the password (once), log in, go to the queue."""
    lang = language(request)
    form = await read_form(request)
    if form is None:
        return await _welcome_form(request, 400, translate(lang, "password_refused"))
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not csrf_matches(keyed(request, "welcome", nonce), form.get("csrf")):
        return await _welcome_form(request, 403, translate(lang, "login_expired"))
    password = form.get("password", "")
    if password_problem(password):
        return await _welcome_form(request, 422, translate(lang, "password_refused"))
    if password != form.get("again", ""):
        return await _welcome_form(request, 422, translate(lang, "password_mismatch"))
    owning = request.app[OWNING]
    secret = request.match_info["token"]
    # checked before the argon2 work, which only a live link's holder may ask for
    staff = await owning.use_link(secret, password) if await owning.link(secret) else None
    if staff is None:
        return await _dead(request)
    response = web.HTTPSeeOther(HOME)
    await open_session(request, response, staff, None)
    clear_cookie(request, response, LOGIN_COOKIE)
    raise response
