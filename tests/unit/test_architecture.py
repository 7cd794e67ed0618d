"""The layering STYLE.md asks for, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "moderation"


def imports(path: Path) -> set[str]:
    """Top-level module names a file imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules() -> dict[str, set[str]]:
    return {str(p.relative_to(PACKAGE)): imports(p) for p in PACKAGE.rglob("*.py")}


def test_only_store_talks_to_the_driver() -> None:
    users = {name for name, deps in modules().items() if any(d.startswith("asyncpg") for d in deps)}
    assert users == {"store/queries.py"}


def test_pure_steps_do_no_io() -> None:
    forbidden = ("aiohttp", "asyncpg", "moderation.store", "moderation.api", "logging")
    for name in ("domain/privacy.py", "domain/policy.py", "domain/models.py"):
        deps = modules()[name]
        assert not [d for d in deps if d.startswith(forbidden)], name


def test_domain_errors_know_nothing_of_http() -> None:
    assert not [d for d in modules()["domain/errors.py"] if d.startswith("aiohttp")]


def test_the_service_reaches_the_model_only_through_the_scorer() -> None:
    users = {name for name, deps in modules().items() if any("classifiers" in d for d in deps)}
    # the model is loaded by name (MODERATION_SCORER) in scoring.py; only the CLI hands
    # `moderation train|eval` to the classifiers' own commands
    assert users == {"__main__.py"}
