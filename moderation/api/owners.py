"""Site owner endpoints: the audit log, reloading the model."""

from __future__ import annotations

import base64
from datetime import datetime

import orjson
from aiohttp import web

from moderation.api.common import json_response, owner_of_site
from moderation.api.context import RELOADS, STORE
from moderation.api.readers import page_limit
from moderation.errors import InvalidField
from moderation.owner_models import ReloadOut
from moderation.review import AuditEntry, AuditPage


def encode_cursor(last: AuditEntry) -> str:
    """An opaque cursor just before an entry (the log runs newest first)."""
    raw = orjson.dumps([last.created_at.isoformat(), last.kind, last.ref])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str, str]:
    """The position a cursor points before; 422 when it was not made by encode_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, kind, ref = orjson.loads(raw)
        return datetime.fromisoformat(at), str(kind), str(ref)
    except (ValueError, TypeError):
        raise InvalidField("cursor", "is not a cursor this service issued") from None


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
