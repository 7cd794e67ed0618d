"""Named queries and migrations as shipped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from moderation.store import sqlfiles as sql

PACKAGE = Path(__file__).resolve().parents[2] / "moderation"
USES = re.compile(r"""(?:_fetch|_fetchrow|query)\(\s*"(\w+)"|queries\["(\w+)"\]""")


def names_used_in_code() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for match in USES.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def test_every_query_used_in_code_exists() -> None:
    used = names_used_in_code()
    assert {"insert_comment", "site_by_key", "migration_lock"} <= used
    assert used - set(sql.load_queries()) == set()


def test_every_query_is_used() -> None:
    assert set(sql.load_queries()) - names_used_in_code() == set()


def test_parse_queries_splits_on_names() -> None:
    parsed = sql.parse_queries("-- name: a\nSELECT 1;\n\n-- name: b\n-- why\nSELECT 2;\n")
    assert parsed == {"a": "SELECT 1;", "b": "-- why\nSELECT 2;"}


def test_duplicate_names_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        sql.parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;")


def test_migrations_are_numbered_in_order() -> None:
    # numbers are handed out per branch (0004 hooks, 0005 policy, ...): a branch may lack
    # another's, so only order and uniqueness are checked
    versions = [m.version for m in sql.load_migrations()]
    assert versions == sorted(set(versions)) and versions[0] == 1
