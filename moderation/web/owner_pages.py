"""The owners' pages: policy editor with preview, stats with charts, audit log, staff list."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from moderation import preview
from moderation.api.common import int_query, json_response, read_json
from moderation.api.context import SETTINGS, STORE
from moderation.api.owners import decode_cursor, encode_cursor
from moderation.api.policy import MAX_POLICY_BYTES
from moderation.errors import StaleVersion
from moderation.models import LABELS, Status
from moderation.owner_models import PreviewOut, StatsOut
from moderation.review import Staff
from moderation.web import charts
from moderation.web.i18n import language, translate
from moderation.web.models import PolicySaveIn
from moderation.web.render import fragment, render
from moderation.web.sessions import changing_staff, page_staff, require_owner
from moderation.webhooks import check_webhook_url

PREVIEW_COMMENTS = 1000
PREVIEW_EXAMPLES = 5
AUDIT_PAGE = 50
STATUSES: tuple[Status, ...] = ("published", "pending", "rejected", "spam")


async def _refused(request: web.Request, staff: Staff) -> web.Response:
    """The 403 page a moderator gets on an owners' page."""
    message = translate(language(request), "owners_only")
    return await render(request, "error.html", staff, 403, message=message)


async def policy_page(request: web.Request) -> web.Response:
    """GET /ui/policy: the editor, filled with the current version."""
    owner = await page_staff(request)
    if owner.role != "owner":
        return await _refused(request, owner)
    policy = await request.app[STORE].current_policy(owner.site_id)
    return await render(request, "policy.html", owner, policy=policy, labels=LABELS)


async def preview_policy(request: web.Request) -> web.Response:
    """POST /ui/api/policy/preview: the change tried on recent comments, as a table and chart."""
    owner = await changing_staff(request)
    require_owner(owner)
    payload = await read_json(request, PolicySaveIn, MAX_POLICY_BYTES)
    store = request.app[STORE]
    current = await store.current_policy(owner.site_id)
    candidate = preview.apply_change(current, payload.change)
    rows = await store.preview_rows(owner.site_id, PREVIEW_COMMENTS)
    loop = asyncio.get_running_loop()
    out = await loop.run_in_executor(
        None, preview.run_preview, rows, current, candidate, PREVIEW_EXAMPLES
    )
    html = await fragment(request, "_preview.html", owner, out=out, figure=_preview_chart(out))
    return json_response({"html": html, "changed": out.changed, "comments": out.comments})


def _preview_chart(out: PreviewOut) -> charts.Chart:
    """Statuses now and with the change, side by side."""
    groups = [
        (s, {"before": float(out.before.get(s, 0)), "after": float(out.after.get(s, 0))})
        for s in STATUSES
    ]
    return charts.grouped(groups, ("before", "after"))


async def save_policy(request: web.Request) -> web.Response:
    """POST /ui/api/policy: store the change as a new version; 412 when someone saved first."""
    owner = await changing_staff(request)
    require_owner(owner)
    payload = await read_json(request, PolicySaveIn, MAX_POLICY_BYTES)
    store = request.app[STORE]
    current = await store.current_policy(owner.site_id)
    if current.version != payload.version:
        raise StaleVersion("policy")
    candidate = preview.apply_change(current, payload.change)
    diff = preview.changes(current, candidate)
    if not diff:
        return json_response({"version": current.version, "changed": False})
    if "webhook_url" in diff:
        await check_webhook_url(store, request.app[SETTINGS], owner.site_id, candidate.webhook_url)
    version = await store.save_policy(
        owner.site_id, current.version, candidate, diff, owner.username
    )
    if version is None:
        raise StaleVersion("policy")
    return json_response({"version": version, "changed": True})


def _days(request: web.Request) -> int:
    """?days= in 1..366, 30 by default."""
    return int_query(request, "days", 30, 366)


async def stats_page(request: web.Request) -> web.Response:
    """GET /ui/stats: volumes per day, queue depth and age, overturn rates, as charts."""
    owner = await page_staff(request)
    if owner.role != "owner":
        return await _refused(request, owner)
    days = _days(request)
    store = request.app[STORE]
    zone = (await store.current_policy(owner.site_id)).time_zone
    today = datetime.now(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    since = (today - timedelta(days=days - 1)).astimezone(UTC)
    out = preview.shape_stats(await store.stats(owner.site_id, since, zone), since, days, zone)
    return await render(
        request, "stats.html", owner, stats=out, days=days,
        volumes=_volume_chart(out), overturns=_overturn_chart(out),
    )  # fmt: skip


def _volume_chart(out: StatsOut) -> charts.Chart:
    """Comments per day, stacked by status."""
    per_day: dict[str, dict[str, int]] = {}
    for v in out.volumes:
        per_day.setdefault(v.day.isoformat(), {})[v.status] = v.count
    first = out.since.date()
    columns = [
        (d.isoformat(), per_day.get(d.isoformat(), {}))
        for d in (first + timedelta(days=i) for i in range(out.days))
    ]
    return charts.stacked(columns, STATUSES)


def _overturn_chart(out: StatsOut) -> charts.Chart:
    """Per label: held comments moderators published; auto-rejected ones they kept out."""
    groups = [
        (label, {"held_fine": o.held_fine_share or 0.0, "reject_kept": o.reject_precision or 0.0})
        for label, o in out.by_label.items()
    ]
    return charts.grouped(groups, ("held_fine", "reject_kept"))


async def audit_page(request: web.Request) -> web.Response:
    """GET /ui/audit: decisions, policy versions and staff changes, newest first."""
    owner = await page_staff(request)
    if owner.role != "owner":
        return await _refused(request, owner)
    cursor = request.query.get("cursor")
    before = decode_cursor(cursor) if cursor else None
    rows = await request.app[STORE].audit_page(owner.site_id, before, AUDIT_PAGE + 1)
    more = encode_cursor(rows[AUDIT_PAGE - 1]) if len(rows) > AUDIT_PAGE else None
    return await render(request, "audit.html", owner, entries=rows[:AUDIT_PAGE], next_cursor=more)


async def staff_page(request: web.Request) -> web.Response:
    """GET /ui/staff: the site's moderators and owners."""
    owner = await page_staff(request)
    if owner.role != "owner":
        return await _refused(request, owner)
    people = await request.app[STORE].staff_list(owner.site_id)
    return await render(request, "staff.html", owner, people=people)
