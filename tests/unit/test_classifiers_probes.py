"""The probe sets (issue 18) are kept apart from every training text, and scored by category."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from classifiers.datasets import OWN_FILES, PACKAGE_DATA, default_root, load, own_examples
from classifiers.normalize import strip_diacritics
from classifiers.verdicts import (
    POLICY_HOLD,
    POLICY_REJECT,
    load_probes,
    probe_rates,
    probe_rates_from,
    verdicts,
)

CATEGORIES = {"group_hate", "threats", "criticism", "citations", "brand_spam", "mild_swearing"}


def words(text: str) -> list[str]:
    """The text's words, lower case, without diacritics or punctuation."""
    return re.findall(r"[^\W_]+", strip_diacritics(text).lower())


def same(text: str) -> str:
    return " ".join(words(text))


def bigrams(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + 2]) for i in range(len(w) - 1)} or {tuple(w)}


def own_texts() -> list[str]:
    return [e.text for name in OWN_FILES for e in own_examples(PACKAGE_DATA / name)]


def test_probes_cover_every_category_of_the_issue() -> None:
    probes = load_probes()
    counts = Counter(q.category for q in probes)
    assert set(counts) >= CATEGORIES, counts
    assert all(counts[c] >= 25 for c in CATEGORIES), counts
    assert {q.expect for q in probes} == {"hold", "publish"}
    assert all(q.labels for q in probes if q.expect == "hold")
    assert len({same(q.text) for q in probes}) == len(probes), "a probe is repeated"


def test_no_probe_is_a_training_text() -> None:
    """Normalised (case, diacritics, punctuation, spacing), no probe equals a text of our own
    examples, nor of the shared sets' train splits when they are present."""
    probes = {same(q.text): q.text for q in load_probes()}
    train = own_texts()
    root = default_root()
    if root is not None:
        train += [e.text for e in load(root, own=False) if e.split == "train"]
    leaked = sorted(probes[k] for k in probes.keys() & {same(t) for t in train})
    assert not leaked, leaked


def test_no_probe_is_a_near_copy_of_our_own_examples() -> None:
    """Probes are written apart from the training examples, not as variants of them: no probe
    shares 60% of its word pairs with one of our training texts."""
    train = [bigrams(t) for t in own_texts()]
    close = []
    for q in load_probes():
        mine = bigrams(q.text)
        overlap = max(len(mine & t) / len(mine | t) for t in train)
        if overlap >= 0.6:
            close.append((round(overlap, 2), q.text))
    assert not close, close


def test_verdicts_follow_the_worst_band() -> None:
    scores = np.array(
        [[0.1, 0.2, 0.3], [0.6, 0.1, 0.1], [0.1, 0.96, 0.1], [0.98, 0.1, 0.1], [0.4, 0.4, 0.5]],
        dtype=np.float32,
    )
    got = verdicts(scores, POLICY_HOLD, POLICY_REJECT)
    assert got == ["publish", "hold", "reject", "reject", "hold"]
    low = {"spam": 0.5, "abuse": 0.3, "hate": 0.3}
    assert verdicts(scores, low, POLICY_REJECT)[0] == "hold"


@pytest.mark.parametrize("hold", [POLICY_HOLD, {"spam": 0.4, "abuse": 0.2, "hate": 0.25}])
def test_probe_rates_count_held_and_rejected_as_not_published(hold: dict[str, float]) -> None:
    from classifiers import load_default

    model = load_default()
    probes = load_probes()
    p = model.probabilities([q.text for q in probes])
    assert probe_rates(model, probes, hold, POLICY_REJECT, p) == probe_rates_from(p, probes, hold)
