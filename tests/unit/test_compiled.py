"""The compiled scoring pass against the numpy reference it replaces at run time."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from classifiers import compiled, load_default
from classifiers.features import Config, Featurizer, Hits, Weighting
from classifiers.model import Mixture, project

from .test_classifiers_model import HOSTILE

TEXTS = [
    "Bài viết rất hay, cảm ơn tác giả!",
    "Bai viet rat hay, cam on tac gia!",
    "ko biết dc ko, mn ơi, ib mk nhé",
    "Đm thằng ngu vcl!!! xem tại http://x.com hoặc gọi 0912 345 678",
    "Great article, thanks. Click here: www.cheap-pills.example now!!!",
    "đẹppppp quáaaaa, l.ừ.a đ.ả.o",
    "a",
    "12 34",
    *HOSTILE,
]


Arrays = np.ndarray


def reference(featurizer: Featurizer, weighting: Weighting, weights: Arrays,
              bias: Arrays, texts: list[str]) -> tuple[Hits, Arrays, Arrays]:  # fmt: skip
    """The numpy hits and values, and the logits in float64 (the product of those values
    with the weights, summed exactly enough to judge float32 rounding)."""
    hits = featurizer.hits(texts)
    values = weighting.values(hits)
    m = sp.coo_matrix((values.astype(np.float64), (hits.rows, hits.cols)),
                      shape=(len(texts), weights.shape[0]))  # fmt: skip
    return hits, values, m @ weights.astype(np.float64) + bias


def check(featurizer: Featurizer, weighting: Weighting, weights: np.ndarray,
          bias: np.ndarray, texts: list[str]) -> None:  # fmt: skip
    hits, values, z = compiled.linear(
        featurizer, weighting.idf, weighting.word_weight, weights, bias, texts
    )
    ref_hits, ref_values, ref_z = reference(featurizer, weighting, weights, bias, texts)
    # the same hits text by text, each text's in the same order, and the same values, bit
    # for bit
    assert hits.n_rows == ref_hits.n_rows == len(texts)
    order = np.argsort(ref_hits.rows, kind="stable")
    assert np.array_equal(hits.rows, ref_hits.rows[order])
    assert np.array_equal(hits.cols, ref_hits.cols[order])
    assert np.array_equal(hits.is_char, ref_hits.is_char[order])
    assert hits.is_char.dtype == np.bool_
    assert np.array_equal(values, ref_values[order])
    # the logits, summed in float64 and rounded once to float32
    assert z.dtype == np.float32 and z.shape == ref_z.shape
    assert np.allclose(z, ref_z, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("size", [1, 3, len(TEXTS)])
def test_the_shipped_model_scores_as_its_reference(size: int) -> None:
    model = load_default()
    for start in range(0, len(TEXTS), size):
        check(model.featurizer, model.weighting, model.weights, model.bias,
              TEXTS[start : start + size])  # fmt: skip


@pytest.mark.parametrize(
    "config",
    [
        Config(bits=12, char_orders=(3,), marked_words=False),
        Config(bits=16, char_orders=(1, 2, 6), marked_words=True),
        Config(bits=14, char_orders=(), marked_words=True),
    ],
)
def test_other_feature_configurations_score_as_their_reference(config: Config) -> None:
    rng = np.random.default_rng(7)
    featurizer = Featurizer(config)
    idf = rng.uniform(0, 5, featurizer.n_features).astype(np.float32)
    idf[rng.random(idf.size) < 0.2] = 0.0  # seen once in training
    weighting = Weighting(idf, word_weight=2.5)
    weights = rng.normal(size=(featurizer.n_features, 5)).astype(np.float32)
    bias = rng.normal(size=5).astype(np.float32)
    check(featurizer, weighting, weights, bias, TEXTS)
    check(featurizer, weighting, weights, bias, [TEXTS[3]])


def test_an_empty_batch_has_no_hits() -> None:
    model = load_default()
    hits, values, z = model.scoring_pass([])
    assert hits.n_rows == 0 and hits.rows.size == values.size == 0
    assert z.shape == (0, model.weights.shape[1])


def test_the_model_scores_through_the_compiled_pass() -> None:
    model = load_default()
    texts = TEXTS[:6]
    hits = model.featurizer.hits(texts)
    expected = project(model.weights, hits, model.weighting.values(hits)) + model.bias
    assert np.allclose(model.linear(texts), expected, rtol=1e-5, atol=1e-5)
    e = len(model.experts)
    p = model.mixture.apply(expected[:, :e], expected[:, e:], len(model.labels))
    assert np.allclose(model.probabilities(texts), p, atol=1e-6)


def numpy_mixture(mixture: Mixture, z: Arrays, gate: Arrays, n_labels: int) -> Arrays:
    """``Mixture.apply`` as numpy operations: the formula the compiled pass computes."""
    g = mixture.gates(gate)
    onehot = mixture.onehot(n_labels)
    out: Arrays = ((g * mixture.expert_probabilities(z)) @ onehot) / np.maximum(g @ onehot, 1e-12)
    return out


@pytest.mark.parametrize("temperature", [None, [0.5, 0.5, 0.35], [1.0, 2.0, 1.0]])
def test_the_mixture_is_its_formula(temperature: list[float] | None) -> None:
    model = load_default()
    shipped = model.mixture
    mixture = Mixture(
        shipped.scale, shipped.shift, shipped.expert_source, shipped.expert_label,
        None if temperature is None else np.array(temperature, np.float32),
    )  # fmt: skip
    e = len(model.experts)
    z = model.linear(TEXTS)
    extreme = np.vstack([z, np.full((2, z.shape[1]), 1e4, np.float32)])
    extreme[-1] = -1e4  # far logits: probabilities 0 or 1, never NaN
    for rows in (z, extreme):
        got = mixture.apply(rows[:, :e], rows[:, e:], 3)
        assert got.dtype == np.float32 and got.shape == (rows.shape[0], 3)
        assert np.allclose(got, numpy_mixture(mixture, rows[:, :e], rows[:, e:], 3), atol=1e-6)
        assert np.isfinite(got).all()


def test_without_a_writable_cache_it_compiles_in_each_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from numba.core.caching import CacheImpl

    monkeypatch.setattr(CacheImpl, "_locator_classes", [])  # no place to cache in

    def double(x: int) -> int:
        return 2 * x

    assert compiled.kernel(double)(21) == 42


def test_warm_compiles_every_path_and_one_text_and_a_batch_share_it() -> None:
    """``adapter.warm`` (run as the service loads a model) compiles every scoring path: where
    no compiled code is cached yet, the first comment would wait for the compiler. After it,
    one text and a batch, with an adapter or without, alone or with other sites' texts, find
    their code compiled: a batch's logits sliced for the mixture are laid out otherwise than
    one text's, and the base scores with arrays in place of an adapter's; were any of these
    compiled apart, the first such batch after a start would wait. (In a process of its own:
    the other tests compile other signatures.)"""
    script = (
        "from classifiers import compiled, load_default\n"
        "from classifiers.adapter import (AdapterConfig, adapt_batch, base_pass,"
        " train_adapter, warm)\n"
        "kernels = (compiled._score, compiled._hits, compiled._project, compiled._mix,"
        " compiled._adapt)\n"
        "m = load_default()\n"
        "warm(m)\n"
        "print(*(len(k.signatures) for k in kernels))\n"
        "one, batch = ['Bài viết hay'], ['a', 'b c', 'Đm thằng ngu', '']\n"
        "texts = [('ghé tiệm cá cảnh Kim Long ' if i % 3 else '') + f'bài số {i} hay'"
        " for i in range(60)]\n"
        "labels = [int(i % 3 > 0) for i in range(60)]\n"
        "config = AdapterConfig(margin=-1.0, confidence=0.0)\n"
        "ad = train_adapter(m, texts, {'spam': labels, 'abuse': labels}, config=config).adapter\n"
        "assert set(ad.labels) == {'spam', 'abuse'}\n"
        "for texts in (one, batch):\n"
        "    m.probabilities(texts)\n"
        "    ad.probabilities(m, texts)\n"
        "    ad.adapt(m, base_pass(m, texts))\n"
        "    adapt_batch(m, base_pass(m, texts), [ad] + [None] * (len(texts) - 1))\n"
        "print(*(len(k.signatures) for k in kernels))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.split("\n")[:2] == ["1 1 1 1 1"] * 2


def prefetches(kernel: Any, *args: Any) -> int:
    """How many prefetch hints ``kernel``'s code has, compiled afresh (numba shows no code
    it loaded from its cache)."""
    import numba as nb

    fresh = nb.njit(kernel.py_func)
    fresh(*args)
    code = "".join(fresh.inspect_llvm().values())
    return code.count(f"call void @{compiled._PREFETCH}(")


def test_the_counters_and_the_base_ask_for_rows_of_weights_ahead() -> None:
    """``_prefetch`` is a hint: the figures are the same with or without it (the reference
    tests here and in test_adapter check them), so only its code shows it is there."""
    rows, cols = np.zeros(40, np.int64), np.arange(40, dtype=np.int64) << 4
    is_char, values = np.zeros(40, np.uint8), np.ones(40, np.float32)
    weights = np.ones((1 << 18, 2), np.float32)
    adapter = (rows, cols, is_char, values, 20, 16, 1.0, False, 14, weights, np.zeros((1, 2)),
               np.zeros(1 << 14, np.uint16))  # fmt: skip
    assert prefetches(compiled._counted_scores, *adapter) == 1
    idf = np.ones(1 << 18, np.float32)
    base = (rows, cols, is_char, 1, idf, 1.0, weights, np.zeros(2, np.float32))
    assert prefetches(compiled._project, *base) == 2  # a row's first and last cache line
