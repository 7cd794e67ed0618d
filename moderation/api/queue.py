"""Moderator endpoints: the review queue, claims with leases, decisions, a comment's history."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from moderation.api import desk_api
from moderation.api.auth import authenticate_staff, staff_of_site, staff_or_site
from moderation.api.comments import comment_id
from moderation.api.readers import page_limit
from moderation.domain.errors import InvalidField
from moderation.domain.models import Site, Status
from moderation.domain.review import (
    BulkDecisionIn,
    BulkItem,
    BulkOut,
    ClaimIn,
    Decider,
    DecisionIn,
    DecisionOut,
    EventPage,
    Outcome,
    QueuePage,
    ReleaseIn,
    ReleaseOut,
    Staff,
    target_status,
)
from moderation.http import cursors
from moderation.http.bodies import json_response, read_json
from moderation.http.params import queue_filter, search_filter
from moderation.keys import REVIEWING


async def queue(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/queue: comments in one status, oldest first or highest score; a
    search (text, author name, days, any status) newest first."""
    staff = await staff_of_site(request)
    if (search := search_filter(request)) is not None:
        return await desk_api.search(request, staff, search)
    want = queue_filter(request)
    limit = page_limit(request)
    cursor = request.query.get("cursor")
    after = cursors.queue_position(want.order, cursor) if cursor else None
    page = await request.app[REVIEWING].page(staff.site_id, want, after, limit)
    more = cursors.queue_cursor(want.order, page.more_after) if page.more_after else None
    return json_response(QueuePage(items=page.items, next_cursor=more))


async def claim(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/queue/claim: lease up to n pending comments to the caller."""
    staff = await staff_of_site(request)
    payload = await read_json(request, ClaimIn)
    return json_response(await request.app[REVIEWING].claim(staff, payload.limit))


async def release(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/queue/release: give back the caller's claims (all, or some ids)."""
    staff = await staff_of_site(request)
    payload = await read_json(request, ReleaseIn)
    released = await request.app[REVIEWING].release(staff, payload.ids)
    return json_response(ReleaseOut(released=released))


async def decision(request: web.Request) -> web.Response:
    """POST /v1/comments/{id}/decision: set the status, release the claim, record the event."""
    who = await staff_or_site(request)
    target = comment_id(request)
    payload = await read_json(request, DecisionIn)
    by = _decider(who, payload.actor)
    done = await request.app[REVIEWING].decide_one(by, target, payload.action, payload.note)
    status = target_status(payload.action)
    return json_response(DecisionOut(id=str(target), status=status, changed=done == "changed"))


def _decider(who: Staff | Site, actor: str | None) -> Decider:
    """A site deciding with its key (and maybe its moderator's name), or a staff member."""
    if isinstance(who, Site):
        return Decider.of_site(who.id, actor)
    if actor is not None:
        raise InvalidField("actor", "is accepted only with a site key")
    return Decider.of_staff(who)


async def bulk_decision(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/decisions: one action on many comments, an outcome for each."""
    staff = await staff_of_site(request)
    payload = await read_json(request, BulkDecisionIn)
    status = target_status(payload.action)
    ids = list(dict.fromkeys(payload.ids))
    by = Decider.of_staff(staff)
    outcomes = await request.app[REVIEWING].decide(by, ids, payload.action, payload.note)
    items = [_bulk_item(i, outcomes.get(i, "not_found"), status) for i in ids]
    return json_response(BulkOut(items=items))


def _bulk_item(target: UUID, outcome: Outcome, status: Status) -> BulkItem:
    """One line of a bulk answer."""
    applied = outcome in ("changed", "unchanged")
    return BulkItem(id=str(target), outcome=outcome, status=status if applied else None)


async def events(request: web.Request) -> web.Response:
    """GET /v1/comments/{id}/events: the comment's history, oldest first."""
    staff = await authenticate_staff(request)
    items = await request.app[REVIEWING].events(staff.site_id, comment_id(request))
    return json_response(EventPage(items=items))
