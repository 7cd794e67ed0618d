"""Query parameters, checked: integers in a range, choices, free text, the queue's filters."""

from __future__ import annotations

from typing import get_args

from aiohttp import web

from moderation.domain.errors import InvalidField
from moderation.domain.models import Status
from moderation.domain.review import QueueFilter, Sort


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
