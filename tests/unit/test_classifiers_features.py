"""The featuriser's vectorised steps against their plain definitions (stored models and
adapters depend on every hash and value staying exactly what training computed)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from classifiers.features import _NUL, _SALT_CHARS, Featurizer, Hits, Spans, Weighting
from classifiers.normalize import channels

PIECES = ["Bài viết", "rất hay", "đồ ngu", "vay tiền nhanh", "ok", "", " ", "😀", "a", "xx", "Nhé!"]


def texts(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choices(PIECES, k=rng.randint(0, 6))) for _ in range(n)]


def reference_chars(spans: Spans, orders: list[int], first: int) -> tuple[list[int], list[int]]:
    """Every span of `orders` characters from `first` on that stays inside one text."""
    n_pos = spans.prefix.size - 1
    rows, hashes = [], []
    for width in orders:
        for i in range(first, n_pos - width + 1):
            if spans.row_of[i] == spans.row_of[i + width]:
                raw = int(spans.raw(np.array([i]), np.array([i + width]))[0])
                rows.append(int(spans.row_of[i]))
                hashes.append((raw + width * int(_SALT_CHARS)) % 2**64)
    return rows, hashes


@pytest.mark.parametrize("size", [1, 2, 5, 16])
def test_character_ngrams_are_those_of_the_plain_definition(size: int) -> None:
    rng = random.Random(size)
    featurizer = Featurizer()
    for _ in range(30):
        marked, plain = channels(texts(rng, size))
        spans = Spans.of(np.concatenate((marked, _NUL, plain)))
        rows, hashes = spans.chars(featurizer.orders, marked.size + 1)
        want_rows, want_hashes = reference_chars(spans, [2, 3, 4, 5], marked.size + 1)
        assert rows.tolist() == want_rows
        assert hashes.tolist() == want_hashes


def test_values_are_idf_at_unit_length_per_text_and_group() -> None:
    rng = np.random.default_rng(7)
    idf = rng.random(64, dtype=np.float32) * 3
    weighting = Weighting(idf, word_weight=2.5)
    n = 6
    cols = rng.integers(0, 64, 200)
    rows = rng.integers(0, n - 1, 200)  # the last text has no features at all
    is_char = rng.random(200) < 0.6
    values = weighting.values(Hits(rows, cols, is_char, n))
    for k in range(200):
        group = (rows == rows[k]) & (is_char == is_char[k])
        length = float(np.sqrt(np.sum(idf[cols[group]].astype(np.float64) ** 2)))
        scale = 1.0 if is_char[k] else 2.5
        assert values[k] == pytest.approx(idf[cols[k]] * scale / max(length, 1e-6), rel=1e-6)
    norms = weighting.norms(Hits(rows, cols, is_char, n))
    assert norms.shape == (n, 2) and norms[n - 1].tolist() == [0.0, 0.0]
