"""Per-site adapters: identity until there is evidence, learning a site's own notion, safe
storage, and no moderator outweighing the rest."""

from __future__ import annotations

import inspect
import json
import random
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from classifiers import load_default
from classifiers.adapter import (
    Adapter,
    AdapterConfig,
    Training,
    actor_weights,
    base_pass,
    row_width,
    score_with,
    train_adapter,
)
from classifiers.features import _MIX
from classifiers.model import Model

OPENERS = [
    "Bài viết rất hay",
    "Cảm ơn tác giả",
    "Mình đồng ý với ý kiến này",
    "Thông tin hữu ích",
    "Tôi nghĩ vấn đề này cần xem lại",
    "Đọc xong thấy buồn",
    "Mong cơ quan chức năng sớm vào cuộc",
    "Giá xăng lại tăng rồi",
]
MIDDLES = [
    "chuyện giao thông ở Hà Nội",
    "trận đấu tối qua",
    "giá nhà đất năm nay",
    "học phí đại học",
    "mùa mưa bão miền Trung",
    "đội tuyển bóng đá",
    "chương trình ca nhạc cuối tuần",
    "con đường trước nhà tôi",
]
CLOSERS = ["nhé", "quá", "thật sự", "mọi người ạ", "", "đó", "luôn", "thôi"]
# What this site's moderators call spam and the shared model does not know: a local shop.
PATTERN = "ghé tiệm cá cảnh Kim Long"


def comment(rng: random.Random, spam: bool) -> str:
    parts = [rng.choice(OPENERS), rng.choice(MIDDLES), rng.choice(CLOSERS)]
    if spam:
        parts.insert(rng.randrange(0, 3), PATTERN)
    return " ".join(p for p in parts if p)


def site(n: int, seed: int = 7) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    labels = [int(rng.random() < 0.4) for _ in range(n)]
    return [comment(rng, bool(y)) for y in labels], labels


@pytest.fixture(scope="module")
def model() -> Model:
    return load_default()


@pytest.fixture(scope="module")
def learnt(model: Model) -> Training:
    texts, labels = site(240)
    return train_adapter(model, texts, {"spam": labels})


NEW = ["Cảm ơn bài viết, " + PATTERN + " nhé", "Cảm ơn bài viết, đọc hay nhé", "", "😀 ok"]


def test_base_pass_is_the_base_models_scoring(model: Model) -> None:
    for texts in (NEW, NEW[:1], []):
        bp = base_pass(model, texts)
        assert np.array_equal(bp.p, model.probabilities(texts))
        assert np.array_equal(bp.z, model.linear(texts)) or not texts


def test_a_site_pattern_the_base_misses_is_learnt(model: Model, learnt: Training) -> None:
    spam = learnt.figures["spam"]
    assert spam.trained and spam.adopted and learnt.adopt
    assert spam.base_auc is not None and spam.adapted_auc is not None
    assert spam.base_auc < 0.8  # the base does not know this site's notion ...
    assert spam.adapted_auc > spam.base_auc + 0.15  # ... the adapter does, out of fold
    adapted = learnt.adapter.probabilities(model, NEW)
    base = model.probabilities(NEW)
    k = model.labels.index("spam")
    assert adapted[0, k] > 0.5 > adapted[1, k]
    assert adapted[0, k] - base[0, k] > adapted[1, k] - base[1, k] + 0.3
    for other in ("abuse", "hate"):  # untaught labels are the base's, exactly
        j = model.labels.index(other)
        assert np.array_equal(adapted[:, j], base[:, j])
    assert set(learnt.report()["labels"]) == {"spam", "abuse", "hate"}


@pytest.mark.parametrize(
    "labels",
    [
        [0] * 60,  # one-sided: only clean
        [1] * 60,  # one-sided: only spam
        [1] * 9 + [0] * 51,  # too few positives (min_each 10)
        [None] * 60,  # nothing about spam
    ],
)
def test_too_few_or_one_sided_decisions_score_exactly_as_the_base(
    model: Model, labels: list[int | None]
) -> None:
    texts, _ = site(60)
    result = train_adapter(model, texts, {"spam": labels, "abuse": [0] * 60})
    assert not result.adopt
    assert dict(result.adapter.labels) == {}
    assert not result.figures["spam"].trained
    assert np.array_equal(result.adapter.probabilities(model, NEW), model.probabilities(NEW))
    assert np.array_equal(score_with(model, result.adapter, NEW), model.probabilities(NEW))


def test_a_gain_that_noise_can_make_is_not_adopted(model: Model) -> None:
    texts, _ = site(200, seed=3)
    noise = [random.Random(12000 + i).randrange(2) for i in range(200)]  # unrelated to text
    result = train_adapter(model, texts, {"spam": noise})
    spam = result.figures["spam"]
    assert spam.trained and spam.base_auc is not None and spam.adapted_auc is not None
    assert spam.adapted_auc > spam.base_auc + 0.03  # chance: a margin alone would adopt it
    assert spam.sure is not None and spam.sure < 0.9 and not spam.adopted
    # it ranks better in most resamples (0.835), so the loose AUC test would pass it: the log
    # loss against the base recalibrated on the same folds is what refuses it
    assert spam.sure >= AdapterConfig().loose_confidence
    assert spam.loss_sure is not None and spam.loss_sure < AdapterConfig().loss_confidence
    assert np.array_equal(result.adapter.probabilities(model, NEW), model.probabilities(NEW))


def test_the_adoption_rule_asks_a_gain_and_both_bootstrap_shares() -> None:
    rule = AdapterConfig()
    # a real site of 200 ViSpamReviews decisions (bench): 0.687 -> 0.716 out of fold, ahead
    # in 77% of resamples, and its log loss beats the recalibrated base in 10%: adopted
    assert rule.adopts(0.687, 0.716, 0.77, 0.10)
    assert not rule.adopts(0.687, 0.716, 0.77, 0.0)  # ... but not without the log loss
    assert rule.adopts(0.690, 0.785, 0.95, 0.0)  # ahead in 90% of resamples: as before
    assert not rule.adopts(0.687, 0.692, 1.0, 1.0)  # a gain below the margin
    assert not rule.adopts(0.687, 0.716, 0.5, 1.0)  # more often behind than ahead


def test_the_figures_report_both_bootstrap_shares(learnt: Training) -> None:
    spam = learnt.figures["spam"]
    assert spam.sure is not None and spam.loss_sure is not None
    assert spam.as_json()["loss_sure"] == round(spam.loss_sure, 4)


def test_round_trip_through_arrays_json_and_bytes(model: Model, learnt: Training) -> None:
    adapter = learnt.adapter
    meta, arrays = adapter.to_arrays()
    meta_again = json.loads(json.dumps(meta))  # as a JSON column would keep it
    for name, array in arrays.items():
        assert array.dtype.kind in "fi", name  # plain numbers: nothing to unpickle
    copies = [Adapter.from_arrays(meta_again, arrays), Adapter.from_bytes(adapter.to_bytes())]
    for copy in copies:
        assert copy.version == adapter.version
        assert copy.to_arrays()[0] == meta
        again = copy.to_arrays()[1]
        assert again.keys() == arrays.keys()
        assert all(np.array_equal(again[k], arrays[k]) for k in arrays)
        assert np.array_equal(copy.probabilities(model, NEW), adapter.probabilities(model, NEW))


def test_bad_arrays_are_refused(learnt: Training) -> None:
    meta, arrays = learnt.adapter.to_arrays()
    broken = dict(arrays, **{"spam.cols": arrays["spam.cols"].astype(np.int64)})
    with pytest.raises(ValueError, match=r"spam\.cols"):
        Adapter.from_arrays(meta, broken)
    out_of_range = dict(arrays, **{"spam.cols": arrays["spam.cols"] + (1 << 20)})
    with pytest.raises(ValueError, match="range"):
        Adapter.from_arrays(meta, out_of_range)
    with pytest.raises(ValueError, match="format"):
        Adapter.from_arrays(dict(meta, format=99), arrays)


def test_an_adapter_for_another_base_is_not_used(model: Model, learnt: Training) -> None:
    other = Adapter.from_arrays(
        dict(learnt.adapter.to_arrays()[0], base_version="another"), learnt.adapter.to_arrays()[1]
    )
    assert not other.applies_to(model)
    assert np.array_equal(score_with(model, other, NEW), model.probabilities(NEW))
    with pytest.raises(ValueError, match="another"):
        other.probabilities(model, NEW)


def test_prepare_builds_the_scoring_table_for_the_model_it_applies_to(
    model: Model, learnt: Training
) -> None:
    """``prepare`` does now what the first scoring would (the service runs it off the event
    loop); for another base it builds nothing and raises nothing (the base scores)."""
    adapter = Adapter.from_arrays(*learnt.adapter.to_arrays())
    other = Adapter.from_arrays(
        dict(learnt.adapter.to_arrays()[0], base_version="another"), learnt.adapter.to_arrays()[1]
    )
    adapter.prepare(model)
    other.prepare(model)
    assert adapter._step is not None and other._step is None
    step = adapter._step
    got = adapter.probabilities(model, NEW)
    assert np.allclose(got, numpy_adapt(adapter, model, NEW), rtol=1e-6, atol=1e-7)
    assert adapter._step is step  # the scoring used it


def test_an_adapter_remembers_only_the_model_it_applied_to(model: Model, learnt: Training) -> None:
    """``applies_to`` remembers the last model it applied to; another model, or one of
    another version, is compared afresh."""
    adapter = Adapter.from_arrays(*learnt.adapter.to_arrays())
    assert adapter.applies_to(model) and adapter.applies_to(model)
    assert not adapter.applies_to(replace(model, version="another"))
    assert adapter.applies_to(replace(model))  # equal, not the same: compared, applies
    gone = replace(model)
    assert adapter.applies_to(gone)
    del gone  # the remembered model collected: compared afresh
    assert not adapter.applies_to(replace(model, sources=("x",)))
    assert adapter.applies_to(model)


def test_actor_weights_cap_each_actors_share() -> None:
    assert np.array_equal(actor_weights(["a"] * 50, 0.5), np.ones(50))  # one actor: as is
    assert np.array_equal(actor_weights(["a", "b", "c"] * 10, 0.5), np.ones(30))
    actors = ["bulk"] * 300 + ["b"] * 100 + ["c"] * 100
    w = actor_weights(actors, 0.5)
    bulk = w[:300].sum()
    assert bulk == pytest.approx(0.5 * w.sum(), rel=1e-6)  # at the cap, not below it
    assert np.array_equal(w[300:], np.ones(200))  # the others count fully
    two = actor_weights(["bulk"] * 900 + ["b"] * 100, 0.5)
    assert two[:900].sum() == pytest.approx(100)


def test_one_actors_bulk_decisions_cannot_dominate(model: Model) -> None:
    """One moderator marks 300 comments naming the shop as spam; two others decide 100
    comments each and call the shop's 100 comments fine. Without the cap the bulk view
    wins three to one; with it, the others weigh as much as the bulk moderator."""
    rng = random.Random(11)
    texts: list[str] = []
    labels: list[int] = []
    actors: list[str] = []
    for who, n, shop_is_spam in (("bulk", 600, 1), ("b", 100, 0), ("c", 100, 0)):
        for i in range(n):
            shop = i % 2 == 0
            texts.append(comment(rng, shop))
            labels.append(shop_is_spam if shop else 0)
            actors.append(who)
    cfg = AdapterConfig(margin=-1.0, confidence=0.0)  # keep it whatever its figures
    capped = train_adapter(model, texts, {"spam": labels}, actors, cfg)
    uncapped = train_adapter(model, texts, {"spam": labels}, None, cfg)
    k = model.labels.index("spam")
    fresh = [comment(random.Random(1000 + i), True) for i in range(100)]
    p_capped = capped.adapter.probabilities(model, fresh)[:, k].mean()
    p_uncapped = uncapped.adapter.probabilities(model, fresh)[:, k].mean()
    assert p_uncapped > 0.65  # 300 "spam" against 100 "fine": the bulk view wins
    assert p_capped < p_uncapped - 0.1


def test_actor_ids_only_weigh_and_authors_are_no_feature(model: Model) -> None:
    texts, labels = site(120, seed=5)
    names = ["m1", "m2", "m3"] * 40
    one = train_adapter(model, texts, {"spam": labels}, names)
    renamed = train_adapter(model, texts, {"spam": labels}, [n.upper() for n in names])
    assert one.adapter.version == renamed.adapter.version
    meta, _ = one.adapter.to_arrays()
    assert "m1" not in json.dumps(meta)
    params = set(inspect.signature(train_adapter).parameters)
    assert params == {"model", "texts", "labels", "actors", "config", "base"}


def test_input_errors_name_the_field(model: Model) -> None:
    with pytest.raises(ValueError, match="labels\\['spam'\\]"):
        train_adapter(model, ["a", "b"], {"spam": [1]})
    with pytest.raises(ValueError, match="unknown label"):
        train_adapter(model, ["a"], {"toxic": [1]})
    with pytest.raises(ValueError, match="0, 1 or None"):
        train_adapter(model, ["a"], {"spam": [2]})
    with pytest.raises(ValueError, match="actors"):
        train_adapter(model, ["a"], {"spam": [1]}, ["x", "y"])


def test_weighted_auc_is_sklearns() -> None:
    from sklearn.metrics import roc_auc_score

    from classifiers.adapter import weighted_auc

    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(2, 60))
        y = rng.integers(0, 2, n)
        y[:2] = (0, 1)
        s = rng.integers(0, 4, n).astype(float) if rng.random() < 0.5 else rng.normal(size=n)
        w = rng.random(n) + 0.1
        assert weighted_auc(y, s, w) == pytest.approx(roc_auc_score(y, s, sample_weight=w))


def test_a_mixed_batch_scores_each_row_with_its_sites_adapter(
    model: Model, learnt: Training
) -> None:
    from classifiers.adapter import adapt_batch

    other = Adapter.from_arrays(
        dict(learnt.adapter.to_arrays()[0], base_version="another"), learnt.adapter.to_arrays()[1]
    )
    texts = [*NEW, "Mua hàng " + PATTERN, "xin chào"]
    adapters = [learnt.adapter, None, learnt.adapter, other, None, learnt.adapter]
    mixed = adapt_batch(model, base_pass(model, texts), adapters)
    for i, (text, adapter) in enumerate(zip(texts, adapters, strict=True)):
        alone = score_with(model, adapter, [text])[0]
        assert np.allclose(mixed[i], alone, atol=1e-5)
        if adapter is not learnt.adapter:  # a control site: the base, exactly
            assert np.array_equal(mixed[i], model.probabilities(texts)[i])


def test_batch_equals_single(model: Model, learnt: Training) -> None:
    texts = [*NEW, "quáaaaa đẹppppp", "a" * 5000]
    batch = learnt.adapter.probabilities(model, texts)
    single = np.vstack([learnt.adapter.probabilities(model, [t]) for t in texts])
    assert np.allclose(batch, single, atol=1e-5)


def test_text_shape_counts_length_and_the_longest_repeat() -> None:
    from classifiers.adapter import text_shape

    texts = ["quáaaaa", "", "ab", "x\x00yyy", "\ud800\ud800"]
    shape = np.exp(text_shape(texts))
    assert np.allclose(shape[:, 0] - 1, [7, 0, 2, 5, 2])  # NUL and surrogates as cleaned
    assert np.allclose(shape[:, 1], [4, 1, 1, 3, 2])  # "á" then four "a"
    assert np.array_equal(np.vstack([text_shape([t]) for t in texts]), text_shape(texts))


def test_text_shape_sees_what_normalisation_folds() -> None:
    """The longest word, line breaks and stretched letters, which the base's features lose;
    one comment alone gives what a batch gives (regular expressions against numpy)."""
    from classifiers.adapter import SHAPES, text_shape

    texts = [
        "Đẹppp quáaaa\nnhanhhh",
        "tdyofyixigxy ok",
        "a\n\n\nb",
        "\U0001d401\U0001d422\U0001d420 sale ½ 💯💯💯",
        "",
        "x" * 5000,
    ]
    shape = text_shape(texts, SHAPES)
    assert shape.shape == (6, 5)
    assert np.allclose(np.exp(shape[:, 2]), [7, 12, 1, 4, 1, 2000])  # longest letters-digits run
    assert np.allclose(np.exp(shape[:, 3]) - 1, [1, 0, 3, 0, 0, 0])  # line breaks
    assert np.allclose(np.exp(shape[:, 4]) - 1, [3, 0, 0, 0, 0, 2])  # runs of 3+ of one letter
    single = np.vstack([text_shape([t], SHAPES) for t in texts])
    assert np.allclose(single, shape, rtol=0, atol=1e-12)
    assert np.array_equal(shape[:, :2], text_shape(texts))  # the first two as before


def test_an_adapter_stored_before_five_shapes_still_loads(learnt: Training) -> None:
    """Format 1 stored ``text_shape`` as a bool: True meant the first two figures."""
    meta, arrays = learnt.adapter.to_arrays()
    old = dict(meta, text_shape=True)
    two = {k: (v[:-3] if k.endswith(".dense") else v) for k, v in arrays.items()}
    assert Adapter.from_arrays(old, two).text_shape == 2
    assert (
        Adapter.from_arrays(
            dict(meta, text_shape=False),
            {k: (v[:-5] if k.endswith(".dense") else v) for k, v in arrays.items()},
        ).text_shape
        == 0
    )
    with pytest.raises(ValueError):
        Adapter.from_arrays(dict(meta, text_shape=6), arrays)


def test_the_bootstrap_keeps_the_sites_numbers_of_each_kind() -> None:
    """The adoption test's resamples draw positive and negative decisions apart (a
    stratified bootstrap): with 12 positives of 200, an unstratified resample has anywhere
    from about 5 to 20, and that spread is noise the AUC comparison need not carry."""
    from classifiers.adapter import stratified_resample

    y = np.array([1.0] * 12 + [0.0] * 188)
    rng = np.random.default_rng(3)
    picks = [stratified_resample(rng, y) for _ in range(50)]
    assert all(p.size == 200 and int(y[p].sum()) == 12 for p in picks)
    assert len({tuple(sorted(p.tolist())) for p in picks}) == 50  # still resamples
    assert all(set(p[:12].tolist()) <= set(range(12)) for p in picks)


def numpy_logits(adapter: Adapter, model: Model, texts: list[str], trained: bool = False) -> Any:
    """``Adapter.adapt``'s logits of the adapted labels, as numpy operations on the features
    training builds (``_dense``, ``_sparse``): the formula the compiled pass computes, with
    the weights as scoring has them (``quantized``) or, ``trained``, as trained; and the
    features' magnitudes summed by label."""
    from classifiers.adapter import _EPS, _dense, _sparse

    bp = base_pass(model, texts)
    dense = _dense(model, bp, adapter.clip, adapter.text_shape)
    counts = adapter.count_words if adapter.counts else None
    base_bits = model.featurizer.config.bits
    x = _sparse(bp, adapter.bits, base_bits, adapter.words_only, counts, adapter.count_slots)
    ks, a, bias, coef = adapter.params(model)
    q = np.clip(bp.p[:, ks].astype(np.float64), _EPS, 1 - _EPS)
    logit = np.clip(np.log(q / (1 - q)), -adapter.clip, adapter.clip)
    step = adapter.step(model)
    weights = step.table[:, : len(ks)] * step.unit[: len(ks)]
    if trained:
        weights = adapter.table().astype(np.float64)
    return logit * a + bias + dense @ coef + x @ weights, np.asarray(abs(x).sum(axis=1)).ravel()


def numpy_adapt(adapter: Adapter, model: Model, texts: list[str]) -> np.ndarray:
    """``Adapter.adapt`` as numpy operations (``numpy_logits``)."""
    eta, _ = numpy_logits(adapter, model, texts)
    ks = adapter.params(model)[0]
    out = base_pass(model, texts).p.copy()
    out[:, ks] = 1.0 / (1.0 + np.exp(-eta))
    return out


def test_scoring_weights_are_whole_steps_of_a_unit_per_label() -> None:
    """``quantized``: a byte a weight, each within half its label's unit of the weight."""
    from classifiers.adapter import quantized

    rng = np.random.default_rng(4)
    table = np.zeros((1000, 4), np.float32)
    table[:, 0] = rng.normal(size=1000)
    table[::7, 1] = rng.normal(scale=1e-3, size=143)  # mostly zero, small
    table[5, 2] = -3.0  # one weight alone
    steps, unit = quantized(table)
    assert steps.dtype == np.int8 and steps.shape == table.shape and unit.dtype == np.float64
    assert np.abs(steps).max() == 127 and unit[3] == 1.0 and not steps[:, 3].any()
    assert np.all(np.abs(steps * unit - table) <= unit / 2 * (1 + 1e-9))
    assert steps[5, 2] == -127 and np.count_nonzero(steps[:, 2]) == 1


def test_scoring_moves_a_logit_at_most_half_a_unit_per_unit_of_features(
    model: Model, learnt: Training
) -> None:
    """Scoring with the weights in whole steps moves each adapted logit from the trained
    weights' by at most half a unit times the sum of its features' magnitudes, and in
    practice by thousandths (MODEL_CARD.md: the same ROC AUC to the fourth decimal)."""
    texts = [*NEW, "Mua hàng " + PATTERN, "quáaaaa đẹppppp\n\nxem", "a" * 5000]
    adapter = learnt.adapter
    eta, size = numpy_logits(adapter, model, texts)
    trained, _ = numpy_logits(adapter, model, texts, trained=True)
    unit = adapter.step(model).unit[: eta.shape[1]]
    assert np.all(np.abs(eta - trained) <= size[:, None] * unit / 2 + 1e-9)
    assert np.abs(eta - trained).max() < 0.01
    got = adapter.probabilities(model, texts)[:, adapter.params(model)[0]]
    assert np.allclose(got, 1 / (1 + np.exp(-eta)), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("words_only", [False, True])
@pytest.mark.parametrize(("counts", "slots"), [(False, 0), (True, 0), (True, 14), (True, 8)])
def test_adapting_is_its_formula(
    model: Model, learnt: Training, words_only: bool, counts: bool, slots: int
) -> None:
    meta, arrays = learnt.adapter.to_arrays()
    assert meta["counts"] and meta["count_slots"] == 14  # counters: reread as every kind
    meta = dict(meta, words_only=words_only, counts=counts, count_slots=slots)
    if not counts:  # the word block's columns alone
        arrays = {k: v for k, v in arrays.items()}
        for name in meta["labels"]:
            keep = arrays[f"{name}.cols"] < 1 << meta["bits"]
            arrays[f"{name}.cols"] = arrays[f"{name}.cols"][keep]
            arrays[f"{name}.weights"] = arrays[f"{name}.weights"][keep]
    adapter = Adapter.from_arrays(meta, arrays)
    assert adapter.labels and adapter.text_shape  # the learnt adapter: every part at work
    texts = [*NEW, "Mua hàng " + PATTERN, "quáaaaa đẹppppp\n\nxem", "a" * 5000]
    got = adapter.probabilities(model, texts)
    assert got.dtype == np.float32
    assert np.allclose(got, numpy_adapt(adapter, model, texts), rtol=1e-6, atol=1e-7)
    assert np.allclose(adapter.probabilities(model, texts[:1]), got[:1], rtol=1e-6, atol=1e-7)
    # one compiled call (the service's for one site's batch) and the base's pass then the
    # adapter's step (for a batch of several sites' texts): the same numbers, bit for bit
    for batch in (texts, texts[:1], texts[5:]):
        assert np.array_equal(
            adapter.probabilities(model, batch), adapter.adapt(model, base_pass(model, batch))
        )


def test_hits_in_any_order_adapt_as_text_by_text(model: Model, learnt: Training) -> None:
    """The reference featurizer interleaves a batch's texts; counted features sort them."""
    from classifiers.adapter import BasePass

    texts = [*NEW, "quá quá quá hay hay", "spam spam spam buy buy now"]
    bp = base_pass(model, texts)
    hits = model.featurizer.hits(texts)
    assert np.any(np.diff(hits.rows) < 0)  # interleaved indeed
    mixed = BasePass(hits, model.weighting.values(hits), bp.z, bp.p, texts)
    for slots in (0, 14):
        adapter = replace(learnt.adapter, count_slots=slots)
        got, want = adapter.adapt(model, mixed), adapter.adapt(model, bp)
        assert np.allclose(got, want, rtol=1e-6, atol=1e-7)
        assert not np.allclose(got, bp.p)  # the adapter is at work


def counted_reference(
    rows: list[int], cols: list[int], is_char: list[bool], values: list[float],
    base_bits: int, bits: int, word_weight: float, words_only: bool,
) -> dict[tuple[int, int], float]:  # fmt: skip
    """``compiled.grouped`` in plain Python: {(row, adapter column): value}, duplicates
    summed."""
    import math
    from collections import Counter

    count: Counter[tuple[int, int, int]] = Counter()
    value: dict[tuple[int, int, int], float] = {}
    for r, c, g, v in zip(rows, cols, is_char, values, strict=True):
        if (words_only and g) or v == 0:
            continue
        count[r, int(g), c] += 1
        value[r, int(g), c] = v
    length: dict[tuple[int, int], float] = {}
    for (r, kind, c), k in count.items():
        length[r, kind] = length.get((r, kind), 0.0) + (value[r, kind, c] * (1 + math.log(k))) ** 2
    out: dict[tuple[int, int], float] = {}
    for (r, kind, c), k in count.items():
        u = value[r, kind, c] * (1 + math.log(k)) / math.sqrt(length[r, kind])
        column = (c >> (base_bits - bits)) | (kind << bits)
        out[r, column] = out.get((r, column), 0.0) + u * (1.0 if kind else word_weight)
    return out


@pytest.mark.parametrize("words_only", [False, True])
def test_counted_features_are_a_sublinear_tf_idf_per_text(model: Model, words_only: bool) -> None:
    from classifiers.compiled import grouped

    texts = [*NEW, "quá quá quá hay hay", "spam spam spam spam buy buy now", "a" * 300]
    bp = base_pass(model, texts)
    h = bp.hits
    base_bits = model.featurizer.config.bits
    rows, cols, vals = grouped(h, bp.values, base_bits, 12, 2.5, words_only)
    got: dict[tuple[int, int], float] = {}
    for r, c, v in zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True):
        got[r, c] = got.get((r, c), 0.0) + v
    expected = counted_reference(
        h.rows.tolist(), h.cols.tolist(), h.is_char.tolist(), bp.values.tolist(),
        base_bits, 12, 2.5, words_only,
    )  # fmt: skip
    assert got.keys() == expected.keys()
    assert np.allclose([got[k] for k in expected], list(expected.values()), rtol=1e-9)
    assert max(c for _, c in got) < 2 << 12
    blocks = {c >> 12 for _, c in got}  # words in the first block, characters in the second
    assert blocks == ({0} if words_only else {0, 1})
    # a text's entries are its own, whatever else is in the batch
    alone = base_pass(model, texts[5:6])
    _, c1, v1 = grouped(alone.hits, alone.values, base_bits, 12, 2.5, words_only)
    mine = rows == 5
    assert np.array_equal(cols[mine], c1) and np.array_equal(vals[mine], v1)


def counters_reference(
    rows: list[int], cols: list[int], is_char: list[bool], values: list[float],
    base_bits: int, bits: int, word_weight: float, words_only: bool, slots: int,
) -> dict[tuple[int, int], float]:  # fmt: skip
    """``compiled.grouped`` with ``slots`` (``compiled._counted``) in plain Python: each hit
    takes the next count of its text's counter (chosen by its base column's hash) and adds
    its value times the step of 1 + log(count); {(row, adapter column): value}."""
    import math
    from collections import Counter

    def f(i: int) -> float:
        return 1 + math.log(i) if i else 0.0

    seen: Counter[tuple[int, int]] = Counter()
    parts: list[tuple[int, int, int, float]] = []  # row, kind, adapter column, part
    squares: dict[tuple[int, int], float] = {}
    for r, c, g, v in zip(rows, cols, is_char, values, strict=True):
        if words_only and g:
            continue
        slot = (((int(g) << base_bits | c) * int(_MIX)) % 2**64) >> (64 - slots)
        seen[r, slot] += 1
        i = seen[r, slot]
        parts.append(
            (r, int(g), (c >> (base_bits - bits)) | (int(g) << bits), v * (f(i) - f(i - 1)))
        )
        squares[r, int(g)] = squares.get((r, int(g)), 0.0) + v * v * (f(i) ** 2 - f(i - 1) ** 2)
    out: dict[tuple[int, int], float] = {}
    for r, kind, column, part in parts:
        scale = (1.0 if kind else word_weight) / math.sqrt(squares[r, kind])
        out[r, column] = out.get((r, column), 0.0) + part * scale
    return out


@pytest.mark.parametrize("words_only", [False, True])
def test_counters_count_each_texts_n_grams_as_they_come(model: Model, words_only: bool) -> None:
    from classifiers.compiled import grouped

    texts = [*NEW, "quá quá quá hay hay", "spam spam spam spam buy buy now", "a b " * 400]
    bp = base_pass(model, texts)
    h = bp.hits
    base_bits = model.featurizer.config.bits
    for slots in (8, 14):  # 8: a few hundred hits share 256 counters
        rows, cols, vals = grouped(h, bp.values, base_bits, 12, 2.5, words_only, slots)
        got: dict[tuple[int, int], float] = {}
        for r, c, v in zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True):
            got[r, c] = got.get((r, c), 0.0) + v
        expected = counters_reference(
            h.rows.tolist(), h.cols.tolist(), h.is_char.tolist(), bp.values.tolist(),
            base_bits, 12, 2.5, words_only, slots,
        )  # fmt: skip
        assert got.keys() == expected.keys()
        assert np.allclose([got[k] for k in expected], list(expected.values()), rtol=1e-9)
        # a text's features are its own, whatever else is in the batch
        alone = base_pass(model, texts[5:6])
        _, c1, v1 = grouped(alone.hits, alone.values, base_bits, 12, 2.5, words_only, slots)
        mine = rows == 5
        assert np.array_equal(cols[mine], c1) and np.array_equal(vals[mine], v1)
    # with a counter for each n-gram they are the grouped features (1 + log count)
    exact = grouped(h, bp.values, base_bits, 12, 2.5, words_only)
    counted = grouped(h, bp.values, base_bits, 12, 2.5, words_only, 20)
    shape = (len(texts), 2 << 12)
    a = sp.csr_matrix((exact[2], (exact[0], exact[1])), shape=shape).toarray()
    b = sp.csr_matrix((counted[2], (counted[0], counted[1])), shape=shape).toarray()
    assert np.allclose(a, b, rtol=1e-9, atol=1e-12)
    assert a[6].max() > 0  # the repeats were counted


def test_counters_are_stored_and_checked(model: Model, learnt: Training) -> None:
    meta, arrays = learnt.adapter.to_arrays()
    assert learnt.adapter.count_slots == AdapterConfig().count_slots == 14
    stored_before = {k: v for k, v in meta.items() if k != "count_slots"}
    assert Adapter.from_arrays(stored_before, arrays).count_slots == 0  # grouped, as trained
    for bad in (7, 21, -1):
        with pytest.raises(ValueError, match="count_slots"):
            Adapter.from_arrays(dict(meta, count_slots=bad), arrays)
    with pytest.raises(ValueError, match="count_slots"):
        Adapter.from_arrays(dict(meta, counts=False), arrays)
    with pytest.raises(ValueError, match="count_slots"):
        train_adapter(model, ["a"], {"spam": [1]}, config=AdapterConfig(count_slots=30))


def shape_reference(text: str) -> list[float]:
    """``text_shape``'s counts of one text in plain Python (before the log)."""
    import itertools

    from classifiers.normalize import clean

    s = clean(text).encode("utf-8", "replace").decode()

    def alpha(ch: str) -> bool:
        return ord(ch) < 0x10000 and ch.isalpha()

    def alnum(ch: str) -> bool:
        return ord(ch) < 0x10000 and ch.isalnum()

    runs = [(ch, len(list(group))) for ch, group in itertools.groupby(s)]
    words = [len(list(g)) for is_word, g in itertools.groupby(s, key=alnum) if is_word]
    return [
        float(len(s)),
        float(max((n for _, n in runs), default=1)),
        float(max(words, default=1)),
        float(s.count("\n")),
        float(sum(1 for ch, n in runs if n >= 3 and alpha(ch))),
    ]


def test_text_shape_is_its_definition_on_random_texts() -> None:
    from classifiers.adapter import SHAPES, text_shape

    rng = random.Random(3)
    pool = "aaáàăđĐeêé0199 \n\n\t.!?-_😀💯\U0001d401\ud800½ⅫxyzXYZ"
    texts = ["".join(rng.choices(pool, k=rng.randint(0, 60))) for _ in range(300)]
    offset = np.array([1.0, 0.0, 0.0, 1.0, 1.0])  # log(1 + count) or log(longest)
    expected = np.log(np.array([shape_reference(t) for t in texts]) + offset)
    assert np.allclose(text_shape(texts, SHAPES), expected, rtol=0, atol=1e-12)
    for t in texts[:50]:
        assert np.allclose(text_shape([t], SHAPES)[0], expected[texts.index(t)], atol=1e-12)


def test_the_letter_classes_are_pythons_for_every_code_point() -> None:
    """The shape figures' table of letters and digits, two bits a code point: every one of
    the 65,536 as ``str.isalpha`` and ``str.isalnum`` say, astral ones neither."""
    from classifiers.adapter import CLASSES
    from classifiers.compiled import _class

    c = np.arange(0x10000 + 1)
    got = (CLASSES[c >> 2] >> ((c & 3) << 1)) & 3
    chars = [chr(k) for k in range(0x10000)]
    want = [int(ch.isalpha()) | int(ch.isalnum()) << 1 for ch in chars] + [0]
    assert got.tolist() == want
    for k in (0, 10, 48, 65, 0xE0, 0x1EA1, 0xFFFF, 0x10000, 0x1F600):
        assert _class(CLASSES, k) == want[min(k, 0x10000)]


@pytest.mark.parametrize("labels", [1, 2, 3, 5])
def test_counters_score_what_they_train_on(model: Model, labels: int) -> None:
    """Scoring sums each text's parts times the weights as it goes (three labels in
    registers, more in memory); training's entries times the same weights are the same, and
    each kernel leaves the counters clear."""
    from classifiers.compiled import _counted, _counted_scores

    texts = [*NEW, "quá quá quá hay hay", "spam spam spam spam buy buy now"]
    bp = base_pass(model, texts)
    h, base_bits = bp.hits, model.featurizer.config.bits
    weights = np.random.default_rng(labels).normal(size=(2 << 12, labels)).astype(np.float32)
    args = (h.rows, h.cols, h.is_char.view(np.uint8), bp.values, base_bits, 12, 2.5, False, 14)
    none = np.zeros(0, np.uint16)  # new counters for the call
    rows, cols, vals = _counted(*args, none)
    x = sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), 2 << 12))
    eta = np.zeros((len(texts), labels))
    _counted_scores(*args, weights, eta, none)
    assert np.allclose(eta, x @ weights.astype(np.float64), rtol=1e-9, atol=1e-12)
    assert np.all(np.abs(eta[[0, 1, 4, 5]]) > 0)
    counters = np.zeros(1 << 14, np.uint16)  # kept between calls, as a thread's
    for _ in range(2):
        again = np.zeros_like(eta)
        _counted_scores(*args, weights, again, counters)
        assert np.array_equal(again, eta)
        assert not counters.any()  # each text clears the counters it used
    _counted(*args, counters)
    assert not counters.any()


def test_a_threads_counters_stay_clear_between_comments(model: Model, learnt: Training) -> None:
    """The counters outlive a call (a new array each call cost a comment scored alone about
    2 µs): every text must leave them as it found them, long repetitive ones too."""
    from classifiers.compiled import _counters

    texts = ["ha " * 1500, "a" * 5000, *NEW, "đẹppppp quáaaaa " * 200]
    alone = [learnt.adapter.probabilities(model, [t]) for t in texts]
    assert not _counters(14).any()
    together = learnt.adapter.probabilities(model, texts)
    assert not _counters(14).any()
    assert np.array_equal(np.concatenate(alone), together)
    assert np.array_equal(learnt.adapter.probabilities(model, texts[2:3]), alone[2])


@pytest.mark.parametrize(("width", "wide"), [(1, 1), (2, 2), (3, 4), (4, 4), (5, 8)])
def test_scoring_tables_have_rows_of_a_power_of_two(width: int, wide: int) -> None:
    """A row of three labels' weights (12 bytes) would straddle two cache lines now and
    then; scoring reads one at random per hit, so its rows are widened with zeros."""
    assert row_width(width) == wide


def test_a_three_label_adapter_scores_with_aligned_rows(model: Model, learnt: Training) -> None:
    meta, arrays = learnt.adapter.to_arrays()
    for name in ("abuse", "hate"):  # the spam label's weights taught to two more labels
        meta["labels"][name] = meta["labels"]["spam"]
        for part in ("dense", "cols", "weights"):
            arrays[f"{name}.{part}"] = arrays[f"spam.{part}"]
    adapter = Adapter.from_arrays(meta, arrays)
    step = adapter.step(model)
    table = step.table
    assert table.shape[1] == 4 and table.flags.c_contiguous and not table[:, 3].any()
    assert adapter.table().shape[1] == 3
    assert np.all(np.abs(table[:, :3] * step.unit[:3] - adapter.table()) <= step.unit[:3] / 2)
    held = sum(a.nbytes for a in adapter.to_arrays()[1].values())
    assert adapter.nbytes == table.nbytes + step.unit.nbytes + held  # as a process counts it
    got = adapter.probabilities(model, NEW)
    assert np.allclose(got, numpy_adapt(adapter, model, NEW), rtol=1e-6, atol=1e-7)
    assert np.array_equal(got, adapter.adapt(model, base_pass(model, NEW)))


@pytest.mark.parametrize(
    "texts", [[], [""], ["Bài viết hay 😀"], ["a\ud800b", "x" * 5000, "c\x00d", ""], ["ab", "cd"]]
)
def test_text_codes_are_the_cleaned_texts_code_points(texts: list[str]) -> None:
    """Each text as ``clean`` bounds it, a lone surrogate "?", NUL between texts; the
    compiled code's view of them is their code points."""
    from classifiers.adapter import text_codes
    from classifiers.compiled import code_points
    from classifiers.normalize import SEP, clean

    got = code_points(text_codes(texts))
    expected = SEP.join(clean(t) for t in texts).encode("utf-32-le", "replace")
    assert got.dtype == np.uint32 and got.tobytes() == expected
    assert code_points(b"").size == 0
