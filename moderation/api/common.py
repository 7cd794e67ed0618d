"""Helpers shared by handlers: JSON in and out, site-key authentication."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import TypeVar

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel

from moderation.api.context import SETTINGS, SITES, STORE
from moderation.credentials import bearer_token, hash_key
from moderation.errors import Forbidden, InvalidField, NotFound, StaffUnauthorized, Unauthorized
from moderation.limits import RateLimiter
from moderation.models import Site
from moderation.review import Staff

M = TypeVar("M", bound=BaseModel)
JSON = "application/json"
# Rate limits per credential (moderation.api.limits), by the credential's hash. A credential
# gets a bucket of its own only once it has proven valid here: a made-up one is no bucket.
BY_KEY = web.AppKey("limit_by_key", RateLimiter)
# Path parameters: the longest each may be (a thread as long as a comment's may be; a static
# file's name as long as a file system takes), and what none may hold: control characters (Cc:
# PostgreSQL refuses NUL), bidirectional overrides and isolates (as comments' fields), lone
# surrogates.
PATH_LIMITS: Mapping[str, int] = {"site": 63, "thread": 500, "id": 100, "filename": 255}
PATH_LIMIT = 1000
_PATH_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class UnsupportedMediaType(Exception):
    """The request body is not JSON."""


class PayloadTooLarge(Exception):
    """The request body is over the limit."""


class BodyTimeout(Exception):
    """The client did not send its body in time (a slow or stalled client)."""


class BodyIncomplete(BodyTimeout):
    """The client closed the connection before its body was complete."""


def json_response(
    data: BaseModel | Mapping[str, object],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A JSON response rendered with orjson."""
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return web.Response(
        body=orjson.dumps(payload), status=status, content_type=JSON, headers=headers
    )


async def read_json(request: web.Request, model: type[M], limit: int | None = None) -> M:
    """Parse and validate a JSON body; content type and size are checked first."""
    return model.model_validate_json(await read_body(request, limit))


async def read_body(request: web.Request, limit: int | None = None) -> bytes:
    """A JSON body's bytes (415 other types, 413 over `limit`, by default max_body_bytes)."""
    if request.content_type != JSON and not request.content_type.endswith("+json"):
        raise UnsupportedMediaType(request.content_type)
    settings = request.app[SETTINGS]
    limit = limit or settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(request.content_length)
    if limit != settings.max_body_bytes:  # the application's client_max_size
        request = request.clone(client_max_size=limit)
    try:
        async with asyncio.timeout(settings.body_timeout_seconds):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(limit) from None
    except TimeoutError:
        raise BodyTimeout(request.content_length) from None
    except ConnectionError:  # a client that went away is not a server error
        raise BodyIncomplete(request.content_length) from None


async def authenticate(request: web.Request) -> Site:
    """The site whose key is in the Authorization header; Unauthorized otherwise."""
    token = bearer_token(request.headers.get("Authorization"))
    site = await request.app[SITES].by_key(token) if token else None
    if site is None or token is None:
        raise Unauthorized("site key")
    _verified(request, hash_key(token))
    return site


async def authenticate_staff(request: web.Request) -> Staff:
    """The moderator or owner whose personal token is in the Authorization header."""
    token = bearer_token(request.headers.get("Authorization"))
    digest = hash_key(token) if token else None
    staff = await request.app[STORE].staff_by_token(digest) if digest else None
    if staff is None or digest is None:
        raise StaffUnauthorized("staff token")
    _verified(request, digest)
    return staff


async def staff_or_site(request: web.Request) -> Staff | Site:
    """The staff member or the site whose token or key is in the Authorization header."""
    token = bearer_token(request.headers.get("Authorization"))
    if token:
        digest = hash_key(token)
        staff = await request.app[STORE].staff_by_token(digest)
        found = staff or await request.app[SITES].by_key(token)
        if found is not None:
            _verified(request, digest)
            return found
    raise StaffUnauthorized("staff token or site key")


async def proves_valid(request: web.Request) -> bool:
    """Whether the Authorization header holds a live staff token or site key (which from then
    on has a rate-limit bucket of its own)."""
    try:
        await staff_or_site(request)
    except StaffUnauthorized:
        return False
    return True


def _verified(request: web.Request, digest: bytes) -> None:
    """The credential with this hash proved valid: from now on the rate limiter counts it on
    its own instead of against the caller's address."""
    limiter = request.app.get(BY_KEY)
    if limiter is not None:
        limiter.learn(digest)


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


def int_query(request: web.Request, name: str, default: int, top: int) -> int:
    """An integer query parameter in 1..top; 422 naming it otherwise (ASCII digits only: "²"
    is a digit to str.isdigit but not to int())."""
    raw = request.query.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= top:
        raise InvalidField(name, f"must be an integer from 1 to {top}")
    return int(raw)


def check_path(request: web.Request) -> None:
    """Every parameter of the matched route's path is sane text of a bounded length; 422
    naming it otherwise (what it names may still not exist: that is the handler's 404)."""
    for name, value in request.match_info.items():
        top = PATH_LIMITS.get(name, PATH_LIMIT)
        if len(value) > top:
            raise InvalidField(name, f"must be at most {top} characters")
        if _PATH_UNSAFE.search(value):
            raise InvalidField(name, "must not contain control characters")


@web.middleware
async def path_parameters(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Check the path's parameters before any handler (API, pages, static files) reads them."""
    check_path(request)
    return await handler(request)
