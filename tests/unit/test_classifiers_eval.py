"""The dev report's extra figures: false alarms and the best-threshold macro-F1."""

from __future__ import annotations

import numpy as np

from classifiers.datasets import Example
from classifiers.eval import best_thresholds, false_alarms, vihsd_macro_f1
from classifiers.model import Model
from tests.unit.test_classifiers_model import tiny  # noqa: F401  (fixture)


def _vihsd_like() -> list[Example]:
    texts = [
        ("Bài viết hay quá", 0, 0),
        ("cảm ơn tác giả", 0, 0),
        ("đồ ngu như bò", 1, 0),
        ("câm mồm đi thằng óc chó", 1, 0),
        ("lũ chúng mày cút hết về nước", 1, 1),
    ]
    return [Example(t, "vihsd", "dev", spam=0, abuse=a, hate=h) for t, a, h in texts]


def test_false_alarms_count_rows_of_sets_that_never_have_the_label(tiny: Model) -> None:  # noqa: F811
    dev = _vihsd_like()
    probs = {"vihsd": tiny.probabilities([e.text for e in dev])}
    alarms = false_alarms(probs, dev)
    assert [(s, label, n) for s, label, n, _ in alarms] == [("vihsd", "spam", 5)]
    share = alarms[0][3]
    assert share == float(np.mean(probs["vihsd"][:, 0] >= 0.5))


def test_best_thresholds_bound_the_fixed_rule(tiny: Model) -> None:  # noqa: F811
    dev = _vihsd_like()
    fixed = vihsd_macro_f1(tiny, dev)
    best = best_thresholds(tiny, dev)
    assert fixed is not None and best is not None
    assert best[0] >= fixed
    assert 0.1 <= best[1] <= 0.8 and 0.1 <= best[2] <= 0.8
    assert best_thresholds(tiny, []) is None
