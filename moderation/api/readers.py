"""Reader endpoints: the public listing of a thread's published comments."""

from __future__ import annotations

import hashlib

import orjson
from aiohttp import web

from moderation.domain.errors import NotFound
from moderation.domain.models import PublicPage
from moderation.http import cursors
from moderation.http.params import int_query
from moderation.keys import INTAKE, SITES

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


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
    after = cursors.thread_position(cursor) if cursor else None
    thread = request.match_info["thread"]
    page = await request.app[INTAKE].thread(site, thread, after, limit)
    more = cursors.thread_cursor(page.more_after) if page.more_after else None
    answer = PublicPage(items=page.items, next_cursor=more)
    return cached_json(request, orjson.dumps(answer.model_dump(mode="json")))


def cached_json(request: web.Request, body: bytes) -> web.Response:
    """A public JSON body with a strong ETag; 304 when the reader already has it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)
