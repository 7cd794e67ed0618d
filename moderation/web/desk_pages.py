"""A moderation desk's pages (issue 19): an author's comments and rule, search results in the
queue, and edits of a comment's public copy."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from moderation.domain.desk import (
    AuthorRulePageIn,
    RedactionAnswer,
    RedactionPageIn,
    RuleAnswer,
    Search,
    author_hash,
)
from moderation.domain.errors import InvalidField, NotFound
from moderation.domain.review import QueueFilter, QueueItem, Staff
from moderation.http import cursors
from moderation.http.bodies import json_response, read_json
from moderation.keys import DESK, REVIEWING
from moderation.web.i18n import language, translate
from moderation.web.render import fragment, render
from moderation.web.sessions import changing_staff, page_staff

PAGE = 25
AUTHOR_PAGE = 50


async def search_page(
    request: web.Request, staff: Staff, want: Search
) -> tuple[list[QueueItem], str | None]:
    """A page of search results (newest first) and the cursor of the next one."""
    cursor = request.query.get("cursor")
    before = cursors.search_position(cursor) if cursor else None
    items, more = await request.app[DESK].search(staff.site_id, want, before, PAGE)
    return items, cursors.search_cursor(*more) if more else None


async def author_page(request: web.Request) -> web.Response:
    """GET /ui/authors/{author}: who they are (never their address), their comments in every
    status, their rule with the buttons to change it, and its history."""
    staff = await page_staff(request)
    desk = request.app[DESK]
    try:
        who = author_hash(request.match_info["author"])
        author = await desk.author(staff.site_id, who)
    except (InvalidField, NotFound):
        message = translate(language(request), "author_not_found")
        return await render(request, "error.html", staff, 404, message=message)
    cursor = request.query.get("cursor")
    before = cursors.search_position(cursor) if cursor else None
    page = await desk.author_comments(staff.site_id, who, before, AUTHOR_PAGE)
    last = page.more_after
    more = cursors.search_cursor(last.created_at, UUID(last.id)) if last else None
    return await render(
        request, "author.html", staff, author=author, items=page.items, next_cursor=more,
        events=await desk.rule_history(staff.site_id, who),
    )  # fmt: skip


async def author_rule(request: web.Request) -> web.Response:
    """POST /ui/api/author-rule: ban, premoderate, trust or lift; the rule's block as HTML."""
    staff = await changing_staff(request)
    payload = await read_json(request, AuthorRulePageIn)
    who = author_hash(payload.author)
    desk = request.app[DESK]
    done = await desk.set_rule(staff, who, payload.rule, payload.note)
    events = await desk.rule_history(staff.site_id, who)
    html = await fragment(request, "_author_rule.html", staff, author=done.author, events=events)
    rule = done.author.rule.rule if done.author.rule else None
    return json_response(RuleAnswer(html=html, rule=rule, changed=done.changed))


async def redact(request: web.Request) -> web.Response:
    """POST /ui/api/redact: a new public copy, published unless publish is false; the item as
    HTML; 409 when another moderator holds it."""
    staff = await changing_staff(request)
    payload = await read_json(request, RedactionPageIn)
    done = await request.app[DESK].redact(staff, payload.id, payload)
    item = await request.app[REVIEWING].item(staff.site_id, payload.id)
    html = await fragment(request, "_items.html", staff, items=[item])
    return json_response(
        RedactionAnswer(html=html, status=done.status, published=done.published, edited=done.edited)
    )


def as_filter(search: Search) -> QueueFilter:
    """The queue's filters a search keeps, for the page's form."""
    return QueueFilter(
        status=search.status or "pending", thread=search.thread, reason=search.reason
    )
