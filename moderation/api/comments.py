"""Website endpoints: post a comment, read one back, erase an author."""

from __future__ import annotations

import re
from uuid import UUID

from aiohttp import web

from moderation.api.auth import authenticate
from moderation.domain.errors import InvalidField, NotFound
from moderation.domain.models import CommentIn, EraseIn, EraseOut, ReportIn
from moderation.http.bodies import json_response, read_json
from moderation.keys import INTAKE

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def idempotency_key(request: web.Request, payload: CommentIn) -> str | None:
    """The Idempotency-Key header, else the body field; the header wins."""
    header = request.headers.get("Idempotency-Key")
    if header is None:
        return payload.idempotency_key
    if not _KEY.match(header):
        raise InvalidField("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
    return header


async def post_comment(request: web.Request) -> web.Response:
    """POST /v1/comments: 201 when published, 202 when held, rejected or spam."""
    site = await authenticate(request)
    payload = await read_json(request, CommentIn)
    out, created = await request.app[INTAKE].post(site, payload, idempotency_key(request, payload))
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
    return json_response(await request.app[INTAKE].comment(site, comment_id(request)))


async def report_comment(request: web.Request) -> web.Response:
    """POST /v1/comments/{id}/report: a reader's report, relayed by the site."""
    site = await authenticate(request)
    target = comment_id(request)
    payload = await read_json(request, ReportIn)
    return json_response(await request.app[INTAKE].report(site, target, payload))


async def erase_author(request: web.Request) -> web.Response:
    """POST /v1/authors/erase: delete every comment and trace of one author of this site."""
    site = await authenticate(request)
    payload = await read_json(request, EraseIn)
    return json_response(EraseOut(erased=await request.app[INTAKE].erase(site, payload.email)))
