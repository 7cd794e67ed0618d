"""Website endpoints: post a comment, read one back, erase an author."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

from aiohttp import web

from moderation import policy, privacy, terms
from moderation.api.common import authenticate, json_response, read_json
from moderation.api.context import METRICS, SCORER, SECRET, SITES, STORE, WEBHOOKS
from moderation.errors import InvalidField, NotFound
from moderation.models import CommentIn, CommentOut, EraseIn, EraseOut, ProtectedComment, Site
from moderation.store import CommentRow

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def idempotency_key(request: web.Request, payload: CommentIn) -> str | None:
    """The Idempotency-Key header, else the body field; the header wins."""
    header = request.headers.get("Idempotency-Key")
    if header is None:
        return payload.idempotency_key
    if not _KEY.match(header):
        raise InvalidField("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
    return header


def clamp(scores: dict[str, float]) -> dict[str, float]:
    """Scores as plain floats in [0, 1], rounded for readability."""
    return {label: round(min(1.0, max(0.0, float(v))), 4) for label, v in scores.items()}


def form_seconds(comment: ProtectedComment) -> float | None:
    """Seconds from form_shown_at to now; None without it or when it lies in the future."""
    if comment.form_shown_at is None:
        return None
    seconds = (datetime.now(UTC) - comment.form_shown_at).total_seconds()
    return round(seconds, 3) if seconds >= 0 else None


def fingerprint(site: Site, comment: ProtectedComment) -> bytes | None:
    """The text's fingerprint while the site's duplicate detection is on."""
    dup = site.policy.duplicates
    return terms.fingerprint(comment.body, dup.min_length) if dup.max_copies else None


async def intake(request: web.Request, site: Site, payload: CommentIn) -> tuple[CommentOut, bool]:
    """privacy -> scoring -> policy -> one round trip; whether the comment is new."""
    private = privacy.protect(payload, request.app[SECRET], idempotency_key(request, payload))
    scorer = request.app[SCORER]
    raw, model_version = await scorer.score_versioned(private.body)
    scores = clamp(raw)
    signals = policy.gather(
        private.body,
        links=privacy.count_links(private.body),
        honeypot=private.honeypot,
        form_seconds=form_seconds(private),
        email_domain=private.email_domain,
        policy=site.policy,
        terms=await request.app[SITES].terms(site),
    )
    decision = policy.decide(scores, signals, site.policy)
    row = CommentRow(
        site, private, scores, decision, signals, model_version, fingerprint(site, private)
    )
    saved = await request.app[STORE].insert_comment(row)
    if saved is None:
        raise InvalidField("parent_id", "no such comment in this thread")
    return saved


async def post_comment(request: web.Request) -> web.Response:
    """POST /v1/comments: 201 when published, 202 when held, rejected or spam."""
    site = await authenticate(request)
    out, created = await intake(request, site, await read_json(request, CommentIn))
    if created:
        request.app[METRICS].decisions.labels(out.status).inc()
        if site.policy.webhook_url:
            request.app[WEBHOOKS].wake()
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return json_response(out, 201 if out.status == "published" else 202, headers)


def comment_id(request: web.Request) -> UUID:
    """The {id} of the path; an id that cannot exist is simply not found."""
    try:
        return UUID(request.match_info["id"])
    except ValueError:
        raise NotFound("comment") from None


async def get_comment(request: web.Request) -> web.Response:
    """GET /v1/comments/{id}: the comment as its site sees it, email masked."""
    site = await authenticate(request)
    comment = await request.app[STORE].get_comment(site.id, comment_id(request))
    return json_response(comment)


async def erase_author(request: web.Request) -> web.Response:
    """POST /v1/authors/erase: delete every comment and trace of one author of this site."""
    site = await authenticate(request)
    payload = await read_json(request, EraseIn)
    email_hash = privacy.hash_email(payload.email, request.app[SECRET])
    erased = await request.app[STORE].erase_author(site.id, email_hash)
    return json_response(EraseOut(erased=erased))
