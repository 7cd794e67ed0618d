"""The SQL files: numbered migrations and named queries, read from the top-level sql/ folder
(installed as moderation/sql)."""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import NamedTuple

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)
_MIGRATION = re.compile(r"^(\d{4})_(\w+)\.sql$")


def folder() -> Traversable:
    """moderation/sql in an installed package, else sql/ beside moderation/ in a checkout."""
    installed = resources.files("moderation").joinpath("sql")
    if installed.joinpath("queries.sql").is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "sql"


class Migration(NamedTuple):
    """One numbered migration file."""

    version: int
    name: str
    sql: str


def parse_queries(text: str) -> dict[str, str]:
    """Split a queries file into {name: sql} at its "-- name: x" lines."""
    parts = _NAME.split(text)
    queries: dict[str, str] = {}
    for name, sql in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name!r} defined twice")
        queries[name] = sql.strip()
    return queries


def load_queries() -> dict[str, str]:
    """The named queries shipped in queries.sql."""
    text = folder().joinpath("queries.sql").read_text(encoding="utf-8")
    return parse_queries(text)


def load_migrations() -> list[Migration]:
    """The migrations shipped in migrations/, in order."""
    found: list[Migration] = []
    for entry in folder().joinpath("migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            sql = entry.read_text(encoding="utf-8")
            found.append(Migration(int(match.group(1)), match.group(2), sql))
    return sorted(found)
