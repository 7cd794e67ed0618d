"""Opaque page cursors: base64 of a JSON list, checked part by part when they come back.

A cursor is client input like any other: whatever a client makes of one (another order's,
year 1 at +14:00, a NUL, a number where an id goes) is a 422 naming `cursor`, never a 500.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

import orjson

from moderation.domain.errors import InvalidField

T = TypeVar("T")


def encode(*parts: object) -> str:
    """A cursor holding these parts (strings, numbers, datetimes)."""
    raw = orjson.dumps(list(parts))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, parse: Callable[..., T], issued_for: str = "") -> T:
    """The parts of a cursor through `parse` (which raises ValueError on anything odd); 422
    when it was not one this service issued."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = orjson.loads(raw)
        if not isinstance(parts, list):
            raise ValueError("not a list")
        return parse(*parts)
    except (ValueError, TypeError, OverflowError):
        message = "is not a cursor this service issued" + issued_for
        raise InvalidField("cursor", message) from None


def instant(value: object) -> datetime:
    """A timestamp part, in UTC (PostgreSQL's range; naive means UTC)."""
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    at = datetime.fromisoformat(value)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at


def text(value: object) -> str:
    """A text part PostgreSQL can hold."""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("not text")
    value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
    return value


def identifier(value: object) -> UUID:
    """A comment id part."""
    if not isinstance(value, str):
        raise ValueError("not an id")
    return UUID(value)


def number(value: object) -> float:
    """A score part."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return float(value)
