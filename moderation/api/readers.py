"""Reader endpoints: the public listing of a thread's published comments."""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID

import orjson
from aiohttp import web

from moderation.domain.errors import NotFound
from moderation.domain.models import PublicComment, PublicPage
from moderation.http import cursors
from moderation.http.bodies import int_query
from moderation.keys import SITES, STORE

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(last: PublicComment) -> str:
    """An opaque cursor pointing just after a comment."""
    return cursors.encode(last.created_at.isoformat(), last.id)


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The position a cursor points after; 422 when it was not made by encode_cursor."""

    def parse(at: object, last_id: object) -> tuple[datetime, UUID]:
        return cursors.instant(at), cursors.identifier(last_id)

    return cursors.decode(cursor, parse)


def page_limit(request: web.Request) -> int:
    """The ?limit= parameter, 1..MAX_LIMIT."""
    return int_query(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)


async def thread_comments(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/threads/{thread}/comments: published only, oldest first, ETag."""
    site = await request.app[SITES].by_slug(request.match_info["site"])
    if site is None:
        raise NotFound("site")
    limit = page_limit(request)
    cursor = request.query.get("cursor")
    after = decode_cursor(cursor) if cursor else None
    thread = request.match_info["thread"]
    rows = await request.app[STORE].thread_page(site.id, thread, after, limit + 1)
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    page = PublicPage(items=rows[:limit], next_cursor=next_cursor)
    return cached_json(request, orjson.dumps(page.model_dump(mode="json")))


def cached_json(request: web.Request, body: bytes) -> web.Response:
    """A public JSON body with a strong ETag; 304 when the reader already has it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)
