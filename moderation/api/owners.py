"""Site owner endpoints: the policy (read, change, preview), stats, the audit log, model reloads."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import TypeAdapter

from moderation.api.auth import owner_of_site
from moderation.api.readers import page_limit
from moderation.domain.errors import StaleVersion, VersionRequired
from moderation.domain.models import Policy, ReloadOut
from moderation.domain.review import AuditPage
from moderation.http import cursors
from moderation.http.bodies import MAX_POLICY_BYTES, json_response, read_body
from moderation.http.params import int_query
from moderation.keys import OWNING

_OBJECT = TypeAdapter(dict[str, Any])


def etag(policy: Policy) -> str:
    """The entity tag of a policy version."""
    return f'"v{policy.version}"'


def policy_response(policy: Policy) -> web.Response:
    """A policy with its ETag."""
    return json_response(policy, headers={"ETag": etag(policy), "Cache-Control": "no-store"})


def check_if_match(request: web.Request, current: Policy) -> None:
    """428 without If-Match; 412 unless it names the current version (or is *)."""
    header = request.headers.get("If-Match")
    if header is None:
        raise VersionRequired("policy")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in tags and etag(current) not in tags:
        raise StaleVersion("policy")


async def read_object(request: web.Request) -> dict[str, Any]:
    """A JSON object body of up to MAX_POLICY_BYTES (400 malformed, 413, 415)."""
    return _OBJECT.validate_json(await read_body(request, MAX_POLICY_BYTES))


async def get_policy(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/policy: the current version, ETag "v<version>"."""
    owner = await owner_of_site(request)
    return policy_response(await request.app[OWNING].policy(owner.site_id))


async def put_policy(request: web.Request) -> web.Response:
    """PUT /v1/sites/{site}/policy: a new version from the fields sent (If-Match required)."""
    owner = await owner_of_site(request)
    change = await read_object(request)
    policy, _ = await request.app[OWNING].save_policy(
        owner, change, lambda current: check_if_match(request, current)
    )
    return policy_response(policy)


async def preview_policy(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/policy/preview?limit=&examples=: a change tried on recent comments."""
    owner = await owner_of_site(request)
    limit = int_query(request, "limit", 1000, 5000)
    examples = int_query(request, "examples", 5, 20)
    change = await read_object(request)
    return json_response(await request.app[OWNING].preview(owner.site_id, change, limit, examples))


async def stats(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/stats?days=: the last days (default 30) in the policy's time zone."""
    owner = await owner_of_site(request)
    days = int_query(request, "days", 30, 366)
    return json_response(await request.app[OWNING].stats(owner.site_id, days))


async def audit(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/audit: decisions, policy versions and staff, newest first."""
    owner = await owner_of_site(request)
    limit = page_limit(request)
    cursor = request.query.get("cursor")
    before = cursors.audit_position(cursor) if cursor else None
    page = await request.app[OWNING].audit(owner.site_id, before, limit)
    more = cursors.audit_cursor(page.more_after) if page.more_after else None
    return json_response(AuditPage(items=page.items, next_cursor=more))


async def reload_model(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/model/reload: load the model again here and in every process."""
    owner = await owner_of_site(request)
    version, previous = await request.app[OWNING].reload_model(owner)
    return json_response(ReloadOut(model_version=version, previous=previous))
