"""Web sessions: an HttpOnly SameSite=Strict cookie, its hash in the database, CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

from moderation.domain.credentials import hash_key, utf8
from moderation.domain.errors import StaffUnauthorized
from moderation.domain.review import Staff
from moderation.keys import SECRET, SETTINGS, STORE

COOKIE = "mod_session"
LOGIN_COOKIE = "mod_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
LOGIN_PATH = "/ui/login"


def is_tls(request: web.Request) -> bool:
    """Whether the browser reached us over TLS (directly, or per a trusted proxy)."""
    if request.secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.app[SETTINGS].trust_forwarded_proto and forwarded == "https"


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    """A cookie only the pages under /ui/ get, never readable by script, never sent cross-site."""
    response.set_cookie(
        name, value, path="/ui", httponly=True, samesite="Strict", secure=is_tls(request)
    )


def clear_cookie(request: web.Request, response: web.StreamResponse, name: str) -> None:
    """Tell the browser to forget a cookie."""
    response.del_cookie(name, path="/ui", secure=is_tls(request), samesite="Strict")


def keyed(request: web.Request, purpose: str, value: str) -> str:
    """An HMAC of a value under the deployment secret, for one purpose."""
    message = utf8(f"{purpose}\0{value}")
    return hmac.new(request.app[SECRET], message, hashlib.sha256).hexdigest()


async def open_session(
    request: web.Request, response: web.StreamResponse, staff: Staff, token: str | None
) -> bool:
    """Start a session for a staff member who gave their password, or their personal token
    (the session then ends with that token): the database keeps only the id's hash. False
    when the user was revoked, or the token replaced, since the credentials were checked."""
    session_id = secrets.token_urlsafe(32)
    seconds = request.app[SETTINGS].session_seconds
    token_hash = hash_key(token) if token else None
    opened = await request.app[STORE].create_session(
        hash_key(session_id), staff, seconds, token_hash
    )
    if opened is None:
        return False
    set_cookie(request, response, COOKIE, session_id)
    return True


async def session_staff(request: web.Request) -> Staff | None:
    """The staff member whose live session cookie came with the request."""
    session_id = request.cookies.get(COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    return await request.app[STORE].session_staff(hash_key(session_id))


async def end_session(request: web.Request, staff: Staff) -> None:
    """Delete the request's session."""
    session_id = request.cookies.get(COOKIE, "")
    await request.app[STORE].end_session(staff.site_id, hash_key(session_id))


def csrf_token(request: web.Request) -> str:
    """The CSRF token of the request's session: an HMAC of the session id."""
    return keyed(request, "csrf", request.cookies.get(COOKIE, ""))


def csrf_matches(expected: str, sent: str | None) -> bool:
    """A constant-time comparison of CSRF tokens."""
    return sent is not None and hmac.compare_digest(utf8(expected), utf8(sent))


async def sent_csrf(request: web.Request) -> str | None:
    """The CSRF token a request carries: the X-CSRF-Token header or a `csrf` form field."""
    header = request.headers.get(CSRF_HEADER)
    if header is not None or request.content_type not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return header
    try:
        value = (await request.post()).get(CSRF_FIELD)
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, str) else None


async def page_staff(request: web.Request) -> Staff:
    """The logged-in staff member of a page; others are sent to the login page."""
    staff = await session_staff(request)
    if staff is None:
        raise web.HTTPSeeOther(LOGIN_PATH)
    return staff


async def script_staff(request: web.Request) -> Staff:
    """The logged-in staff member of a request the pages' scripts make: 401 problem+json when
    the session has ended (the script goes to the login page), not a redirect to HTML."""
    staff = await session_staff(request)
    if staff is None:
        raise StaffUnauthorized("web session")
    return staff


async def changing_staff(request: web.Request) -> Staff:
    """The logged-in staff member of a state-changing request, which must carry the CSRF token."""
    staff = await script_staff(request)
    if not csrf_matches(csrf_token(request), await sent_csrf(request)):
        raise web.HTTPForbidden(reason="CSRF token missing or wrong")
    return staff


def require_owner(staff: Staff) -> None:
    """Owners only: a moderator gets 403."""
    if staff.role != "owner":
        raise web.HTTPForbidden(reason="Owners only")
