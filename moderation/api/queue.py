"""Moderator endpoints: the review queue, claims with leases, decisions, a comment's history."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, assert_never, get_args
from uuid import UUID

from aiohttp import web

from moderation.api.comments import comment_id
from moderation.api.readers import page_limit
from moderation.domain.errors import InvalidField, LeaseHeld, NotFound
from moderation.domain.models import Site, Status
from moderation.domain.review import (
    Action,
    BulkDecisionIn,
    BulkItem,
    BulkOut,
    ClaimIn,
    ClaimOut,
    Decider,
    DecisionIn,
    DecisionOut,
    EventPage,
    Evidence,
    Outcome,
    QueueFilter,
    QueueItem,
    QueuePage,
    ReleaseIn,
    ReleaseOut,
    Sort,
    Staff,
    target_status,
)
from moderation.http import cursors
from moderation.http.bodies import (
    authenticate_staff,
    json_response,
    read_json,
    staff_of_site,
    staff_or_site,
)
from moderation.keys import SCORER, SETTINGS, STORE, WEBHOOKS

# Spans per label, from the body's first characters: explain() costs about 5 ms for 2,000
# characters but 150 ms for 10,000, so a page of 200 stays under a second of model time.
EVIDENCE_TOP = 3
EVIDENCE_CHARS = 2000
log = logging.getLogger("moderation.api")


def _choice(request: web.Request, name: str, choices: tuple[str, ...]) -> str:
    """A query parameter restricted to some values; the first is the default."""
    value = request.query.get(name, choices[0])
    if value not in choices:
        raise InvalidField(name, f"must be one of {', '.join(choices)}")
    return value


def encode_cursor(sort: Sort, last: QueueItem) -> str:
    """An opaque cursor just after an item, in the given order."""
    key = last.created_at.isoformat() if sort == "oldest" else last.top_score
    return cursors.encode(sort, key, last.id)


def decode_cursor(sort: Sort, cursor: str) -> tuple[datetime | float, UUID]:
    """The position a cursor points after; 422 when not issued for this order."""

    def parse(made_for: object, key: object, last_id: object) -> tuple[datetime | float, UUID]:
        if made_for != sort:
            raise ValueError("another order's cursor")
        value = cursors.instant(key) if sort == "oldest" else cursors.number(key)
        return value, cursors.identifier(last_id)

    return cursors.decode(cursor, parse, " for this sort")


def queue_filter(request: web.Request) -> QueueFilter:
    """The ?status=, ?sort=, ?thread= and ?reason= of a queue request."""
    return QueueFilter(
        status=_choice(request, "status", ("pending", *get_args(Status))),
        sort=_choice(request, "sort", get_args(Sort)),
        thread=_text_query(request, "thread"),
        reason=_text_query(request, "reason"),
    )


def _text_query(request: web.Request, name: str) -> str | None:
    """A free-text query parameter; 422 for a NUL (PostgreSQL text cannot hold one) or > 1000."""
    value = request.query.get(name)
    if value is not None and ("\x00" in value or len(value) > 1000):
        raise InvalidField(name, "must be at most 1000 characters, without NUL")
    return value


async def with_evidence(request: web.Request, items: list[QueueItem]) -> list[QueueItem]:
    """The items with the model's evidence spans; without them if the model cannot explain."""
    try:
        texts = [i.body[:EVIDENCE_CHARS] for i in items]
        found = await request.app[SCORER].explain(texts, EVIDENCE_TOP)
        return [
            i.model_copy(update={"evidence": _evidence(spans)})
            for i, spans in zip(items, found, strict=True)
        ]
    except Exception:  # evidence helps a moderator; its absence must not fail the queue
        log.exception("explain failed")
        return items


def _evidence(spans: dict[str, list[dict[str, Any]]]) -> dict[str, list[Evidence]]:
    """A model's explain() output as validated spans, at most EVIDENCE_TOP per label."""
    return {
        str(label): [Evidence.model_validate(s) for s in found[:EVIDENCE_TOP]]
        for label, found in spans.items()
    }


async def queue(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/queue: comments in one status, oldest first or highest score."""
    staff = await staff_of_site(request)
    want = queue_filter(request)
    limit = page_limit(request)
    cursor = request.query.get("cursor")
    after = decode_cursor(want.sort, cursor) if cursor else None
    rows = await request.app[STORE].queue_page(staff.site_id, want, after, limit + 1)
    next_cursor = encode_cursor(want.sort, rows[limit - 1]) if len(rows) > limit else None
    items = await with_evidence(request, rows[:limit])
    return json_response(QueuePage(items=items, next_cursor=next_cursor))


async def claim(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/queue/claim: lease up to n pending comments to the caller."""
    staff = await staff_of_site(request)
    payload = await read_json(request, ClaimIn)
    lease = request.app[SETTINGS].claim_lease_seconds
    items = await request.app[STORE].claim(staff.site_id, staff, payload.limit, lease)
    items = await with_evidence(request, items)
    default = datetime.now(UTC) + timedelta(seconds=lease)
    expires = max((i.claim_expires_at for i in items if i.claim_expires_at), default=default)
    return json_response(ClaimOut(items=items, lease_expires_at=expires))


async def release(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/queue/release: give back the caller's claims (all, or some ids)."""
    staff = await staff_of_site(request)
    payload = await read_json(request, ReleaseIn)
    released = await request.app[STORE].release(staff, payload.ids)
    return json_response(ReleaseOut(released=released))


async def decision(request: web.Request) -> web.Response:
    """POST /v1/comments/{id}/decision: set the status, release the claim, record the event."""
    who = await staff_or_site(request)
    target = comment_id(request)
    payload = await read_json(request, DecisionIn)
    by = _decider(who, payload.actor)
    outcome = await decide(request, by, [target], payload.action, payload.note)
    status = target_status(payload.action)
    match outcome.get(target, "not_found"):
        case "not_found":
            raise NotFound("comment")
        case "conflict":
            raise LeaseHeld(str(target))
        case "changed" | "unchanged" as done:
            return json_response(
                DecisionOut(id=str(target), status=status, changed=done == "changed")
            )
        case other:
            assert_never(other)


def _decider(who: Staff | Site, actor: str | None) -> Decider:
    """A site deciding with its key (and maybe its moderator's name), or a staff member."""
    if isinstance(who, Site):
        return Decider.of_site(who.id, actor)
    if actor is not None:
        raise InvalidField("actor", "is accepted only with a site key")
    return Decider.of_staff(who)


async def decide(
    request: web.Request, by: Decider, ids: list[UUID], action: Action, note: str | None
) -> dict[UUID, Outcome]:
    """Apply a decision with the model in force; wake the webhook worker when events were made
    (the API and the queue page both decide through here)."""
    status = target_status(action)
    version = request.app[SCORER].version
    outcomes = await request.app[STORE].decide(by, ids, action, status, note, version)
    if "changed" in outcomes.values():
        request.app[WEBHOOKS].wake()
    return outcomes


async def bulk_decision(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/decisions: one action on many comments, an outcome for each."""
    staff = await staff_of_site(request)
    payload = await read_json(request, BulkDecisionIn)
    status = target_status(payload.action)
    ids = list(dict.fromkeys(payload.ids))
    outcomes = await decide(request, Decider.of_staff(staff), ids, payload.action, payload.note)
    items = [_bulk_item(i, outcomes.get(i, "not_found"), status) for i in ids]
    return json_response(BulkOut(items=items))


def _bulk_item(target: UUID, outcome: Outcome, status: Status) -> BulkItem:
    """One line of a bulk answer."""
    applied = outcome in ("changed", "unchanged")
    return BulkItem(id=str(target), outcome=outcome, status=status if applied else None)


async def events(request: web.Request) -> web.Response:
    """GET /v1/comments/{id}/events: the comment's history, oldest first."""
    staff = await authenticate_staff(request)
    items = await request.app[STORE].events(staff.site_id, comment_id(request))
    return json_response(EventPage(items=items))
