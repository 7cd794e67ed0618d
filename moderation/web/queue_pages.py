"""The moderators' pages: the queue (claim, decide, bulk, undo) and a comment's history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp import web

from moderation.api.queue import (
    decide,
    decode_cursor,
    encode_cursor,
    queue_filter,
    with_evidence,
)
from moderation.domain.errors import InvalidField, LeaseHeld, NotFound
from moderation.domain.pages import OneDecisionIn, UndoIn
from moderation.domain.review import (
    BulkDecisionIn,
    ClaimIn,
    Decider,
    QueueItem,
    ReleaseIn,
    Staff,
    target_status,
)
from moderation.http.bodies import json_response, read_json
from moderation.keys import SCORER, SETTINGS, STORE, WEBHOOKS
from moderation.web.i18n import language, translate
from moderation.web.render import fragment, render
from moderation.web.sessions import changing_staff, page_staff, script_staff

PAGE = 25
THREAD_CONTEXT = 10


async def _page_of_queue(request: web.Request, staff: Staff) -> tuple[list[QueueItem], str | None]:
    """A page of the queue as the filters in the query string ask, with evidence."""
    want = queue_filter(request)
    cursor = request.query.get("cursor")
    after = decode_cursor(want.sort, cursor) if cursor else None
    rows = await request.app[STORE].queue_page(staff.site_id, want, after, PAGE + 1)
    next_cursor = encode_cursor(want.sort, rows[PAGE - 1]) if len(rows) > PAGE else None
    return await with_evidence(request, rows[:PAGE]), next_cursor


async def queue_page(request: web.Request) -> web.Response:
    """GET /ui/queue: the first page of the queue, filtered and sorted."""
    staff = await page_staff(request)
    items, next_cursor = await _page_of_queue(request, staff)
    return await render(
        request, "queue.html", staff, items=items, next_cursor=next_cursor,
        want=queue_filter(request),
    )  # fmt: skip


async def items(request: web.Request) -> web.Response:
    """GET /ui/api/items: a page of the queue as HTML, for the page to swap in."""
    staff = await script_staff(request)
    found, next_cursor = await _page_of_queue(request, staff)
    html = await fragment(request, "_items.html", staff, items=found)
    return json_response({"html": html, "count": len(found), "next_cursor": next_cursor})


async def claim(request: web.Request) -> web.Response:
    """POST /ui/api/claim: lease a batch to the moderator; the items as HTML."""
    staff = await changing_staff(request)
    payload = await read_json(request, ClaimIn)
    lease = request.app[SETTINGS].claim_lease_seconds
    found = await request.app[STORE].claim(staff.site_id, staff, payload.limit, lease)
    found = await with_evidence(request, found)
    html = await fragment(request, "_items.html", staff, items=found)
    return json_response({"html": html, "count": len(found)})


async def release(request: web.Request) -> web.Response:
    """POST /ui/api/release: give back the moderator's claims."""
    staff = await changing_staff(request)
    payload = await read_json(request, ReleaseIn)
    released = await request.app[STORE].release(staff, payload.ids)
    return json_response({"released": released})


async def decision(request: web.Request) -> web.Response:
    """POST /ui/api/decision: one comment; 409 when another moderator holds it."""
    staff = await changing_staff(request)
    payload = await read_json(request, OneDecisionIn)
    by = Decider.of_staff(staff)
    outcome = (await decide(request, by, [payload.id], payload.action, payload.note)).get(
        payload.id
    )
    if outcome is None:
        raise NotFound("comment")
    if outcome == "conflict":
        raise LeaseHeld(str(payload.id))
    status = target_status(payload.action)
    return json_response({"id": str(payload.id), "outcome": outcome, "status": status})


async def bulk(request: web.Request) -> web.Response:
    """POST /ui/api/bulk: one action on the selected comments; an outcome for each."""
    staff = await changing_staff(request)
    payload = await read_json(request, BulkDecisionIn)
    ids = list(dict.fromkeys(payload.ids))
    outcomes = await decide(request, Decider.of_staff(staff), ids, payload.action, payload.note)
    found: list[dict[str, Any]] = [
        {"id": str(i), "outcome": outcomes.get(i, "not_found")} for i in ids
    ]
    return json_response({"items": found, "status": target_status(payload.action)})


async def undo(request: web.Request) -> web.Response:
    """POST /ui/api/undo: back to pending (claimed by the caller); the item as HTML."""
    staff = await changing_staff(request)
    payload = await read_json(request, UndoIn)
    store = request.app[STORE]
    lease = request.app[SETTINGS].claim_lease_seconds
    version = request.app[SCORER].version
    if not await store.undo_decision(staff, payload.id, lease, version):
        raise InvalidField("id", "has no decision of yours to undo")
    request.app[WEBHOOKS].wake()
    item = await store.queue_item(staff.site_id, payload.id)
    found = await with_evidence(request, [item])
    return json_response({"html": await fragment(request, "_items.html", staff, items=found)})


async def comment_page(request: web.Request) -> web.Response:
    """GET /ui/comments/{id}: the comment, its thread, its full history."""
    staff = await page_staff(request)
    store = request.app[STORE]
    try:
        target = UUID(request.match_info["id"])
        item = await store.queue_item(staff.site_id, target)
    except (ValueError, NotFound):
        message = translate(language(request), "not_found")
        return await render(request, "error.html", staff, 404, message=message)
    found = await with_evidence(request, [item])
    history = await store.events(staff.site_id, target)
    thread = await store.thread_context(staff.site_id, item.thread, THREAD_CONTEXT)
    return await render(
        request, "comment.html", staff, items=found, item=item, events=history, thread=thread
    )
