"""Site owner endpoints: the policy (read, change, preview) and the site's stats."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import TypeAdapter

from moderation import preview
from moderation.api.common import (
    int_query,
    json_response,
    owner_of_site,
    read_body,
)
from moderation.api.context import SETTINGS, STORE
from moderation.errors import StaleVersion, VersionRequired
from moderation.models import Policy
from moderation.review import Staff
from moderation.webhooks import check_webhook_url

# Two lists of 5,000 terms of up to 100 characters fit; comments keep their own, smaller cap.
MAX_POLICY_BYTES = 4 * 1024 * 1024
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
    return policy_response(await request.app[STORE].current_policy(owner.site_id))


async def put_policy(request: web.Request) -> web.Response:
    """PUT /v1/sites/{site}/policy: a new version from the fields sent (If-Match required)."""
    owner = await owner_of_site(request)
    change = await read_object(request)
    store = request.app[STORE]
    current = await store.current_policy(owner.site_id)
    check_if_match(request, current)
    candidate = preview.apply_change(current, change)
    diff = preview.changes(current, candidate)
    if not diff:
        return policy_response(current)
    if "webhook_url" in diff:
        await check_webhook_url(store, request.app[SETTINGS], owner.site_id, candidate.webhook_url)
    version = await store.save_policy(
        owner.site_id, current.version, candidate, diff, _actor(owner)
    )
    if version is None:
        raise StaleVersion("policy")
    return policy_response(candidate.model_copy(update={"version": version}))


def _actor(owner: Staff) -> str:
    """How the audit log names an owner."""
    return owner.username


async def preview_policy(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/policy/preview?limit=&examples=: a change tried on recent comments."""
    owner = await owner_of_site(request)
    limit = int_query(request, "limit", 1000, 5000)
    examples = int_query(request, "examples", 5, 20)
    change = await read_object(request)
    store = request.app[STORE]
    current = await store.current_policy(owner.site_id)
    candidate = preview.apply_change(current, change)
    rows = await store.preview_rows(owner.site_id, limit)
    # compiling lists and replaying thousands of comments is CPU work: off the event loop
    loop = asyncio.get_running_loop()
    out = await loop.run_in_executor(None, preview.run_preview, rows, current, candidate, examples)
    return json_response(out)


async def stats(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/stats?days=: the last days (default 30) in the policy's time zone."""
    owner = await owner_of_site(request)
    days = int_query(request, "days", 30, 366)
    store = request.app[STORE]
    zone = (await store.current_policy(owner.site_id)).time_zone
    today = datetime.now(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    since = (today - timedelta(days=days - 1)).astimezone(UTC)
    row = await store.stats(owner.site_id, since, zone)
    return json_response(preview.shape_stats(row, since, days, zone))
