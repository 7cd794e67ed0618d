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
from moderation.domain.models import PublicComment
from moderation.domain.review import AuditEntry, Order, QueueItem

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


def queue_cursor(sort: Order, last: QueueItem) -> str:
    """A queue cursor just after an item, in the given order."""
    key: object
    match sort:
        case "oldest":
            key = last.created_at.isoformat()
        case "score":
            key = last.top_score
        case "reports":
            key = last.report_count
    return encode(sort, key, last.id)


def queue_position(sort: Order, cursor: str) -> tuple[datetime | float | int, UUID]:
    """The position a queue cursor points after; 422 when not issued for this order."""

    def parse(
        made_for: object, key: object, last_id: object
    ) -> tuple[datetime | float | int, UUID]:
        if made_for != sort:
            raise ValueError("another order's cursor")
        value: datetime | float | int
        match sort:
            case "oldest":
                value = instant(key)
            case "score":
                value = number(key)
            case "reports":
                value = int(number(key))
        return value, identifier(last_id)

    return decode(cursor, parse, " for this sort")


def audit_cursor(last: AuditEntry) -> str:
    """An audit cursor just before an entry (the log runs newest first)."""
    return encode(last.created_at.isoformat(), last.kind, last.ref)


def audit_position(cursor: str) -> tuple[datetime, str, str]:
    """The position an audit cursor points before; 422 when it was not made by audit_cursor."""

    def parse(at: object, kind: object, ref: object) -> tuple[datetime, str, str]:
        return instant(at), text(kind), text(ref)

    return decode(cursor, parse)


def thread_cursor(last: PublicComment) -> str:
    """A thread cursor pointing just after a comment."""
    return encode(last.created_at.isoformat(), last.id)


def thread_position(cursor: str) -> tuple[datetime, UUID]:
    """The position a thread cursor points after; 422 when it was not made by thread_cursor."""

    def parse(at: object, last_id: object) -> tuple[datetime, UUID]:
        return instant(at), identifier(last_id)

    return decode(cursor, parse)


def search_cursor(at: datetime, last_id: UUID) -> str:
    """A search cursor just past a comment (searches run newest first)."""
    return encode("search", at.isoformat(), str(last_id))


def search_position(cursor: str) -> tuple[datetime, UUID]:
    """The position a search cursor points past; 422 when not a search's cursor."""

    def parse(made_for: object, at: object, last_id: object) -> tuple[datetime, UUID]:
        if made_for != "search":
            raise ValueError("another order's cursor")
        return instant(at), identifier(last_id)

    return decode(cursor, parse, " for a search")
