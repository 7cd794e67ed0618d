"""Choosing the hold thresholds (issue 18) and storing them with a model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.model import Model
from classifiers.verdicts import DevSet, Probe, choose_hold, write_hold
from tests.unit.test_classifiers_model import tiny  # noqa: F401  (fixture)


def rows(*triples: tuple[float, float, float]) -> np.ndarray:
    return np.array(triples, dtype=np.float32)


def test_choose_hold_publishes_least_harm_within_the_clean_cap() -> None:
    rng = np.random.default_rng(0)
    # harmful comments score abuse 0.2 - 1.0, clean ones 0 - 0.4: the lower the abuse
    # threshold, the less harm published and the more clean held
    harmful = rows(*((0.0, float(a), 0.0) for a in rng.uniform(0.2, 1.0, 400)))
    clean = rows(*((0.0, float(a), 0.0) for a in rng.uniform(0.0, 0.4, 400)))
    sets = [DevSet("news comments (ViCTSD)", harmful, clean)]
    probes = [
        Probe("criticism", "vi", "x", "publish", ()),
        Probe("threats", "vi", "y", "hold", ("abuse",)),
    ]
    probe_scores = rows((0.0, 0.1, 0.0), (0.0, 0.9, 0.0))
    chosen = choose_hold(sets, probe_scores, probes)
    assert chosen is not None
    hold, worst = chosen
    published, held = sets[0].rates(hold)
    assert held <= 0.10 - 0.01  # the cap, with the margin
    # one grid step lower would hold too many clean comments
    lower = {**hold, "abuse": round(hold["abuse"] - 0.05, 2)}
    assert sets[0].rates(lower)[1] > 0.09
    assert worst == pytest.approx(published / 0.45, abs=1e-6)


def test_choose_hold_keeps_every_probe_category_right() -> None:
    harmful = rows((0.0, 0.9, 0.0))
    clean = rows((0.0, 0.05, 0.0))
    sets = [DevSet("news comments (ViCTSD)", harmful, clean)]
    probes = [Probe("criticism", "vi", "x", "publish", ())]
    # a fair comment at abuse 0.6: any threshold at or below it gets the category wrong
    hold, _ = choose_hold(sets, rows((0.0, 0.6, 0.0)), probes) or ({}, 0.0)
    assert hold["abuse"] > 0.6


def test_choose_hold_gives_up_when_no_threshold_meets_the_caps() -> None:
    same = rows(*([(0.5, 0.5, 0.5)] * 10))
    sets = [DevSet("news comments (ViCTSD)", same, same)]
    assert (
        choose_hold(
            sets, rows((0.0, 0.0, 0.0)), [Probe("clean", "vi", "x", "publish", ())], grid=(0.5,)
        )
        is None
    )


def test_write_hold_sets_only_the_thresholds(tiny: Model, tmp_path: Path) -> None:  # noqa: F811
    tiny.save(tmp_path)
    write_hold(tmp_path, {"spam": 0.45, "abuse": 0.3, "hate": 0.25})
    loaded = Model.load(tmp_path)
    assert loaded.hold_thresholds() == {"spam": 0.45, "abuse": 0.3, "hate": 0.25}
    assert loaded.version == tiny.version
    texts = ["đồ ngu", "vay tiền nhanh"]
    assert np.allclose(loaded.probabilities(texts), Model.load(tmp_path).probabilities(texts))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_default_policy_holds_where_the_shipped_model_was_tuned_to() -> None:
    """The default policy's hold thresholds are the shipped model's (chosen on dev): a site
    that never touches a slider gets the operating point the model card reports."""
    from classifiers import load_default
    from moderation.domain.models import Thresholds

    shipped = load_default()
    assert shipped.hold is not None, (
        "model.json has no hold thresholds (classifiers.eval --set-hold)"
    )
    defaults = Thresholds()
    assert {label: getattr(defaults, label).hold for label in shipped.labels} == pytest.approx(
        shipped.hold_thresholds()
    )
