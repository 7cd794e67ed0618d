"""The moderators' pages: the queue (claim, decide, bulk, undo) and a comment's history."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from aiohttp import web

from moderation.domain.desk import Search
from moderation.domain.errors import InvalidField, NotFound
from moderation.domain.pages import (
    BulkAnswer,
    BulkAnswerItem,
    ClaimAnswer,
    DecisionAnswer,
    ItemsAnswer,
    LiveAnswer,
    OneDecisionIn,
    UndoAnswer,
    UndoIn,
)
from moderation.domain.policy import REASON_CODES
from moderation.domain.review import (
    BulkDecisionIn,
    ClaimIn,
    Decider,
    QueueFilter,
    QueueItem,
    ReleaseIn,
    ReleaseOut,
    Staff,
    target_status,
)
from moderation.http import cursors
from moderation.http.bodies import json_response, read_json
from moderation.http.params import queue_filter, search_filter
from moderation.keys import REVIEWING
from moderation.web import desk_pages
from moderation.web.i18n import language, translate
from moderation.web.render import fragment, render
from moderation.web.sessions import changing_staff, page_staff, script_staff

PAGE = 25
THREAD_CONTEXT = 10
THREAD_CHOICES = 200
# How often an open queue page asks for new comments and counts (GET /ui/api/live).
LIVE_POLL_SECONDS = 15


def _wanted(request: web.Request) -> tuple[Search | None, QueueFilter]:
    """The search the query string asks (if any) and the queue filters the page keeps: a
    search's own when searching (the queue's filters refuse its status=all)."""
    search = search_filter(request)
    return search, queue_filter(request) if search is None else desk_pages.as_filter(search)


async def _page_of_queue(
    request: web.Request, staff: Staff, search: Search | None, want: QueueFilter
) -> tuple[list[QueueItem], str | None]:
    """A page of the queue as `want` asks, with evidence; the search's results (newest
    first) when there is one."""
    if search is not None:
        return await desk_pages.search_page(request, staff, search)
    cursor = request.query.get("cursor")
    after = cursors.queue_position(want.order, cursor) if cursor else None
    page = await request.app[REVIEWING].page(staff.site_id, want, after, PAGE)
    more = cursors.queue_cursor(want.order, page.more_after) if page.more_after else None
    return page.items, more


async def queue_page(request: web.Request) -> web.Response:
    """GET /ui/queue: the first page of the queue, filtered and sorted (or a search's results)."""
    staff = await page_staff(request)
    search, want = _wanted(request)
    reviewing = request.app[REVIEWING]
    # counted before the list is read: a comment arriving in between is shown and later
    # announced once more, rather than neither
    counts = await reviewing.counts(staff.site_id, want, None)
    items, next_cursor = await _page_of_queue(request, staff, search, want)
    threads = await reviewing.thread_choices(staff.site_id, THREAD_CHOICES)
    return await render(
        request, "queue.html", staff, items=items, next_cursor=next_cursor, want=want,
        search=search, counts=counts, reason_codes=REASON_CODES, threads=threads,
        poll_ms=LIVE_POLL_SECONDS * 1000,
    )  # fmt: skip


def _since(request: web.Request) -> datetime:
    """?since=: the time (ISO 8601, with its zone) of the page's last count."""
    raw = request.query.get("since", "")
    try:
        since = datetime.fromisoformat(raw) if len(raw) <= 40 else None
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        raise InvalidField("since", "must be an ISO 8601 time with its zone")
    return since


async def live(request: web.Request) -> web.Response:
    """GET /ui/api/live: the counts per status now, and how many comments matching the page
    came since ?since= (from the database, so any process can answer)."""
    staff = await script_staff(request)
    _, want = _wanted(request)  # a search's page counts the queue its filters keep
    counts = await request.app[REVIEWING].counts(staff.site_id, want, _since(request))
    key = "fresh_reported" if want.order == "reports" else "fresh_comments"
    text = translate(language(request), key, n=counts.shown("fresh"))
    return json_response(
        LiveAnswer(counts=counts.tabs(), fresh=counts.fresh, fresh_text=text,
                   since=counts.as_of.isoformat())
    )  # fmt: skip


async def items(request: web.Request) -> web.Response:
    """GET /ui/api/items: a page of the queue as HTML, for the page to swap in."""
    staff = await script_staff(request)
    found, next_cursor = await _page_of_queue(request, staff, *_wanted(request))
    html = await fragment(request, "_items.html", staff, items=found)
    return json_response(ItemsAnswer(html=html, count=len(found), next_cursor=next_cursor))


async def claim(request: web.Request) -> web.Response:
    """POST /ui/api/claim: lease a batch to the moderator; the items as HTML."""
    staff = await changing_staff(request)
    payload = await read_json(request, ClaimIn)
    found = (await request.app[REVIEWING].claim(staff, payload.limit)).items
    html = await fragment(request, "_items.html", staff, items=found)
    return json_response(ClaimAnswer(html=html, count=len(found)))


async def release(request: web.Request) -> web.Response:
    """POST /ui/api/release: give back the moderator's claims."""
    staff = await changing_staff(request)
    payload = await read_json(request, ReleaseIn)
    released = await request.app[REVIEWING].release(staff, payload.ids)
    return json_response(ReleaseOut(released=released))


async def decision(request: web.Request) -> web.Response:
    """POST /ui/api/decision: one comment; 409 when another moderator holds it."""
    staff = await changing_staff(request)
    payload = await read_json(request, OneDecisionIn)
    by = Decider.of_staff(staff)
    outcome = await request.app[REVIEWING].decide_one(by, payload.id, payload.action, payload.note)
    status = target_status(payload.action)
    return json_response(DecisionAnswer(id=str(payload.id), outcome=outcome, status=status))


async def bulk(request: web.Request) -> web.Response:
    """POST /ui/api/bulk: one action on the selected comments; an outcome for each."""
    staff = await changing_staff(request)
    payload = await read_json(request, BulkDecisionIn)
    ids = list(dict.fromkeys(payload.ids))
    by = Decider.of_staff(staff)
    outcomes = await request.app[REVIEWING].decide(by, ids, payload.action, payload.note)
    found = [BulkAnswerItem(id=str(i), outcome=outcomes.get(i, "not_found")) for i in ids]
    return json_response(BulkAnswer(items=found, status=target_status(payload.action)))


async def undo(request: web.Request) -> web.Response:
    """POST /ui/api/undo: back to pending (claimed by the caller); the item as HTML."""
    staff = await changing_staff(request)
    payload = await read_json(request, UndoIn)
    item = await request.app[REVIEWING].undo(staff, payload.id)
    html = await fragment(request, "_items.html", staff, items=[item])
    return json_response(UndoAnswer(html=html))


async def comment_page(request: web.Request) -> web.Response:
    """GET /ui/comments/{id}: the comment, its thread, its full history."""
    staff = await page_staff(request)
    try:
        target = UUID(request.match_info["id"])
        item = await request.app[REVIEWING].item(staff.site_id, target)
    except (ValueError, NotFound):
        message = translate(language(request), "not_found")
        return await render(request, "error.html", staff, 404, message=message)
    history, thread = await request.app[REVIEWING].context(staff.site_id, item, THREAD_CONTEXT)
    return await render(
        request, "comment.html", staff, items=[item], item=item, events=history, thread=thread,
        single=True,
    )  # fmt: skip
