"""Path and query parameters, checked: path parameters' length and text, integers in a range,
choices, free text, the queue's filters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import get_args

from aiohttp import web
from aiohttp.typedefs import Handler

from moderation.domain.desk import Search, search_text
from moderation.domain.errors import InvalidField
from moderation.domain.models import Status
from moderation.domain.review import QueueFilter, Sort

# Path parameters: the longest each may be (a thread as long as a comment's may be; a static
# file's name as long as a file system takes), and what none may hold: control characters (Cc:
# PostgreSQL refuses NUL), bidirectional overrides and isolates (as comments' fields), lone
# surrogates.
PATH_LIMITS: Mapping[str, int] = {
    "site": 63, "thread": 500, "id": 100, "filename": 255, "author": 64,
}  # fmt: skip
PATH_LIMIT = 1000
_PATH_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def int_query(request: web.Request, name: str, default: int, top: int) -> int:
    """An integer query parameter in 1..top; 422 naming it otherwise (ASCII digits only: "²"
    is a digit to str.isdigit but not to int())."""
    raw = request.query.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= top:
        raise InvalidField(name, f"must be an integer from 1 to {top}")
    return int(raw)


def choice(request: web.Request, name: str, choices: tuple[str, ...]) -> str:
    """A query parameter restricted to some values; the first is the default."""
    value = request.query.get(name, choices[0])
    if value not in choices:
        raise InvalidField(name, f"must be one of {', '.join(choices)}")
    return value


def text_query(request: web.Request, name: str) -> str | None:
    """A free-text query parameter; 422 for a NUL (PostgreSQL text cannot hold one) or > 1000."""
    value = request.query.get(name)
    if value is not None and ("\x00" in value or len(value) > 1000):
        raise InvalidField(name, "must be at most 1000 characters, without NUL")
    return value


def queue_filter(request: web.Request) -> QueueFilter:
    """The ?status=, ?sort=, ?thread= and ?reason= of a queue request."""
    return QueueFilter(
        status=choice(request, "status", ("pending", *get_args(Status))),
        sort=choice(request, "sort", get_args(Sort)),
        thread=text_query(request, "thread"),
        reason=text_query(request, "reason"),
    )


def check_path(request: web.Request) -> None:
    """Every parameter of the matched route's path is sane text of a bounded length; 422
    naming it otherwise (what it names may still not exist: that is the handler's 404)."""
    for name, value in request.match_info.items():
        top = PATH_LIMITS.get(name, PATH_LIMIT)
        if len(value) > top:
            raise InvalidField(name, f"must be at most {top} characters")
        if _PATH_UNSAFE.search(value):
            raise InvalidField(name, "must not contain control characters")


@web.middleware
async def path_parameters(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Check the path's parameters before any handler (API, pages, static files) reads them."""
    check_path(request)
    return await handler(request)


# Search (issue 19): the queue's filters plus text, author name, days and status "all".
SEARCH_KEYS = ("q", "name", "from", "to")


def _day(request: web.Request, name: str) -> date | None:
    """A YYYY-MM-DD query parameter; None when absent or blank; 422 naming it otherwise."""
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise InvalidField(name, "must be a date, YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidField(name, "must be a date, YYYY-MM-DD") from None


def search_filter(request: web.Request) -> Search | None:
    """A search when the query asks one (?q=, ?name=, ?from=, ?to= or ?status=all): the text,
    the author's name, the days (in the site's time zone, both included), with the queue's
    status, thread and reason; None for a plain queue page. 422 naming the field at fault."""
    status = request.query.get("status", "")
    if not any(request.query.get(k, "").strip() for k in SEARCH_KEYS) and status != "all":
        return None
    if status not in ("", "all", *get_args(Status)):
        raise InvalidField("status", f"must be one of all, {', '.join(get_args(Status))}")
    since, until = _day(request, "from"), _day(request, "to")
    if since and until and until < since:
        raise InvalidField("to", "must not be before from")
    return Search(
        status=None if status in ("", "all") else status,
        thread=text_query(request, "thread") or None,
        reason=text_query(request, "reason") or None,
        text=search_text("q", request.query.get("q")),
        name=search_text("name", request.query.get("name")),
        since=since,
        until=until,
    )
