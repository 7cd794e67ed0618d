"""A deterministic keyword scorer standing in for the real model in policy-sensitive tests."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "spam": ("viagra", "casino", "buy now", "giảm giá sốc"),
    "abuse": ("idiot", "đồ ngu", "stupid"),
    "hate": ("subhuman",),
}
_HOLD_WORD = "maybe-spam"


class KeywordScorer:
    """Scores 0.99 for a label when one of its keywords appears, 0.8 for a hold word (between
    the default spam hold and reject)."""

    version = "standin-keywords-1"

    def __init__(self) -> None:
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        """Keyword scores for each text."""
        with self._lock:
            self.batches.append(len(texts))
        return [self._one(text.casefold()) for text in texts]

    def _one(self, text: str) -> dict[str, float]:
        """Scores of one case-folded text."""
        scores = {
            label: 0.99 if any(w in text for w in words) else 0.01
            for label, words in _KEYWORDS.items()
        }
        if _HOLD_WORD in text:
            scores["spam"] = max(scores["spam"], 0.8)
        return scores

    def explain(
        self, text: str, top: int = 5, floors: Mapping[str, float] | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Where each keyword (and, for spam, the hold word) was found, for the labels whose
        score reaches its floor (default 0.5)."""
        found: dict[str, list[dict[str, Any]]] = {}
        folded = text.casefold()
        scores = self._one(folded)
        for label, words in _KEYWORDS.items():
            if scores[label] < (floors or {}).get(label, 0.5):
                found[label] = []
                continue
            extra = (_HOLD_WORD,) if label == "spam" else ()
            spans = [(folded.find(w), w) for w in (*words, *extra)]
            hits = [(i, w) for i, w in spans if i >= 0][:top]
            found[label] = [
                {"text": text[i : i + len(w)], "start": i, "end": i + len(w), "weight": 0.98}
                for i, w in hits
            ]
        return found


def load() -> KeywordScorer:
    """Factory usable as MODERATION_SCORER=tests.standin:load."""
    return KeywordScorer()
