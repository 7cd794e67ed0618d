"""A stand-in model with constant scores, to measure what everything but the model costs.

    PYTHONPATH=bench MODERATION_SCORER=constant_scorer:load python bench/compare.py

The service scores every comment 0.01 / 0.02 / 0.01 (so all are published or held by the
policy's other rules alone) and explains nothing; never for production.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ConstantScorer:
    """The Scorer interface (moderation.runtime.scoring) with no model behind it."""

    version = "constant-1"
    labels = ("spam", "abuse", "hate")

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        """The same scores for every text."""
        return [{"spam": 0.01, "abuse": 0.02, "hate": 0.01} for _ in texts]

    def explain(
        self, text: str, top: int = 5, floors: Mapping[str, float] | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """No evidence."""
        return {label: [] for label in self.labels}


def load() -> ConstantScorer:
    """The factory MODERATION_SCORER names."""
    return ConstantScorer()
