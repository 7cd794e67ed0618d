"""A moderation desk's endpoints (issue 19): an author's comments and rule, search, and edits
of a comment's public copy (staff tokens)."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from moderation.api.auth import authenticate_staff, staff_of_site
from moderation.api.comments import comment_id
from moderation.api.readers import page_limit
from moderation.domain.desk import AuthorEventPage, AuthorRuleIn, RedactionIn, Search, author_hash
from moderation.domain.review import QueuePage, Staff
from moderation.http import cursors
from moderation.http.bodies import json_response, read_json
from moderation.keys import DESK


async def search(request: web.Request, staff: Staff, want: Search) -> web.Response:
    """GET /v1/sites/{site}/queue with ?q=, ?name=, ?from=, ?to= or ?status=all: matching
    comments newest first; a page may be short when its bounded walk found few."""
    limit = page_limit(request)
    cursor = request.query.get("cursor")
    before = cursors.search_position(cursor) if cursor else None
    items, more = await request.app[DESK].search(staff.site_id, want, before, limit)
    next_cursor = cursors.search_cursor(*more) if more else None
    return json_response(QueuePage(items=items, next_cursor=next_cursor))


async def author(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/authors/{author}: names, counts per status, the rule in force."""
    staff = await staff_of_site(request)
    found = await request.app[DESK].author(staff.site_id, author_hash(request.match_info["author"]))
    return json_response(found)


async def author_comments(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/authors/{author}/comments: every status, newest first."""
    staff = await staff_of_site(request)
    who = author_hash(request.match_info["author"])
    limit = page_limit(request)
    cursor = request.query.get("cursor")
    before = cursors.search_position(cursor) if cursor else None
    desk = request.app[DESK]
    await desk.author(staff.site_id, who)  # 404 for an author the site does not know
    page = await desk.author_comments(staff.site_id, who, before, limit)
    last = page.more_after
    more = cursors.search_cursor(last.created_at, _uuid(last.id)) if last else None
    return json_response(QueuePage(items=page.items, next_cursor=more))


async def author_events(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/authors/{author}/events: the rule's changes, newest first."""
    staff = await staff_of_site(request)
    who = author_hash(request.match_info["author"])
    await request.app[DESK].author(staff.site_id, who)
    items = await request.app[DESK].rule_history(staff.site_id, who)
    return json_response(AuthorEventPage(items=items))


async def put_rule(request: web.Request) -> web.Response:
    """PUT /v1/sites/{site}/authors/{author}/rule: ban, premoderate, trust, or null to lift."""
    staff = await staff_of_site(request)
    who = author_hash(request.match_info["author"])
    payload = await read_json(request, AuthorRuleIn)
    done = await request.app[DESK].set_rule(staff, who, payload.rule, payload.note)
    return json_response(done)


async def delete_rule(request: web.Request) -> web.Response:
    """DELETE /v1/sites/{site}/authors/{author}/rule: lift the author's rule."""
    staff = await staff_of_site(request)
    who = author_hash(request.match_info["author"])
    return json_response(await request.app[DESK].set_rule(staff, who, None, None))


async def redact(request: web.Request) -> web.Response:
    """POST /v1/comments/{id}/redaction: a new public copy, published unless publish=false."""
    staff = await authenticate_staff(request)
    target = comment_id(request)
    payload = await read_json(request, RedactionIn)
    return json_response(await request.app[DESK].redact(staff, target, payload))


def _uuid(value: str) -> UUID:
    """A comment id as stored."""
    return UUID(value)
