"""The owners' pages: policy editor with preview, stats with charts, audit log, the site's own
model (the staff list and its actions: staff_pages)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from zoneinfo import available_timezones

from aiohttp import web

from moderation.domain.errors import StaleVersion
from moderation.domain.models import LABELS, Policy
from moderation.domain.pages import PolicySaveIn, PreviewAnswer, SaveAnswer
from moderation.domain.previews import STATUSES, PreviewOut
from moderation.domain.review import Staff
from moderation.domain.site_models import LABELS as SITE_LABELS
from moderation.domain.site_models import SiteModelChange, SiteModelOut
from moderation.domain.stats import StatsOut
from moderation.http import cursors
from moderation.http.bodies import MAX_POLICY_BYTES, json_response, read_json
from moderation.http.params import int_query
from moderation.keys import ADAPTING, OWNING
from moderation.web import charts
from moderation.web.i18n import Lang, language, translate
from moderation.web.render import fragment, render
from moderation.web.sessions import changing_staff, page_staff, require_owner

PREVIEW_COMMENTS = 1000
PREVIEW_EXAMPLES = 5
AUDIT_PAGE = 50
# The zones a Vietnamese newsroom is most likely to want, before all others in order.
COMMON_ZONES = ("Asia/Ho_Chi_Minh", "Asia/Bangkok", "Asia/Singapore", "Asia/Tokyo", "UTC")


@cache
def zone_choices() -> tuple[str, ...]:
    """The time zones the policy page offers: the common ones first, then every other."""
    rest = sorted(available_timezones() - set(COMMON_ZONES))
    return (*COMMON_ZONES, *rest)


async def _refused(request: web.Request, staff: Staff) -> web.Response:
    """The 403 page a moderator gets on an owners' page."""
    message = translate(language(request), "owners_only")
    return await render(request, "error.html", staff, 403, message=message)


async def policy_page(request: web.Request) -> web.Response:
    """GET /ui/policy: the editor, filled with the current version."""
    owner = await page_staff(request)
    if owner.role != "owner":
        return await _refused(request, owner)
    policy = await request.app[OWNING].policy(owner.site_id)
    zones = zone_choices()
    if policy.time_zone not in zones:  # a name this host's tz database lacks stays choosable
        zones = (policy.time_zone, *zones)
    return await render(request, "policy.html", owner, policy=policy, labels=LABELS, zones=zones)


async def preview_policy(request: web.Request) -> web.Response:
    """POST /ui/api/policy/preview: the change tried on recent comments, as a table and chart."""
    owner = await changing_staff(request)
    require_owner(owner)
    payload = await read_json(request, PolicySaveIn, MAX_POLICY_BYTES)
    out = await request.app[OWNING].preview(
        owner.site_id, payload.change, PREVIEW_COMMENTS, PREVIEW_EXAMPLES
    )
    html = await fragment(request, "_preview.html", owner, out=out, figure=_preview_chart(out))
    return json_response(PreviewAnswer(html=html, changed=out.changed, comments=out.comments))


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

    def read_at(current: Policy) -> None:
        if current.version != payload.version:
            raise StaleVersion("policy")

    policy, changed = await request.app[OWNING].save_policy(owner, payload.change, read_at)
    return json_response(SaveAnswer(version=policy.version, changed=changed))


def _days(request: web.Request) -> int:
    """?days= in 1..366, 30 by default."""
    return int_query(request, "days", 30, 366)


async def stats_page(request: web.Request) -> web.Response:
    """GET /ui/stats: volumes per day, queue depth and age, overturn rates, as charts."""
    owner = await page_staff(request)
    if owner.role != "owner":
        return await _refused(request, owner)
    days = _days(request)
    out = await request.app[OWNING].stats(owner.site_id, days)
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
    before = cursors.audit_position(cursor) if cursor else None
    page = await request.app[OWNING].audit(owner.site_id, before, AUDIT_PAGE)
    more = cursors.audit_cursor(page.more_after) if page.more_after else None
    return await render(request, "audit.html", owner, entries=page.items, next_cursor=more)


MAX_MODEL_CHANGE_BYTES = 1024


async def model_page(request: web.Request) -> web.Response:
    """GET /ui/model: the site's own model: version in use, history, learning curve, actions."""
    owner = await page_staff(request)
    if owner.role != "owner":
        return await _refused(request, owner)
    state = await request.app[ADAPTING].state(owner.site_id)
    lang = language(request)
    curves = [(label, _curve_chart(state, label, lang)) for label in SITE_LABELS]
    return await render(
        request, "model.html", owner, model=state, labels=SITE_LABELS,
        curves=[(label, c) for label, c in curves if c.bars],
    )  # fmt: skip


def _curve_chart(state: SiteModelOut, label: str, lang: Lang) -> charts.Chart:
    """One label's learning curve: base and adapted out-of-fold ROC AUC per version, by the
    number of decisions it learnt from, oldest first."""
    names = {
        "base_auc": translate(lang, "model_base"),
        "adapted_auc": translate(lang, "model_adapted"),
    }
    groups = [
        (f"v{p.version} · {p.decisions}",
         {"base_auc": p.base_auc or 0.0, "adapted_auc": p.adapted_auc or 0.0})
        for p in state.learning_curve if p.label == label
    ]  # fmt: skip
    return charts.grouped(groups, ("base_auc", "adapted_auc"), names=names)


async def adapt_model(request: web.Request) -> web.Response:
    """POST /ui/api/model/adapt: train now (as POST /v1/sites/{site}/model/adapt)."""
    owner = await changing_staff(request)
    require_owner(owner)
    return json_response(await request.app[ADAPTING].adapt(owner.site_id, owner.username))


async def choose_model(request: web.Request) -> web.Response:
    """POST /ui/api/model: pin a version or follow the latest, on or off (as PUT .../model)."""
    owner = await changing_staff(request)
    require_owner(owner)
    change = await read_json(request, SiteModelChange, MAX_MODEL_CHANGE_BYTES)
    return json_response(await request.app[ADAPTING].choose(owner.site_id, change, owner.username))
