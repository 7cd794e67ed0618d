"""What the import-linter contracts in pyproject.toml (run by `lint-imports`) cannot say."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "moderation"


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def subpackages() -> set[str]:
    """moderation's subpackages in the source tree."""
    return {
        "moderation." + ".".join(p.parent.relative_to(PACKAGE).parts)
        for p in PACKAGE.rglob("__init__.py")
        if p.parent != PACKAGE
    }


def test_every_package_is_shipped() -> None:
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    assert subpackages() | {"moderation", "moderation.sql", "classifiers"} == listed


def test_every_subpackage_has_its_place_in_the_layers() -> None:
    [layers] = [c for c in pyproject()["tool"]["importlinter"]["contracts"] if c["id"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    assert subpackages() == placed


def test_module_names_do_not_collide() -> None:
    names = Counter(p.stem for p in PACKAGE.rglob("*.py") if not p.stem.startswith("__"))
    assert not [name for name, n in names.items() if n > 1]
