"""Keyset pages: one row more than shown says whether there is a next page."""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")


class Page(NamedTuple, Generic[T]):
    """The rows of one page, and the last of them when another page follows."""

    items: list[T]
    more_after: T | None


def cut(rows: list[T], limit: int) -> Page[T]:
    """A page of `limit` rows from a fetch of up to limit + 1."""
    return Page(rows[:limit], rows[limit - 1] if len(rows) > limit else None)
