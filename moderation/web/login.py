"""Log in (password or personal token), with failed logins throttled in the database; log out."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets

from aiohttp import web

from moderation.domain.credentials import hash_key, utf8
from moderation.domain.pages import LoginFailures
from moderation.domain.passwords import verify_password
from moderation.domain.review import Staff
from moderation.http.rate_limits import client_address
from moderation.keys import REVIEWING, SECRET, SETTINGS, STORE
from moderation.web.i18n import language, translate
from moderation.web.render import render
from moderation.web.sessions import (
    LOGIN_COOKIE,
    LOGIN_PATH,
    changing_staff,
    clear_cookie,
    csrf_matches,
    end_session,
    keyed,
    open_session,
    session_staff,
    set_cookie,
)

HOME = "/ui/queue"
MAX_FIELD = 1024


def _digest(request: web.Request, purpose: str, value: str) -> bytes:
    """A keyed hash naming an account or address in the failures table (never the plain value)."""
    message = utf8(f"{purpose}\0{value}")
    return hmac.new(request.app[SECRET], message, hashlib.sha256).digest()


async def login_page(request: web.Request) -> web.StreamResponse:
    """GET /ui/login: the form, with a CSRF token tied to a fresh cookie."""
    if await session_staff(request) is not None:
        raise web.HTTPSeeOther(HOME)
    return await _form(request, None, 200)


async def _form(
    request: web.Request, error: str | None, status: int, site: str = "", username: str = ""
) -> web.Response:
    """The login form, with the site and name typed before (never the password); a new nonce
    cookie and its token each time."""
    nonce = secrets.token_urlsafe(16)
    response = await render(
        request, "login.html", None, status, error=error, login_csrf=keyed(request, "login", nonce),
        site=site, username=username,
    )  # fmt: skip
    set_cookie(request, response, LOGIN_COOKIE, nonce)
    return response


async def read_form(request: web.Request) -> dict[str, str] | None:
    """The form's text fields; None when the body is not a sane form (bad UTF-8, NUL, huge)."""
    try:
        fields = await request.post()
    except (UnicodeDecodeError, ValueError):
        return None
    form = {k: v for k, v in fields.items() if isinstance(v, str)}
    for value in form.values():
        if len(value) > MAX_FIELD or "\x00" in value or _odd(value):
            return None
    return form


def _odd(value: str) -> bool:
    """Whether text holds what PostgreSQL cannot store (lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _field(form: dict[str, str], name: str) -> str:
    """A form field, trimmed and bounded."""
    return form.get(name, "")[:MAX_FIELD].strip()


async def login(request: web.Request) -> web.StreamResponse:
    """POST /ui/login: 303 to the queue, 401 when wrong, 429 with Retry-After when throttled."""
    form = await read_form(request)
    lang = language(request)
    if form is None:
        return await _form(request, translate(lang, "login_failed"), 400)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not csrf_matches(keyed(request, "login", nonce), form.get("csrf")):
        expired = translate(lang, "login_expired")
        return await _form(request, expired, 403, _field(form, "site"), _field(form, "username"))
    token = _field(form, "token")
    slug, username = _field(form, "site"), _field(form, "username")
    who = f"token\0{hash_key(token).hex()}" if token else f"{slug}\0{username.casefold()}"
    account = _digest(request, "account", who)
    address = _digest(request, "address", client_address(request))
    settings = request.app[SETTINGS]
    store = request.app[STORE]
    site = await store.site_by_slug(slug) if slug and not token else None
    site_id = site.id if site else None
    # Counted before the check, so that parallel guesses cannot all pass one count.
    attempt, failures = await store.login_attempt(
        site_id, account, address, settings.login_window_seconds
    )
    wait = _throttled(request, failures)
    if wait:
        await store.drop_login_attempt(site_id, attempt)
        message = translate(lang, "login_throttled", seconds=wait)
        response = await _form(request, message, 429, slug, username)
        response.headers["Retry-After"] = str(wait)
        return response
    staff = await _check(request, token, slug, username, form.get("password", ""))
    if staff is None:
        # The attempt stays.
        return await _form(request, translate(lang, "login_failed"), 401, slug, username)
    await request.app[STORE].clear_login_failures(staff.site_id, account)
    response = web.HTTPSeeOther(HOME)
    if not await open_session(request, response, staff, token or None):
        return await _form(request, translate(lang, "login_failed"), 401)
    clear_cookie(request, response, LOGIN_COOKIE)
    raise response


def _throttled(request: web.Request, failures: LoginFailures) -> int:
    """Seconds to wait when the account or the address has failed too often, else 0; the
    counts include this attempt."""
    settings = request.app[SETTINGS]
    waits = []
    if failures.account_failures > settings.login_max_failures_per_account:
        waits.append(failures.account_retry or settings.login_window_seconds)
    if failures.address_failures > settings.login_max_failures_per_address:
        waits.append(failures.address_retry or settings.login_window_seconds)
    return max(1, math.ceil(max(waits))) if waits else 0


async def _check(
    request: web.Request, token: str, slug: str, username: str, password: str
) -> Staff | None:
    """The staff member these credentials name, or None; argon2 runs off the event loop."""
    store = request.app[STORE]
    if token:
        return await store.staff_by_token(hash_key(token))
    found = await store.staff_for_login(slug, username) if slug and username else None
    stored = found.password_hash if found else None
    loop = asyncio.get_running_loop()
    ok = await loop.run_in_executor(None, verify_password, stored, password[: MAX_FIELD + 1])
    return found.staff if ok and found else None


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /ui/logout (with the CSRF token): end the session, back to the login page."""
    staff = await changing_staff(request)
    # What they held goes back to the queue now, not when the leases lapse.
    await request.app[REVIEWING].release(staff, None)
    await end_session(request, staff)
    response = web.HTTPSeeOther(LOGIN_PATH)
    clear_cookie(request, response, "mod_session")
    raise response
