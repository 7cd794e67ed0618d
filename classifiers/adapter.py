"""Per-site adapters: a site's moderators' decisions correct the shared model's scores.

One adapter per label is a residual logistic model on what scoring already computes::

    logit = base_logit + b + (a - 1) * base_logit + v . dense + w . x

``base_logit`` is the logit of the base model's probability for the label; ``dense`` the
base's calibrated expert logits and its gate's shares over data sets (standardised); ``x``
the base's hashed n-gram features of the text (the same ``Featurizer`` hits and values,
folded into ``2**bits`` columns).  Every correction is penalised toward zero (L2), so with
little evidence an adapter stays near the base; a label with fewer than ``min_each``
positive or negative decisions gets no adapter at all and scores exactly as the base.

Training (``train_adapter``) chooses the penalty on ``w`` by cross-validation, reports base
and adapted ROC AUC out of fold on the site's own decisions, and keeps a label's adapter
only when it beats the base there by ``margin``.  Decisions are weighted so that no single
moderator carries more than ``max_actor_share`` of a label's weight; texts and labels are
all it learns from (who wrote a comment is never a feature).

An adapter is numpy arrays and JSON (``to_arrays``/``from_arrays``, ``to_bytes``): no pickle.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import time
import weakref
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from classifiers.datasets import key
from classifiers.features import Hits
from classifiers.model import Model
from classifiers.normalize import SEP, clean

if TYPE_CHECKING:
    from classifiers.compiled import Step

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
FORMAT = 1  # the layout of to_arrays(); from_arrays() refuses others
MIN_SLOTS, MAX_SLOTS = 8, 20  # Adapter.count_slots, when not 0
_EPS = 1e-6


@dataclass(frozen=True)
class AdapterConfig:
    """How adapters are trained (defaults chosen on bench/bench_site_learning.py)."""

    bits: int = 16  # the adapter's columns: the base's hashed column >> (base bits - bits)
    words_only: bool = False  # True: word and word-pair features only, no character n-grams
    # dense text-shape features: the first this many of ``text_shape`` (bench: ViSpamReviews,
    # dev, 4 sites: 200 / 1,000 decisions 0.778 / 0.845 with 2, 0.791 / 0.856 with 5)
    text_shape: int = 5
    # counted features (``compiled.grouped``): each of a text's n-grams once, weighed by
    # 1 + log(count) (a sublinear TF-IDF; the base's values count every repeat in full),
    # words and characters each at unit length in their own block of columns, the words then
    # times ``count_words`` (bench: ViSpamReviews, dev, 3 sites, 200 / 1,000 / 3,000
    # decisions: 0.791 / 0.858 / 0.886 without, 0.805 / 0.869 / 0.902 with, words weighed 1;
    # 2.5: 0.801 / 0.865 / 0.898, 0.5: 0.805 / 0.866 / 0.900; the plain adapter 0.793 /
    # 0.867 / 0.897)
    counts: bool = True
    count_words: float = 1.0
    # counted as they come (``compiled._counted``): 2**count_slots counters a text, shared by
    # the n-grams whose hashes meet, instead of a table of each text's distinct n-grams
    # (``compiled._grouped``; 0 here). Bench: batches of 256 cost 1.24 - 1.28 x the base's
    # instead of 1.32 - 1.34 x; leave-one-out (ViSpamReviews, ViHSD; 200 / 1,000 / 3,000
    # decisions) the same figures to the third decimal
    count_slots: int = 14
    l2: tuple[float, ...] = (0.03, 0.1, 0.3)  # candidate penalties on w, chosen out of fold
    dense_l2: float = 10.0  # penalty on v: the dense features are standardised, few and strong
    # penalty on (a - 1): weak, so that a site whose decisions show the base ranks its
    # comments badly can turn the base's logit down (bench: ViSpamReviews, 200 decisions,
    # 0.742 -> 0.755 dev AUC against 10; the same elsewhere)
    base_l2: float = 1.0
    bias_l2: float = 1.0
    # cross-validation folds; from ``many`` decisions on, ``folds_many`` (bench: 5 -> 3 at
    # 1,000 ViSpamReviews decisions gives the same figures for 55% of the CPU, while with
    # few decisions 3 folds train on too little: YouTube 50, out-of-fold AUC 0.88 -> 0.85)
    folds: int = 5
    folds_many: int = 3
    many: int = 1000
    # ... and below ``few``, ``folds_few``: nine tenths of the decisions train each fold's
    # adapter, so its out-of-fold figure is nearer the adapter trained on all of them (bench:
    # ViSpamReviews, 200 decisions, 8 sites: 6 adopted with 5 folds, 7 with 10; noise, 10
    # sites of 200 permuted labels: 1 adopted either way)
    folds_few: int = 10
    few: int = 500
    min_each: int = 10  # fewer positive or negative decisions for a label: no adapter
    margin: float = 0.01  # adopt a label only if its out-of-fold AUC beats the base's by this
    # ... and does so in this share of (stratified) bootstrap resamples of the decisions (a
    # gain that noise could make, as with 200 decisions labelled at random, is not adopted)
    confidence: float = 0.9
    # ... or in this share of them, if its out-of-fold log loss also beats the base's own
    # recalibration (a bias and a scale on the base's logit, fitted on the same folds) in
    # ``loss_confidence`` of them. Labels that have nothing to do with the texts make the
    # recalibrated base a constant, which an adapter of noise does not beat: on 60 simulated
    # sites of permuted labels (dev splits; ViSpamReviews and ViHSD abuse, 200 and 500
    # decisions) at most 0.02 of resamples, where real sites whose AUC test fell short of 0.9
    # reached 0.10-0.33 (bench: ViSpamReviews at 200, adopted on 3 sites of 3 instead of 2,
    # dev AUC 0.791 instead of 0.749; MODEL_CARD.md)
    loose_confidence: float = 0.6
    loss_confidence: float = 0.05
    resamples: int = 200

    def folds_for(self, decisions: int) -> int:
        """The cross-validation folds for a label with this many decisions."""
        if decisions < self.few:
            return self.folds_few
        return self.folds if decisions < self.many else self.folds_many

    def adopts(self, base_auc: float, adapted_auc: float, sure: float, loss_sure: float) -> bool:
        """The adoption rule, on a label's out-of-fold figures."""
        if adapted_auc < base_auc + self.margin:
            return False
        return sure >= self.confidence or (
            sure >= self.loose_confidence and loss_sure >= self.loss_confidence
        )

    max_actor_share: float = 0.5  # no moderator's decisions weigh more than this share
    clip: float = 10.0  # logits are clipped to +-clip


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class BasePass:
    """What the base model computes for a batch: its features, logits and probabilities."""

    hits: Hits
    values: F32  # one value per hit (the base's IDF weighting)
    z: F32  # (n, experts + sources): expert logits, then gate logits
    p: F32  # (n, labels): the base model's probabilities
    texts: list[str] = field(default_factory=list, compare=False, repr=False)

    def take(self, rows: Sequence[int]) -> BasePass:
        """The pass of the texts at ``rows`` (ascending), as if they alone were scored."""
        n = self.p.shape[0]
        mask = np.zeros(n, dtype=bool)
        mask[list(rows)] = True
        picked = np.flatnonzero(mask)
        keep = mask[self.hits.rows]
        renumber = np.cumsum(mask) - 1
        hits = Hits(
            renumber[self.hits.rows[keep]],
            self.hits.cols[keep],
            self.hits.is_char[keep],
            picked.size,
        )
        texts = [self.texts[i] for i in picked] if self.texts else []
        return BasePass(hits, self.values[keep], self.z[picked], self.p[picked], texts)


def base_pass(model: Model, texts: list[str]) -> BasePass:
    """The base model's scoring of ``texts``, keeping its features for an adapter.

    The same pass as ``Model.linear`` and ``Model.probabilities``, so ``p`` equals
    ``model.probabilities(texts)`` exactly; an adapter then reuses the hits (no second
    tokenisation).
    """
    hits, vals, z = model.scoring_pass(texts)
    e = len(model.experts)
    if texts:
        p = model.mixture.apply(z[:, :e], z[:, e:], len(model.labels))
    else:
        p = np.zeros((0, len(model.labels)), dtype=np.float32)
    return BasePass(hits, vals, z, p, texts)


def _logit(p: npt.NDArray[Any], clip: float) -> F64:
    q = np.minimum(np.maximum(p.astype(np.float64), _EPS), 1 - _EPS)
    out: F64 = np.minimum(np.maximum(np.log(q / (1 - q)), -clip), clip)
    return out


def _classes() -> npt.NDArray[np.uint8]:
    """Code point -> 1 if a letter (``str.isalpha``), + 2 if a letter or a digit
    (``str.isalnum``), two bits each, four to a byte (``compiled._class``); 0x10000 stands
    for every astral code point (emoji...), neither. 16 KB: a comment's letters read a few
    of its cache lines, where two tables of a byte each read a few dozen, out of cache
    whenever a comment comes alone."""
    chars = [chr(c) for c in range(0x10000)]
    alpha = np.fromiter(map(str.isalpha, chars), dtype=np.uint8, count=0x10000)
    alnum = np.fromiter(map(str.isalnum, chars), dtype=np.uint8, count=0x10000)
    kinds = np.append(alpha | (alnum << 1), 0).astype(np.uint8)
    kinds = np.append(kinds, np.zeros(-kinds.size % 4, np.uint8))  # whole bytes
    packed: npt.NDArray[np.uint8] = np.bitwise_or.reduce(
        kinds.reshape(-1, 4) << np.array([0, 2, 4, 6], np.uint8), axis=1
    ).astype(np.uint8)
    return packed


CLASSES = _classes()
SHAPES = 5  # the most text-shape features an adapter can use (``text_shape(texts, n)``)


def text_shape(texts: list[str], n_features: int = 2) -> F64:
    """(n, n_features): the first ``n_features`` of these figures of each text (as
    ``normalize.clean`` bounds it), in one linear pass over its code points:

    0. log(1 + length);
    1. log of the longest run of one repeated character;
    2. log of the longest run of letters and digits (keyboard mash: "tdyofyixigxyx...");
    3. log(1 + line breaks);
    4. log(1 + runs of three or more of one letter).

    The base's normalisation folds stretched letters ("quáaaaa" -> "quá") and line breaks
    before hashing, so its features cannot see them. Bench (ViSpamReviews, dev, 1,000
    decisions): 0.845 with the first two, 0.856 with all five (MODEL_CARD.md).
    """
    from classifiers import compiled

    n = len(texts)
    if not n or not n_features:
        return np.zeros((n, n_features), dtype=np.float64)
    return compiled.shape(text_codes(texts), n, CLASSES, n_features)


def row_width(labels: int) -> int:
    """A scoring table's row width for ``labels`` labels: a power of two (zeros after the
    labels'), so that no row spans two cache lines: each hit reads one row at random, and a
    row that straddled two lines would cost two reads from memory instead of one."""
    return 1 << max(labels - 1, 0).bit_length()


def quantized(table: F32) -> tuple[npt.NDArray[np.int8], F64]:
    """``table`` as whole steps of a unit per column (label), -127 to 127, and the units:
    ``table ~ steps * unit``, within half a unit. Scoring reads a random row of its table
    for each of a comment's few hundred hits, and the table competes for the cache with the
    base's rows: a byte a weight instead of four makes an adapted comment cost 1 - 3% of
    the base's CPU less, for a change in each logit of about a thousandth (MODEL_CARD.md)."""
    top = np.abs(table).max(axis=0, initial=0.0).astype(np.float64)
    unit = np.where(top > 0, top / 127, 1.0)
    steps = np.rint(table / unit).astype(np.int8)
    return steps, unit


def text_codes(texts: list[str]) -> bytes:
    """The texts' code points (as ``normalize.clean`` bounds them; a lone surrogate "?"),
    separated by NUL, in UTF-32 of the machine's order after a byte-order mark (the compiled
    code reads them as an array, ``compiled.code_points``)."""
    joined = clean(texts[0]) if len(texts) == 1 else SEP.join(map(clean, texts))
    # "utf-32" is one of CPython's fast paths: a third of the time of "utf-32-le"; bytes as
    # they come, viewed as an array inside the compiled code: 0.3 µs a call where an array
    # made here (a writable copy, as numba types read-only arrays slowly) cost 1 µs
    return joined.encode("utf-32", "replace")


def _dense(model: Model, bp: BasePass, clip: float, shape: int) -> F64:
    """(n, experts + sources + shape): calibrated expert logits, the gate's shares and the
    texts' shape (``shape`` features)."""
    z = bp.z
    e = len(model.experts)
    mix = model.mixture
    cal = np.minimum(np.maximum(z[:, :e].astype(np.float64) * mix.scale + mix.shift, -clip), clip)
    g = z[:, e:].astype(np.float64)
    g = np.exp(g - g.max(axis=1, keepdims=True))
    g /= g.sum(axis=1, keepdims=True)
    if not shape:
        return np.concatenate((cal, g), axis=1)
    if len(bp.texts) != z.shape[0]:
        raise ValueError("this adapter needs the texts of the base pass")
    return np.concatenate((cal, g, text_shape(bp.texts, shape)), axis=1)


def _sparse(
    bp: BasePass,
    bits: int,
    base_bits: int,
    words_only: bool,
    counts: float | None = None,
    slots: int = 0,
) -> sp.csr_matrix:
    """The batch's features in the adapter's ``2**bits`` columns (duplicates summed); with
    ``counts`` (the words' weight), its counted features in ``2 << bits`` columns (``slots``:
    ``Adapter.count_slots``)."""
    if counts is not None:
        from classifiers import compiled

        h, v = bp.hits, bp.values
        rows, cols, vals = compiled.grouped(h, v, base_bits, bits, counts, words_only, slots)
        shape = (bp.hits.n_rows, 2 << bits)
        counted = sp.csr_matrix((vals, (rows, cols)), shape=shape)
        counted.sum_duplicates()
        return counted
    h = bp.hits
    keep = ~h.is_char if words_only else slice(None)
    cols = h.cols[keep] >> (base_bits - bits)
    m = sp.csr_matrix(
        (bp.values[keep].astype(np.float64), (h.rows[keep], cols)), shape=(h.n_rows, 1 << bits)
    )
    m.sum_duplicates()
    return m


@dataclass(frozen=True, eq=False)
class LabelAdapter:
    """One label's correction: ``logit = a * base_logit + bias + dense . coef + w . x``."""

    bias: float
    base_coef: float  # a: 1 keeps the base's scale
    dense: F64  # (experts + sources [+ 2 for the text shape],) on the raw dense features
    cols: npt.NDArray[np.int32]  # the adapter's columns that carry a weight, ascending
    weights: F32  # their weights


@dataclass(frozen=True, eq=False)
class Adapter:
    """A site's adapters for some labels; every other label scores exactly as the base."""

    base_version: str
    experts: tuple[str, ...]  # what the dense coefficients refer to, checked on use
    sources: tuple[str, ...]
    labels: Mapping[str, LabelAdapter]
    bits: int = 16
    words_only: bool = False
    text_shape: int = 0  # how many text-shape features (0: none)
    counts: bool = False  # counted features (AdapterConfig.counts); False before they were
    count_words: float = 1.0  # the words' weight among counted features
    count_slots: int = 0  # AdapterConfig.count_slots; 0 (grouped) before counters were
    clip: float = 10.0
    info: Mapping[str, Any] = field(default_factory=dict)  # JSON: training figures
    _params: tuple[I64, F64, F64, F64] | None = field(
        default=None, init=False, compare=False, repr=False
    )
    _step: Step | None = field(default=None, init=False, compare=False, repr=False)
    _applies: weakref.ref[Model] | None = field(default=None, init=False, compare=False, repr=False)

    def table(self, width: int | None = None) -> F32:
        """(columns, width): every column's trained weight for each label, zeros after the
        labels' (width: the labels' number by default). Scoring holds them as ``step``
        builds them, ``quantized`` in rows of ``row_width``."""
        t = np.zeros((self.columns, width or len(self.labels)), dtype=np.float32)
        for j, la in enumerate(self.labels.values()):
            t[la.cols, j] = la.weights
        return t

    @property
    def nbytes(self) -> int:
        """The memory it holds once it has scored: its scoring table (``step``: a byte a
        weight, ``quantized``, and a unit a label) and arrays."""
        width = row_width(len(self.labels))
        table = self.columns * width + width * np.dtype(np.float64).itemsize
        arrays = sum(la.dense.nbytes + la.cols.nbytes + la.weights.nbytes
                     for la in self.labels.values())  # fmt: skip
        return table + arrays

    @property
    def columns(self) -> int:
        """How many columns the adapter's sparse features have (counted: two blocks)."""
        return (2 if self.counts else 1) << self.bits

    @classmethod
    def identity(cls, model: Model) -> Adapter:
        """No correction: scores are the base's."""
        return cls(model.version, model.experts, model.sources, {})

    @property
    def version(self) -> str:
        """A digest of the adapter's content: the same weights, the same version."""
        meta, arrays = self.to_arrays()
        h = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
        for name in sorted(arrays):
            h.update(name.encode())
            h.update(np.ascontiguousarray(arrays[name]).tobytes())
        return h.hexdigest()[:12]

    def params(self, model: Model) -> tuple[I64, F64, F64, F64]:
        """The adapted labels' columns in the model's labels, a, bias and dense coefficients
        (dense features x adapted labels), built once."""
        if self._params is None:
            la = list(self.labels.values())
            params = (
                np.array([model.labels.index(name) for name in self.labels], dtype=np.int64),
                np.array([x.base_coef for x in la], dtype=np.float64),
                np.array([x.bias for x in la], dtype=np.float64),
                np.stack([x.dense for x in la], axis=1),
            )
            object.__setattr__(self, "_params", params)  # idempotent: a race only builds it twice
        assert self._params is not None
        return self._params

    def applies_to(self, model: Model) -> bool:
        """Whether this adapter was trained on ``model`` (else it must not be used); the
        last model it applied to is remembered (comparing the names of 16 experts and 10
        data sets each time cost a comment scored alone 0.15 µs)."""
        last = self._applies
        if last is not None and last() is model:
            return True
        applies = (
            self.base_version == model.version
            and self.experts == model.experts
            and self.sources == model.sources
        )
        if applies:  # idempotent, as params()
            object.__setattr__(self, "_applies", weakref.ref(model))
        return applies

    def prepare(self, model: Model) -> None:
        """Build what scoring with ``model`` needs now (its table, a few milliseconds), where
        the caller chooses: the service loads adapters off the event loop, on which their
        first comments are scored."""
        if self.labels and self.applies_to(model):
            self.step(model)

    def adapt(self, model: Model, bp: BasePass) -> F32:
        """Adapted probabilities (n, labels) from the base's pass over a batch: each adapted
        label's ``a * base_logit + bias + dense . coef + w . x`` (``_dense`` and ``_sparse``,
        as training builds them), in one compiled pass (``classifiers.compiled.adapt``)."""
        if not self.labels or not bp.p.shape[0]:
            return bp.p
        if not self.applies_to(model):
            raise ValueError(f"adapter for {self.base_version}, not for model {model.version}")
        from classifiers import compiled  # as the base's pass

        n = bp.p.shape[0]
        if self.text_shape and len(bp.texts) != n:
            raise ValueError("this adapter needs the texts of the base pass")
        codes = text_codes(bp.texts) if self.text_shape else None
        mix = model.mixture
        step = self.step(model)
        return compiled.adapt(bp.p, bp.z, bp.hits, bp.values, codes, step, mix.scale, mix.shift)

    def probabilities(self, model: Model, texts: list[str]) -> F32:
        """Adapted probabilities (n, labels) of ``texts``: the base's pass and this adapter's
        step in one compiled call (``Model.probabilities`` with ``step``), the same numbers
        as ``adapt`` on ``base_pass``."""
        texts = list(texts)
        if not self.labels or not texts:
            return model.probabilities(texts)
        if not self.applies_to(model):
            raise ValueError(f"adapter for {self.base_version}, not for model {model.version}")
        codes = text_codes(texts) if self.text_shape else None
        return model.probabilities(texts, self.step(model), codes)

    def step(self, model: Model) -> Step:
        """``compiled.score``'s arguments for this adapter on ``model``, built once."""
        if self._step is None:
            from classifiers import compiled  # as the base's pass

            base_bits = model.featurizer.config.bits
            counts = (base_bits, self.count_words, self.count_slots) if self.counts else None
            steps, unit = quantized(self.table(row_width(len(self.labels))))
            step = compiled.Step(
                self.text_shape, CLASSES, steps, unit, self.params(model), self.clip,
                base_bits - self.bits, self.words_only, counts, _EPS,
            )  # fmt: skip
            object.__setattr__(self, "_step", step)  # idempotent, as params()
        assert self._step is not None
        return self._step

    def score(self, model: Model, texts: list[str]) -> list[dict[str, float]]:
        """Like ``Model.score``: each label's probability for each text."""
        p = self.probabilities(model, texts).tolist()
        return [dict(zip(model.labels, row, strict=True)) for row in p]

    def to_arrays(self) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
        """JSON-able metadata and plain numeric arrays; ``from_arrays`` inverts it exactly."""
        meta: dict[str, Any] = {
            "format": FORMAT,
            "base_version": self.base_version,
            "experts": list(self.experts),
            "sources": list(self.sources),
            "bits": self.bits,
            "words_only": self.words_only,
            "text_shape": self.text_shape,
            "counts": self.counts,
            "count_words": self.count_words,
            "count_slots": self.count_slots,
            "clip": self.clip,
            "labels": {
                name: {"bias": la.bias, "base_coef": la.base_coef}
                for name, la in sorted(self.labels.items())
            },
            "info": dict(self.info),
        }
        arrays: dict[str, npt.NDArray[Any]] = {}
        for name, la in sorted(self.labels.items()):
            arrays[f"{name}.dense"] = la.dense.astype(np.float64)
            arrays[f"{name}.cols"] = la.cols.astype(np.int32)
            arrays[f"{name}.weights"] = la.weights.astype(np.float32)
        return meta, arrays

    @classmethod
    def from_arrays(
        cls, meta: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]]
    ) -> Adapter:
        """The adapter ``to_arrays`` described; checks shapes, types and ranges."""
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown adapter format {meta.get('format')!r}")
        bits = int(meta["bits"])
        if not 1 <= bits <= 30:
            raise ValueError(f"bits out of range: {bits}")
        experts = tuple(str(e) for e in meta["experts"])
        shape = meta["text_shape"]  # format 1 stored a bool: True was the first two
        shapes = (2 if shape else 0) if isinstance(shape, bool) else int(shape)
        if not 0 <= shapes <= SHAPES:
            raise ValueError(f"text_shape out of range: {shapes}")
        sources = tuple(str(s) for s in meta["sources"])
        counts = bool(meta.get("counts", False))  # stored before counted features: none
        count_words = float(meta.get("count_words", 1.0))
        if not (math.isfinite(count_words) and count_words > 0):
            raise ValueError(f"count_words out of range: {count_words}")
        count_slots = int(meta.get("count_slots", 0))  # stored before counters: grouped
        if count_slots and not (counts and MIN_SLOTS <= count_slots <= MAX_SLOTS):
            raise ValueError(f"count_slots out of range: {count_slots}")
        columns = (2 if counts else 1) << bits
        labels: dict[str, LabelAdapter] = {}
        for name, spec in meta["labels"].items():
            dense = np.asarray(arrays[f"{name}.dense"])
            cols = np.asarray(arrays[f"{name}.cols"])
            weights = np.asarray(arrays[f"{name}.weights"])
            n_dense = len(experts) + len(sources) + shapes
            if dense.dtype != np.float64 or dense.shape != (n_dense,):
                raise ValueError(f"{name}.dense: wrong type or shape")
            if cols.dtype != np.int32 or weights.dtype != np.float32 or cols.ndim != 1:
                raise ValueError(f"{name}.cols / {name}.weights: wrong type")
            if cols.shape != weights.shape:
                raise ValueError(f"{name}: {cols.size} columns but {weights.size} weights")
            if cols.size and (cols.min() < 0 or cols.max() >= columns):
                raise ValueError(f"{name}.cols out of range")
            if not (np.all(np.isfinite(dense)) and np.all(np.isfinite(weights))):
                raise ValueError(f"{name}: weights must be finite")
            labels[str(name)] = LabelAdapter(
                float(spec["bias"]), float(spec["base_coef"]), dense, cols, weights
            )
        return cls(
            base_version=str(meta["base_version"]),
            experts=experts,
            sources=sources,
            labels=labels,
            bits=bits,
            words_only=bool(meta["words_only"]),
            text_shape=shapes,
            counts=counts,
            count_words=count_words,
            count_slots=count_slots,
            clip=float(meta["clip"]),
            info=dict(meta.get("info", {})),
        )

    def to_bytes(self) -> bytes:
        """One blob (an ``.npz`` of the arrays plus the metadata as UTF-8 JSON), e.g. bytea."""
        meta, arrays = self.to_arrays()
        blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        payload: dict[str, Any] = {"__meta__": blob, **arrays}  # numbers only: no pickle
        np.savez(buffer, **payload)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Adapter:
        """Read ``to_bytes`` output; ``allow_pickle=False``, so it cannot run code."""
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(arrays.pop("__meta__").tobytes().decode())
        return cls.from_arrays(meta, arrays)


def adapt_batch(model: Model, bp: BasePass, adapters: Sequence[Adapter | None]) -> F32:
    """Probabilities of a batch whose texts come from several sites: row ``i`` adapted by
    ``adapters[i]`` (None, or an adapter not trained on ``model``: exactly the base's). The
    base's pass runs once for the whole batch; each distinct adapter costs a pass over the
    batch's hits to pick its rows."""
    if len(adapters) != bp.p.shape[0]:
        raise ValueError(f"{len(adapters)} adapters for {bp.p.shape[0]} texts")
    groups: dict[int, tuple[Adapter, list[int]]] = {}
    for i, adapter in enumerate(adapters):
        if adapter is not None and adapter.labels and adapter.applies_to(model):
            groups.setdefault(id(adapter), (adapter, []))[1].append(i)
    if not groups:
        return bp.p
    out = bp.p.copy()
    for adapter, rows in groups.values():
        if len(rows) == len(adapters):
            return adapter.adapt(model, bp)
        out[rows] = adapter.adapt(model, bp.take(rows))
    return out


def warm(model: object) -> None:
    """Compile every scoring path now, for ``model`` (a classifiers ``Model``; anything else
    is left alone): the base alone and a site's adapter in one call (one compiled function),
    and a batch of several sites' texts (the base's pass, then each adapter's step). Where no
    compiled code is cached yet (the first start after an install, or a read-only image and
    home) the first comment would otherwise wait for the compiler, 10 - 15 s."""
    if not isinstance(model, Model):
        return
    dense = np.zeros(len(model.experts) + len(model.sources) + SHAPES)
    label = LabelAdapter(0.0, 1.0, dense, np.zeros(0, np.int32), np.zeros(0, np.float32))
    adapter = Adapter(
        model.version, model.experts, model.sources, {model.labels[0]: label},
        text_shape=SHAPES, counts=True, count_slots=AdapterConfig.count_slots,
    )  # fmt: skip
    texts = ["Xin chào, bài viết rất hay!", "Hello, nice article."]
    model.probabilities(texts)
    adapter.probabilities(model, texts)
    adapt_batch(model, base_pass(model, texts), [adapter, None])


def score_with(model: Model, adapter: Adapter | None, texts: list[str]) -> F32:
    """Probabilities of ``texts``: adapted when ``adapter`` was trained on ``model``, else
    exactly the base's."""
    if adapter is None or not adapter.labels or not adapter.applies_to(model):
        return model.probabilities(list(texts))
    return adapter.probabilities(model, texts)


# ---------------------------------------------------------------- training


def actor_weights(actors: Sequence[object | None], max_share: float) -> F64:
    """A weight per decision so that no actor's decisions weigh more than ``max_share`` of
    the total: each actor's decisions count at most C in all (C as large as allows it).

    A site with a single actor keeps weights 1 (there is no one else to weigh against); with
    two, the share cannot go below a half. Decisions without an actor count as one actor.
    """
    n = len(actors)
    weights = np.ones(n, dtype=np.float64)
    counts = Counter(actors)
    if len(counts) < 2 or max_share >= 1:
        return weights
    sizes = np.array(sorted(counts.values()), dtype=np.float64)

    def ok(c: float) -> bool:
        return bool(min(sizes[-1], c) <= max_share * np.minimum(sizes, c).sum() + 1e-9)

    if ok(sizes[-1]):
        return weights
    if max_share * len(sizes) <= 1:  # unreachable: count every actor alike
        cap = float(sizes[0])
    else:  # ok(C) holds on [0, C*] (a concave test): find C* by bisection
        cap, hi = 0.0, float(sizes[-1])
        for _ in range(60):
            mid = (cap + hi) / 2
            cap, hi = (mid, hi) if ok(mid) else (cap, mid)
    per = {a: min(1.0, cap / k) for a, k in counts.items()}
    return np.array([per[a] for a in actors], dtype=np.float64)


@dataclass(frozen=True)
class LabelFigures:
    """What training found for one label, on the site's own decisions."""

    decisions: int
    positives: int
    negatives: int
    trained: bool  # enough decisions of both kinds to try
    base_auc: float | None  # out of fold ROC AUC (weighted as trained) of the base
    adapted_auc: float | None  # ... and of the adapter
    l2: float | None  # the penalty on w that cross-validation chose
    adopted: bool
    sure: float | None = None  # share of bootstrap resamples where the adapter ranks better
    # ... and where its log loss beats the base recalibrated on the same folds
    loss_sure: float | None = None

    def as_json(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "decisions": self.decisions,
            "positives": self.positives,
            "negatives": self.negatives,
            "trained": self.trained,
            "base_auc": r(self.base_auc),
            "adapted_auc": r(self.adapted_auc),
            "l2": self.l2,
            "sure": r(self.sure),
            "loss_sure": r(self.loss_sure),
            "adopted": self.adopted,
        }


@dataclass(frozen=True)
class Training:
    """An adapter (its labels: those adopted) and the figures that decided it."""

    adapter: Adapter
    figures: Mapping[str, LabelFigures]
    adopt: bool  # at least one label beats the base out of fold: use this adapter
    cpu_seconds: float

    def report(self) -> dict[str, Any]:
        """JSON-able summary for an API answer or an audit record."""
        return {
            "adopt": self.adopt,
            "version": self.adapter.version,
            "base_version": self.adapter.base_version,
            "labels": {name: f.as_json() for name, f in self.figures.items()},
            "cpu_seconds": round(self.cpu_seconds, 3),
        }


def _newton(
    f: sp.csr_matrix,
    y: F64,
    offset: F64,
    weight: F64,
    l2: F64,
    start: F64,
    scale: float,
    tol: float = 1e-3,
    max_newton: int = 20,
    max_cg: int = 40,
) -> F64:
    """Minimise sum(weight * logloss(offset + f @ beta, y)) + l2 . beta**2 / 2 (truncated
    Newton: conjugate gradients on the Hessian, Jacobi-preconditioned, with backtracking).

    Stops when the gradient's norm is below ``tol * scale`` (``scale``: its norm at zero on
    all the decisions, so a warm start from a near solution stops early)."""
    ft = f.T.tocsr()
    f2t = f.multiply(f).T.tocsr()
    beta = start.copy()

    def loss(b: F64) -> float:
        eta = offset + f @ b
        return float(np.sum(weight * (np.logaddexp(0, eta) - y * eta)) + 0.5 * l2 @ (b * b))

    current = loss(beta)
    for _ in range(max_newton):
        eta = offset + f @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        g = ft @ (weight * (p - y)) + l2 * beta
        norm = float(np.linalg.norm(g))
        if norm <= tol * scale or norm < 1e-9:
            break
        forcing = min(0.5, math.sqrt(norm / scale)) * norm  # inexact Newton: loose far off
        h = weight * p * (1 - p)
        precond = f2t @ h + l2
        step = np.zeros_like(beta)
        r = -g
        zr = r / precond
        q = zr.copy()
        rz = float(r @ zr)
        for _ in range(max_cg):
            aq = ft @ (h * (f @ q)) + l2 * q
            alpha = rz / float(q @ aq)
            step += alpha * q
            r -= alpha * aq
            if np.linalg.norm(r) <= forcing:
                break
            zr = r / precond
            rz, previous = float(r @ zr), rz
            q = zr + (rz / previous) * q
        t = 1.0
        slope = float(g @ step)
        while True:
            new = loss(beta + t * step)
            if new <= current + 1e-4 * t * slope or t < 1e-3:
                break
            t /= 2
        beta = beta + t * step
        current = new
    return beta


def weighted_auc(y: npt.NDArray[Any], s: npt.NDArray[Any], w: F64) -> float:
    """ROC AUC with sample weights (ties count a half), as sklearn's ``roc_auc_score``
    computes it, without its per-call checks (training calls it some twenty times)."""
    order = np.argsort(s, kind="stable")
    s, y, w = s[order], y[order], w[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(w * (y == 1), starts)
    neg = np.add.reduceat(w * (y != 1), starts)
    below = np.cumsum(neg) - neg
    total = float(pos.sum() * neg.sum())
    if total <= 0:
        raise ValueError("AUC needs both classes")
    return float(pos @ (below + neg / 2)) / total


_auc = weighted_auc


def stratified_resample(rng: np.random.Generator, y: F64) -> I64:
    """Indices of a bootstrap resample of the decisions ``y`` that draws the positive and the
    negative ones apart, so it keeps their numbers (a stratified bootstrap, as pROC's for
    ROC AUC): an AUC's spread then comes from which decisions are drawn, not from how many
    of each kind, which with a few dozen positives would add noise of its own."""
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y != 1)
    return np.concatenate(
        (pos[rng.integers(0, pos.size, pos.size)], neg[rng.integers(0, neg.size, neg.size)])
    )


def _bootstrap_wins(
    y: F64, base: F64, adapted: F64, w: F64, resamples: int, gain: F64
) -> tuple[float, float]:
    """Shares of stratified bootstrap resamples of the decisions where ``adapted`` has the
    higher AUC, and where the per-decision ``gain`` sums above 0 (a fixed seed: the same
    decisions, the same answer)."""
    if y.min() == y.max():
        return 0.0, 0.0
    rng = np.random.default_rng(0)
    wins = gains = 0
    for _ in range(resamples):
        pick = stratified_resample(rng, y)
        yy, ww = y[pick], w[pick]
        wins += _auc(yy, adapted[pick], ww) > _auc(yy, base[pick], ww)
        gains += float(gain[pick].sum()) > 0
    return wins / resamples, gains / resamples


def _log_loss(y: F64, eta: F64) -> F64:
    """Each decision's log loss at logit ``eta``."""
    out: F64 = np.logaddexp(0, eta) - y * eta
    return out


def _fit_label(
    bp: BasePass,
    dense: F64,
    x: sp.csr_matrix,
    rows: I64,
    y: F64,
    w: F64,
    fold: I64,
    k: int,
    cfg: AdapterConfig,
) -> tuple[LabelAdapter, LabelFigures]:
    """Cross-validate the penalty, measure out of fold, fit on every decision."""
    offset = _logit(bp.p[rows, k], cfg.clip)
    d = dense[rows]
    mu = d.mean(axis=0)
    sd = d.std(axis=0)
    sd[sd < 1e-6] = 1.0
    xs = x[rows]
    active, inverse = np.unique(xs.indices, return_inverse=True)
    xs = sp.csr_matrix((xs.data, inverse, xs.indptr), shape=(rows.size, active.size))
    left = np.hstack((np.ones((rows.size, 1)), offset[:, None], (d - mu) / sd))
    f = sp.hstack((sp.csr_matrix(left), xs), format="csr")
    n_left = left.shape[1]
    grid = sorted(cfg.l2, reverse=True)  # strong to weak: each fit starts from the last

    def penalties(l2: float) -> F64:
        head = np.full(n_left, cfg.dense_l2)
        head[:2] = (cfg.bias_l2, cfg.base_l2)
        return np.concatenate((head, np.full(active.size, l2)))

    residual = w * (1.0 / (1.0 + np.exp(-offset)) - y)
    scale = float(np.linalg.norm(f.T @ residual))
    # the base recalibrated on each fold's other decisions (the adapter's first two columns)
    calibrate = sp.csr_matrix(left[:, :2])
    calibrate_l2 = np.array([cfg.bias_l2, cfg.base_l2])
    calibrate_scale = float(np.linalg.norm(calibrate.T @ residual))
    recalibrated = offset.copy()
    oof = np.zeros((len(grid), rows.size))
    for i in range(int(fold.max()) + 1):
        test = fold == i
        if not test.any() or test.all():
            continue
        train = ~test
        two = _newton(
            calibrate[train],
            y[train],
            offset[train],
            w[train],
            calibrate_l2,
            np.zeros(2),
            calibrate_scale,
        )
        recalibrated[test] = offset[test] + calibrate[test] @ two
        ft = f[train]
        beta = np.zeros(f.shape[1])
        for j, l2 in enumerate(grid):
            beta = _newton(ft, y[train], offset[train], w[train], penalties(l2), beta, scale)
            oof[j, test] = offset[test] + f[test] @ beta
    base_auc = _auc(y, offset, w)
    per_grid = [_auc(y, oof[j], w) for j in range(len(grid))]
    best = int(np.argmax(per_grid))
    # each fold's figure uses the penalty the other folds chose, so the choice is not scored
    # on the decisions it was chosen by
    honest = np.zeros(rows.size)
    for i in range(int(fold.max()) + 1):
        test = fold == i
        if not test.any():
            continue
        others = [_auc(y[~test], oof[j, ~test], w[~test]) for j in range(len(grid))]
        honest[test] = oof[int(np.argmax(others)), test]
    adapted_auc = _auc(y, honest, w)
    gain = w * (_log_loss(y, recalibrated) - _log_loss(y, honest))
    sure, loss_sure = _bootstrap_wins(y, offset, honest, w, cfg.resamples, gain)
    beta = np.zeros(f.shape[1])
    for l2 in grid[: best + 1]:
        beta = _newton(f, y, offset, w, penalties(l2), beta, scale)
    v = beta[2:n_left] / sd
    adapter = LabelAdapter(
        bias=float(beta[0] - v @ mu),
        base_coef=float(1.0 + beta[1]),
        dense=v.astype(np.float64),
        cols=active.astype(np.int32),
        weights=(beta[n_left:]).astype(np.float32),
    )
    figures = LabelFigures(
        decisions=int(rows.size),
        positives=int(y.sum()),
        negatives=int(rows.size - y.sum()),
        trained=True,
        base_auc=base_auc,
        adapted_auc=adapted_auc,
        l2=grid[best],
        adopted=cfg.adopts(base_auc, adapted_auc, sure, loss_sure),
        sure=sure,
        loss_sure=loss_sure,
    )
    return adapter, figures


def train_adapter(
    model: Model,
    texts: Sequence[str],
    labels: Mapping[str, Sequence[int | None]],
    actors: Sequence[object | None] | None = None,
    config: AdapterConfig | None = None,
    base: BasePass | None = None,
) -> Training:
    """Train a site's adapter from its decided comments.

    ``labels[name][i]`` is 1, 0 or None (comment ``i`` taught nothing about that label);
    ``actors[i]`` says who decided comment ``i``, used only to weigh decisions (see
    ``actor_weights``). ``base``: ``base_pass(model, texts)`` if the caller has it.

    BLAS runs on one thread meanwhile: its threads spin on a busy machine, and the small
    products here gain nothing from them (1,000 ViSpamReviews decisions on the 2-core box
    under load: 0.78 s of CPU on one thread, 5.99 s with the default two; 6 s wall-clock
    against 31 s).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _train_adapter(model, texts, labels, actors, config, base)


def _train_adapter(
    model: Model,
    texts: Sequence[str],
    labels: Mapping[str, Sequence[int | None]],
    actors: Sequence[object | None] | None,
    config: AdapterConfig | None,
    base: BasePass | None,
) -> Training:
    """``train_adapter``'s work."""
    cfg = config or AdapterConfig()
    started = time.process_time()
    texts = list(texts)
    n = len(texts)
    slots = cfg.count_slots if cfg.counts else 0
    if slots and not MIN_SLOTS <= slots <= MAX_SLOTS:
        raise ValueError(f"count_slots out of range: {slots}")
    for name, values in labels.items():
        if name not in model.labels:
            raise ValueError(f"unknown label {name!r}")
        if len(values) != n:
            raise ValueError(f"labels[{name!r}] has {len(values)} values for {n} texts")
        if any(v not in (0, 1, None) for v in values):
            raise ValueError(f"labels[{name!r}]: each value is 0, 1 or None")
    if actors is not None and len(actors) != n:
        raise ValueError(f"{len(actors)} actors for {n} texts")
    who: list[object | None] = list(actors) if actors is not None else [None] * n
    digest = np.array([hashlib.sha256(key(t).encode()).digest()[0] for t in texts], np.int64)
    bp = base if base is not None else base_pass(model, texts)
    dense: F64 | None = None
    x: sp.csr_matrix | None = None
    fitted: dict[str, LabelAdapter] = {}
    figures: dict[str, LabelFigures] = {}
    for name in model.labels:
        values = labels.get(name, [None] * n)
        rows = np.array([i for i, v in enumerate(values) if v is not None], dtype=np.int64)
        y = np.array([values[i] for i in rows], dtype=np.float64)
        pos = int(y.sum())
        neg = int(rows.size - pos)
        if min(pos, neg) < max(cfg.min_each, 2):
            figures[name] = LabelFigures(rows.size, pos, neg, False, None, None, None, False)
            continue
        if dense is None or x is None:
            dense = _dense(model, bp, cfg.clip, cfg.text_shape)
            counts = cfg.count_words if cfg.counts else None
            x = _sparse(bp, cfg.bits, model.featurizer.config.bits, cfg.words_only, counts, slots)
        w = actor_weights([who[i] for i in rows], cfg.max_actor_share)
        fold = digest[rows] % cfg.folds_for(rows.size)
        k = model.labels.index(name)
        la, fig = _fit_label(bp, dense, x, rows, y, w, fold, k, cfg)
        figures[name] = fig
        if fig.adopted:
            fitted[name] = la
    adapter = Adapter(
        base_version=model.version,
        experts=model.experts,
        sources=model.sources,
        labels=fitted,
        bits=cfg.bits,
        words_only=cfg.words_only,
        text_shape=cfg.text_shape,
        counts=cfg.counts,
        count_words=cfg.count_words if cfg.counts else 1.0,
        count_slots=slots,
        clip=cfg.clip,
        info={"decisions": n, "labels": {k: f.as_json() for k, f in figures.items()}},
    )
    return Training(adapter, figures, bool(fitted), time.process_time() - started)


__all__ = [
    "Adapter",
    "AdapterConfig",
    "BasePass",
    "LabelAdapter",
    "LabelFigures",
    "Training",
    "actor_weights",
    "adapt_batch",
    "base_pass",
    "score_with",
    "stratified_resample",
    "train_adapter",
    "warm",
    "weighted_auc",
]
