"""The classifier contract: a tiny model trained here, and the shipped model on obvious cases."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import numpy as np
import pytest

from classifiers import load_default
from classifiers.datasets import PACKAGE_DATA, Example, default_root, own_examples
from classifiers.features import Config
from classifiers.model import Mixture, Model, project
from classifiers.train import TrainConfig, train

HOSTILE = [
    "",
    " ",
    "😀" * 50,
    "a" * 100_000,
    "\ud800 lone surrogate \udfff",
    "\x00\x01\x02 control",
    "混合 mixed Tiếng Việt и русский عربى",
    "<script>alert(1)</script>",
    "0" * 5000,
    "\u200b\u200d\ufeff",
]


def tiny_examples() -> list[Example]:
    """The project's own examples as two "data sets" (Vietnamese, English), 80/20 split."""
    with (PACKAGE_DATA / "news_comments.csv").open(encoding="utf-8", newline="") as f:
        langs = [r["lang"] for r in csv.DictReader(f)]
    rows = list(own_examples(PACKAGE_DATA / "news_comments.csv"))
    return [
        Example(
            e.text,
            "tiny_en" if lang == "en" else "tiny_vi",
            "dev" if i % 5 == 0 else "train",
            e.spam,
            e.abuse,
            e.hate,
        )
        for i, (e, lang) in enumerate(zip(rows, langs, strict=True))
    ]


TINY = TrainConfig(
    features=Config(bits=16),
    c_grid=(4.0,),
    experts={
        "vi_spam": ("spam", "tiny_vi"),
        "en_spam": ("spam", "tiny_en"),
        "vi_abuse": ("abuse", "tiny_vi"),
        "en_abuse": ("abuse", "tiny_en"),
        "vi_hate": ("hate", "tiny_vi"),
    },
)


@pytest.fixture(scope="module")
def tiny() -> Model:
    model, _ = train(tiny_examples(), TINY)
    return model


def test_tiny_model_separates_held_out_spam(tiny: Model) -> None:
    dev = [e for e in tiny_examples() if e.split == "dev"]
    p = np.array([s["spam"] for s in tiny.score([e.text for e in dev])])
    y = np.array([e.spam for e in dev])
    assert p[y == 1].mean() > p[y == 0].mean() + 0.3


def test_score_contract(tiny: Model) -> None:
    out = tiny.score(["Bài viết hay", "vay tiền nhanh lh 0912345678"])
    assert len(out) == 2
    for row in out:
        assert set(row) == {"spam", "abuse", "hate"}
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in row.values())
    assert tiny.score([]) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_scores(tiny: Model, text: str) -> None:
    (row,) = tiny.score([text])
    assert all(0.0 <= v <= 1.0 for v in row.values())
    assert set(tiny.explain(text)) == {"spam", "abuse", "hate"}


@pytest.mark.parametrize("size", [2, 5, 8, 9, 20])  # the dense product up to 8, then sparse
def test_batch_equals_single(tiny: Model, size: int) -> None:
    texts = (["xin chào", "vay tiền nhanh", "đồ ngu", "", "😀"] * 4)[:size]
    batch = tiny.probabilities(texts)
    single = np.vstack([tiny.probabilities([t]) for t in texts])
    assert np.allclose(batch, single, atol=1e-5)


@pytest.mark.parametrize("size", [1, 3, 8, 9, 30])  # a gather, dense, then sparse products
def test_projection_is_the_sparse_product(tiny: Model, size: int) -> None:
    texts = (["xin chào bạn", "vay tiền nhanh", "đồ ngu", "", "😀 ok"] * 6)[:size]
    hits = tiny.featurizer.hits(texts)
    got = project(tiny.weights, hits, tiny.weighting.values(hits))
    assert got.shape == (size, tiny.weights.shape[1]) and got.dtype == np.float32
    assert np.allclose(got, tiny.weighting.matrix(hits) @ tiny.weights, atol=1e-5)


def test_gate_tells_the_languages_apart(tiny: Model) -> None:
    z = tiny.linear(["Bài viết này rất hay và bổ ích", "This article is very good and useful"])
    gate = z[:, len(tiny.experts) :]
    vi, en = tiny.sources.index("tiny_vi"), tiny.sources.index("tiny_en")
    assert gate[0, vi] > gate[0, en] and gate[1, en] > gate[1, vi]


def test_training_is_deterministic(tiny: Model) -> None:
    again, _ = train(tiny_examples(), TINY)
    assert again.version == tiny.version
    assert np.array_equal(again.weights, tiny.weights)


def test_save_and_load_round_trip(tiny: Model, tmp_path: Path) -> None:
    tiny.save(tmp_path)
    loaded = Model.load(tmp_path)
    texts = ["kết bạn zalo nhận quà", "hay quá"]
    assert loaded.version == tiny.version
    assert np.allclose(loaded.probabilities(texts), tiny.probabilities(texts), atol=1e-3)


def test_explain_points_at_the_spam_words(tiny: Model) -> None:
    text = "Bài viết hay. Vay tiền online giải ngân nhanh, liên hệ zalo 0683772415"
    spans = tiny.explain(text)["spam"]
    assert spans, "spam evidence expected"
    for ev in spans:
        assert text[ev["start"] : ev["end"]] == ev["text"]
        assert ev["weight"] > 0


def test_score_is_thread_safe(tiny: Model) -> None:
    texts = [f"bình luận số {i} vay tiền nhanh đồ ngu" for i in range(64)]
    expected = tiny.probabilities(texts)
    results: list[np.ndarray] = []

    def work() -> None:
        for _ in range(20):
            results.append(tiny.probabilities(texts))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 80
    assert all(np.array_equal(r, expected) for r in results)


def test_model_files_refuse_a_wrong_shape(tiny: Model, tmp_path: Path) -> None:
    tiny.save(tmp_path)
    np.save(tmp_path / "weights.npy", np.zeros((10, 3), dtype=np.float16))
    with pytest.raises(ValueError, match="shape"):
        Model.load(tmp_path)


# The shipped model on obvious cases, in both languages, with and without diacritics.
SPAM = [
    "Nhà cái uy tín số 1, nạp 100k tặng 200k, truy cập nhacai88.vip ngay",
    "vay tien nhanh khong can the chap, giai ngan 15 phut, lh 0912 345 678",
    "Kết bạn zalo 0987654321 để nhận quà miễn phí",
    "Check out my channel and subscribe!!! http://bit.ly/xyz",
    "Work from home and earn $500/day, contact me on WhatsApp +1 555 123 4567",
]
ABUSE = [
    "đồ ngu như bò",
    "do ngu nhu bo",
    "câm mồm đi thằng óc chó",
    "you are a stupid idiot",
    "ĐM thằng này vl",
]
CLEAN = [
    "Bài viết rất hay, cảm ơn tác giả",
    "Giá vàng hôm nay tăng mạnh, không biết có nên mua không",
    "bai viet hay qua, cam on tac gia",
    "Great article, thanks for the thorough reporting.",
    "Mong chính quyền sớm sửa con đường này cho bà con đi lại",
]


def test_shipped_model_scores_obvious_cases() -> None:
    model = load_default()
    spam = [s["spam"] for s in model.score(SPAM)]
    abuse = [s["abuse"] for s in model.score(ABUSE)]
    clean = model.score(CLEAN)
    assert min(spam) > 0.5, spam
    assert min(abuse) > 0.5, abuse
    assert max(max(s.values()) for s in clean) < 0.5, clean


def test_shipped_model_version_names_release_and_hash() -> None:
    version = load_default().version
    assert version.startswith("2026.") and "+" in version


def test_shipped_model_dev_auc_if_data_present() -> None:
    root = default_root()
    if root is None:
        pytest.skip("../shared/data is absent (a fresh clone): dev figures need it")
    from sklearn.metrics import roc_auc_score

    from classifiers.datasets import load

    dev = [e for e in load(root, own=False) if e.source == "vihsd" and e.split == "dev"]
    p = load_default().probabilities([e.text for e in dev])
    assert roc_auc_score([e.abuse for e in dev], p[:, 1]) > 0.9


def test_gate_temperature_spreads_a_label_over_its_experts(tiny: Model) -> None:
    from dataclasses import replace

    texts = ["vay tiền nhanh lh 0912345678", "Great article, thanks", "đồ ngu"]
    z = tiny.linear(texts)
    e = len(tiny.experts)
    mix = tiny.mixture
    experts_p = mix.expert_probabilities(z[:, :e])
    one = replace(mix, temperature=np.ones(3, dtype=np.float32))
    none = replace(mix, temperature=None)
    flat = replace(mix, temperature=np.zeros(3, dtype=np.float32))
    assert np.allclose(one.apply(z[:, :e], z[:, e:], 3), none.apply(z[:, :e], z[:, e:], 3))
    # at temperature 0 the gate says nothing: each label is the plain mean of its experts
    spam = mix.expert_label == 0
    plain = experts_p[:, spam].mean(axis=1)
    assert np.allclose(flat.apply(z[:, :e], z[:, e:], 3)[:, 0], plain, atol=1e-6)
    assert tiny.mixture.temperature is not None  # trained models carry it through save/load


def test_a_model_saved_before_gate_temperatures_still_loads(tiny: Model, tmp_path: Path) -> None:
    import json
    from dataclasses import replace

    tiny.save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    del meta["temperature"]
    (tmp_path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    old = Model.load(tmp_path)
    assert old.mixture.temperature is None
    texts = ["kết bạn zalo nhận quà", "hay quá", "đồ ngu"]
    as_before = replace(tiny, mixture=replace(tiny.mixture, temperature=None))
    assert np.allclose(old.probabilities(texts), as_before.probabilities(texts), atol=1e-3)


def test_nb_weighting_is_folded_into_the_weights() -> None:
    """An NB-scaled expert's weights, applied to the unscaled features, give the logits the
    logistic regression gave on the scaled ones; the scale comes from the fitted rows only."""
    from dataclasses import replace

    import scipy.sparse as sp

    from classifiers.train import Trainer

    t = Trainer(tiny_examples(), replace(TINY, nb_powers=(0.5,)))
    y = t.labels("spam")
    rows = np.flatnonzero(t.train_rows & (y >= 0))
    coef, bias = t._fit(4.0, 0.5, rows, y)
    scale = t.nb_scale(0.5, rows, y)
    clf = t._lr(4.0).fit(t.x[rows] @ sp.diags(scale), y[rows])
    dev = np.flatnonzero(~t.train_rows & (y >= 0))
    expected = clf.decision_function(t.x[dev] @ sp.diags(scale))
    assert np.allclose(t.x[dev] @ coef + bias, expected, atol=1e-3)
    # another set of rows (one fold's) gives another scale: it is refitted per fold
    assert not np.allclose(t.nb_scale(0.5, rows[: rows.size // 2], y), scale)
    plain, _ = t._fit(4.0, 0.0, rows, y)
    assert not np.allclose(plain, coef)


def test_an_expert_learns_from_the_rows_it_borrows() -> None:
    """``borrow`` adds another set's train rows (weighted) to an expert's own: the English
    spam expert that borrows the Vietnamese rows ranks Vietnamese spam it never saw far better,
    and still ranks its own set's spam well."""
    from dataclasses import replace

    from sklearn.metrics import roc_auc_score

    from classifiers.train import Expert, Trainer

    own = Trainer(tiny_examples(), TINY)
    lent = Trainer(tiny_examples(), replace(TINY, borrow={"en_spam": (("tiny_vi", 0.5),)}))
    y = own.labels("spam")
    vi_dev = np.flatnonzero((own.sources == "tiny_vi") & ~own.train_rows & (y >= 0))
    en_dev = np.flatnonzero((own.sources == "tiny_en") & ~own.train_rows & (y >= 0))

    def auc(expert: Expert, rows: np.ndarray) -> float:
        return float(roc_auc_score(y[rows], own.x[rows] @ expert.coef))

    alone = own.fit_expert("en_spam", "spam", "tiny_en")
    borrowing = lent.fit_expert("en_spam", "spam", "tiny_en")
    assert auc(borrowing, vi_dev) > auc(alone, vi_dev) + 0.05
    assert auc(borrowing, en_dev) > 0.9
    # weights of one leave the NB scale as the unweighted counts give it
    rows = np.flatnonzero(own.train_rows & (y >= 0))
    ones = np.ones(len(own.examples))
    unweighted = own.nb_scale(0.5, rows, y)
    assert np.allclose(own.nb_scale(0.5, rows, y, ones), unweighted)
    assert not np.allclose(own.nb_scale(0.5, rows, y, ones * (y == 1) + 0.1), unweighted)


# Texts where cutting evidence tokens with one regular expression rescanned long runs from
# every start (20,000 characters, the most explain() reads: about 1 s a call, and a queue page
# explains every held comment it shows); linear tokens take a few tens of milliseconds. The
# timeout only catches a quadratic scan (figures: bench/bench_hostile_bodies.py --explain).
@pytest.mark.timeout(5, func_only=True)
@pytest.mark.parametrize("body", ["+8" * 10_000, "1-" * 9998 + "www."])
def test_explaining_a_hostile_text_reads_it_once(tiny: Model, body: str) -> None:
    for _ in range(10):
        assert tiny.explain(body).keys() == set(tiny.labels)


def test_every_expert_learns_from_the_shared_rows_but_the_exempt() -> None:
    """``shared`` sets teach every expert of a label (both classes, issue 18: threats and
    group hate from our own comments); ``shared_except`` experts learn them only as anchors."""
    from dataclasses import replace

    from sklearn.metrics import roc_auc_score

    from classifiers.train import Expert, Trainer

    alone = Trainer(tiny_examples(), replace(TINY, shared=()))
    sharing = Trainer(tiny_examples(), replace(TINY, shared=("tiny_vi",)))
    exempt = Trainer(
        tiny_examples(), replace(TINY, shared=("tiny_vi",), shared_except=("en_spam",))
    )
    y = alone.labels("spam")
    vi_dev = np.flatnonzero((alone.sources == "tiny_vi") & ~alone.train_rows & (y >= 0))

    def auc(expert: Expert) -> float:
        return float(roc_auc_score(y[vi_dev], alone.x[vi_dev] @ expert.coef))

    own = auc(alone.fit_expert("en_spam", "spam", "tiny_en"))
    assert auc(sharing.fit_expert("en_spam", "spam", "tiny_en")) > own + 0.05
    assert auc(exempt.fit_expert("en_spam", "spam", "tiny_en")) == pytest.approx(own, abs=1e-6)


def test_far_negative_logits_give_zero_without_an_overflow_warning() -> None:
    # warnings are errors in this suite: an overflow in exp would fail here
    m = Mixture(
        scale=np.ones(2, np.float32),
        shift=np.zeros(2, np.float32),
        expert_source=np.zeros(2, np.int64),
        expert_label=np.zeros(2, np.int64),
    )
    p = m.expert_probabilities(np.array([[-1e4, 1e4]], np.float32))
    assert p[0, 0] == 0.0 and p[0, 1] == 1.0


def test_an_expert_without_dev_rows_takes_its_configured_c_and_odds_shift_it() -> None:
    """Our own examples have no dev split: their experts take ``undeveloped``'s C and NB
    power rather than the grid's first; ``expert_odds`` multiplies an expert's odds."""
    from dataclasses import replace

    from classifiers.train import Trainer

    rows = [replace(e, split="train") if e.source == "tiny_en" else e for e in tiny_examples()]
    cfg = replace(TINY, c_grid=(2.0, 8.0), nb_powers=(0.0, 0.5))
    plain = Trainer(rows, cfg).fit_expert("en_spam", "spam", "tiny_en")
    assert (plain.c, plain.nb_power) == (2.0, 0.0)  # no dev rows: the grid's first
    chosen = Trainer(rows, replace(cfg, undeveloped={"en_spam": (8.0, 0.5)}))
    expert = chosen.fit_expert("en_spam", "spam", "tiny_en")
    assert (expert.c, expert.nb_power) == (8.0, 0.5)
    odds = Trainer(rows, replace(cfg, expert_odds={"en_spam": 2.5}))
    shifted = odds.fit_expert("en_spam", "spam", "tiny_en")
    assert shifted.shift == pytest.approx(plain.shift + np.log(2.5), abs=1e-5)
    assert shifted.scale == pytest.approx(plain.scale)
