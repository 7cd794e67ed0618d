"""Templates (autoescaped), the interface language, local times and security headers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import orjson
from aiohttp import web

from moderation.domain.review import Evidence, Staff
from moderation.keys import STORE, TEMPLATES
from moderation.web.i18n import LANG_COOKIE, Lang, language, maybe, reason_text, translate
from moderation.web.sessions import csrf_token, set_cookie

# No inline script or style at all: every script and style sheet is a file under /ui/static/.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def environment() -> jinja2.Environment:
    """The template environment: every value is HTML-escaped unless marked safe."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("moderation.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["segments"] = segments
    env.filters["percent"] = lambda v: f"{100 * v:.0f}%" if v is not None else "-"
    return env


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Add the CSP and friends to every answer under /ui/."""
    if request.path.startswith("/ui"):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)


def local_time(zone: ZoneInfo, value: datetime | None) -> str:
    """A time shown in the site's time zone."""
    if value is None:
        return "-"
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def segments(body: str, evidence: Mapping[str, list[Evidence]]) -> list[tuple[str, bool]]:
    """The body cut into (text, highlighted) pieces at the evidence spans."""
    marks = [False] * len(body)
    for spans in evidence.values():
        for span in spans:
            for i in range(max(0, span.start), min(len(body), span.end)):
                marks[i] = True
    pieces: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(body) + 1):
        if i == len(body) or marks[i] != marks[start]:
            pieces.append((body[start:i], marks[start]))
            start = i
    return pieces


async def site_zone(request: web.Request, staff: Staff | None) -> ZoneInfo:
    """The time zone of the staff member's site (its policy's), UTC without one."""
    if staff is None:
        return ZoneInfo("UTC")
    policy = await request.app[STORE].current_policy(staff.site_id)
    return ZoneInfo(policy.time_zone)


def _globals(
    request: web.Request, lang: Lang, staff: Staff | None, zone: ZoneInfo
) -> dict[str, Any]:
    """What every template may use."""
    return {
        "t": partial(translate, lang),
        "reason": partial(reason_text, lang),
        "tr": partial(maybe, lang),
        "lang": lang,
        "other_lang": "en" if lang == "vi" else "vi",
        "staff": staff,
        "csrf": csrf_token(request) if staff else "",
        "when": partial(local_time, zone),
        "zone": str(zone),
        "path": request.path,
        "tojson": lambda v: orjson.dumps(v).decode(),
    }


async def render(
    request: web.Request, name: str, staff: Staff | None, status: int = 200, **values: Any
) -> web.Response:
    """A page or fragment rendered for the request's language and the site's time zone."""
    lang = language(request)
    zone = await site_zone(request, staff)
    template = request.app[TEMPLATES].get_template(name)
    html = template.render(**_globals(request, lang, staff, zone), **values)
    response = web.Response(text=html, status=status, content_type="text/html")
    if request.query.get("lang") == lang:
        set_cookie(request, response, LANG_COOKIE, lang)
    return response


async def fragment(request: web.Request, name: str, staff: Staff, **values: Any) -> str:
    """A template rendered to a string, for a JSON answer that carries HTML."""
    lang = language(request)
    zone = await site_zone(request, staff)
    template = request.app[TEMPLATES].get_template(name)
    return template.render(**_globals(request, lang, staff, zone), **values)
