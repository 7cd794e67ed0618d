"""Site owner endpoints: the audit log, reloading the model."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from moderation.api.readers import page_limit
from moderation.domain.models import ReloadOut
from moderation.domain.review import AuditEntry, AuditPage
from moderation.http import cursors
from moderation.http.bodies import json_response, owner_of_site
from moderation.keys import RELOADS, STORE


def encode_cursor(last: AuditEntry) -> str:
    """An opaque cursor just before an entry (the log runs newest first)."""
    return cursors.encode(last.created_at.isoformat(), last.kind, last.ref)


def decode_cursor(cursor: str) -> tuple[datetime, str, str]:
    """The position a cursor points before; 422 when it was not made by encode_cursor."""

    def parse(at: object, kind: object, ref: object) -> tuple[datetime, str, str]:
        return cursors.instant(at), cursors.text(kind), cursors.text(ref)

    return cursors.decode(cursor, parse)


async def audit(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/audit: decisions, policy versions and staff, newest first."""
    owner = await owner_of_site(request)
    limit = page_limit(request)
    cursor = request.query.get("cursor")
    before = decode_cursor(cursor) if cursor else None
    rows = await request.app[STORE].audit_page(owner.site_id, before, limit + 1)
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return json_response(AuditPage(items=rows[:limit], next_cursor=next_cursor))


async def reload_model(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/model/reload: load the model again here and in every process."""
    owner = await owner_of_site(request)
    version, previous = await request.app[RELOADS].everywhere(f"owner {owner.username}")
    return json_response(ReloadOut(model_version=version, previous=previous))
