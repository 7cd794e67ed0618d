"""The shipped model: hashed n-gram features, one linear expert per data set, a combiner.

Each expert is a logistic regression trained on one data set's notion of spam, abuse or hate;
a gate (which data sets does this text resemble?) mixes the experts' calibrated
probabilities, so each set's labelling rules apply where they belong (see ``Mixture``).

Stored as plain files: ``weights.npy`` (float16, n_features x experts), ``idf.npy`` and
``model.json`` (version, feature config, expert and gate names, biases, calibration).  Loading uses
``numpy.load(allow_pickle=False)`` and ``json``, so a model file can never run code.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from classifiers.datasets import LABELS
from classifiers.features import Config, Featurizer, Weighting
from classifiers.normalize import token_spans

F32 = npt.NDArray[np.float32]
CURRENT = "CURRENT"  # in a model directory: the name of the version folder to load
_WORDISH = re.compile(r"[^\W_]")


class Evidence(TypedDict):
    """A span of the (NFC) text that pushed a score up."""

    text: str
    start: int
    end: int
    weight: float


@dataclass(frozen=True)
class Mixture:
    """How expert logits become label probabilities.

    Each expert ``e`` (one data set's notion of one label) has a Platt calibration
    ``p_e = sigmoid(scale_e * z_e + shift_e)``.  A gate (a softmax over data sets, also linear
    in the features) says which data sets a text resembles; a label's probability is the
    gate-weighted mean of its experts' probabilities, so each set's labelling rules apply to
    the texts that look like that set.  Each label has its own gate temperature: the gate's
    logits are multiplied by it before the softmax, so below 1 a label trusts the gate's
    guess less and spreads its weight over more of its experts (chosen on dev: the gate
    misplaces a quarter of YouTube's comments, and a sharp gate then hands them to experts
    that cannot rank them).
    """

    scale: F32  # (experts,)
    shift: F32  # (experts,)
    expert_source: npt.NDArray[np.int64]  # (experts,) index into the gate's sources
    expert_label: npt.NDArray[np.int64]  # (experts,) index into the labels
    temperature: F32 | None = None  # (labels,) multiplies the gate logits; None: all 1
    _onehot: dict[int, F32] = field(default_factory=dict, compare=False, repr=False)
    _expert_temperature: F32 | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        t = self.temperature
        if t is not None and not bool(np.all(t == 1.0)):  # each expert's label's temperature
            object.__setattr__(self, "_expert_temperature", t[self.expert_label].astype(np.float32))

    def expert_probabilities(self, z: F32) -> F32:
        p: F32 = (1.0 / (1.0 + np.exp(-(z * self.scale + self.shift)))).astype(np.float32)
        return p

    def onehot(self, n_labels: int) -> F32:
        """(experts, labels): which label each expert speaks for."""
        cached = self._onehot.get(n_labels)
        if cached is None:
            cached = np.eye(n_labels, dtype=np.float32)[self.expert_label]
            self._onehot[n_labels] = cached  # idempotent: a race only computes it twice
        return cached

    def gates(self, gate_logits: F32) -> F32:
        """(n, experts): the unnormalised gate weight of each expert's data set."""
        shifted = (gate_logits - gate_logits.max(axis=1, keepdims=True))[:, self.expert_source]
        t = self._expert_temperature
        g: F32 = np.exp(shifted if t is None else shifted * t)
        return g

    def shares(self, gate_logits: F32, n_labels: int) -> F32:
        """(n, experts, labels): the weight of each expert in each label's mean."""
        g = self.gates(gate_logits)
        onehot = self.onehot(n_labels)
        total = g @ onehot
        out: F32 = g[:, :, None] * onehot[None, :, :] / np.maximum(total[:, None, :], 1e-12)
        return out.astype(np.float32)

    def apply(self, z: F32, gate_logits: F32, n_labels: int) -> F32:
        """(n, labels): the gate-weighted mean of each label's experts' probabilities."""
        g = self.gates(gate_logits)
        onehot = self.onehot(n_labels)
        mixed: F32 = ((g * self.expert_probabilities(z)) @ onehot) / np.maximum(g @ onehot, 1e-12)
        return mixed.astype(np.float32)


@dataclass(frozen=True)
class Model:
    """A trained scorer; immutable and safe to call from many threads."""

    version: str
    featurizer: Featurizer
    weighting: Weighting
    experts: tuple[str, ...]
    sources: tuple[str, ...]
    weights: F32  # (n_features, experts + sources): expert columns, then gate columns
    bias: F32  # (experts + sources,)
    mixture: Mixture
    labels: tuple[str, ...] = LABELS

    def linear(self, texts: list[str], with_bias: bool = True, within: str | None = None) -> F32:
        """Every expert's and gate's logit for every text (``within``: scaled as parts of it)."""
        hits = self.featurizer.hits(texts)
        norms = None if within is None else self.weighting.norms(self.featurizer.hits([within]))[0]
        vals = self.weighting.values(hits, norms)
        if len(texts) == 1:  # a plain gather beats building a sparse matrix
            z: F32 = (vals @ self.weights[hits.cols])[None, :]
        else:
            shape = (len(texts), self.weights.shape[0])
            m = sp.coo_matrix((vals, (hits.rows, hits.cols)), shape=shape)
            z = np.asarray(m @ self.weights, dtype=np.float32)
        return z + self.bias if with_bias else z

    def probabilities(self, texts: list[str]) -> F32:
        """Calibrated probabilities, one column per label."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        z = self.linear(texts)
        e = len(self.experts)
        return self.mixture.apply(z[:, :e], z[:, e:], len(self.labels))

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        """Probabilities in [0, 1] for each label of each text."""
        p = self.probabilities(list(texts)).tolist()
        return [dict(zip(self.labels, row, strict=True)) for row in p]

    def explain(self, text: str, top: int = 5) -> dict[str, list[Evidence]]:
        """The words and phrases of ``text`` (after NFC) that raised each label's score most."""
        text = unicodedata.normalize("NFC", text if isinstance(text, str) else str(text))
        head = text[:20_000]
        spans = [(a, b) for a, b in token_spans(head) if _WORDISH.search(head, a, b)][:2000]
        if not spans:
            return {label: [] for label in self.labels}
        pairs = [(a[0], b[1]) for a, b in pairwise(spans)]
        candidates = spans + pairs
        e = len(self.experts)
        whole = self.linear([text])
        shares = self.mixture.shares(whole[:, e:], len(self.labels))[0]
        # what a span adds to each label's experts' calibrated logits, weighted as they are mixed
        slope = shares * self.mixture.scale[:, None]
        parts = [text[a:b] for a, b in candidates]
        contrib = self.linear(parts, with_bias=False, within=text)[:, :e] @ slope
        n_single = len(spans)
        # a pair counts only for what it adds beyond its two words
        for i in range(len(pairs)):
            contrib[n_single + i] -= np.maximum(contrib[i], 0) + np.maximum(contrib[i + 1], 0)
        return {
            label: _pick(text, candidates, contrib[:, k], top)
            for k, label in enumerate(self.labels)
        }

    def save(self, folder: Path) -> None:
        """Write ``model.json``, ``weights.npy`` and ``idf.npy`` into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "weights.npy", self.weights.astype(np.float16), allow_pickle=False)
        np.save(folder / "idf.npy", self.weighting.idf.astype(np.float16), allow_pickle=False)
        meta = {
            "version": self.version,
            "labels": list(self.labels),
            "config": asdict(self.featurizer.config),
            "word_weight": self.weighting.word_weight,
            "experts": list(self.experts),
            "sources": list(self.sources),
            "bias": [float(b) for b in self.bias],
            "scale": self.mixture.scale.tolist(),
            "shift": self.mixture.shift.tolist(),
            "expert_source": self.mixture.expert_source.tolist(),
            "expert_label": self.mixture.expert_label.tolist(),
        }
        if self.mixture.temperature is not None:
            meta["temperature"] = self.mixture.temperature.tolist()
        (folder / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Model:
        """Read a model written by ``save``; no pickle involved."""
        meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        config = meta["config"]
        config["char_orders"] = tuple(config["char_orders"])
        featurizer = Featurizer(Config(**config))
        columns = len(meta["experts"]) + len(meta["sources"])
        weights = _array(folder / "weights.npy", (featurizer.n_features, columns))
        idf = _array(folder / "idf.npy", (featurizer.n_features,))
        n_experts = len(meta["experts"])
        mixture = Mixture(
            scale=_vector(meta["scale"], n_experts, np.float32),
            shift=_vector(meta["shift"], n_experts, np.float32),
            expert_source=_vector(meta["expert_source"], n_experts, np.int64),
            expert_label=_vector(meta["expert_label"], n_experts, np.int64),
            temperature=(
                _vector(meta["temperature"], len(meta["labels"]), np.float32)
                if "temperature" in meta
                else None
            ),
        )
        if mixture.expert_source.max() >= len(meta["sources"]) or mixture.expert_label.max() >= len(
            meta["labels"]
        ):
            raise ValueError("an expert names an unknown source or label")
        return cls(
            version=meta["version"],
            featurizer=featurizer,
            weighting=Weighting(idf, float(meta["word_weight"])),
            experts=tuple(meta["experts"]),
            sources=tuple(meta["sources"]),
            weights=weights,
            bias=_vector(meta["bias"], columns, np.float32),
            mixture=mixture,
            labels=tuple(meta["labels"]),
        )


def _array(path: Path, shape: tuple[int, ...]) -> F32:
    array: F32 = np.load(path, allow_pickle=False).astype(np.float32)
    if array.shape != shape:
        raise ValueError(f"{path.name} has shape {array.shape}, expected {shape}")
    array.setflags(write=False)
    return array


def _vector(values: list[float], n: int, dtype: type) -> npt.NDArray[Any]:
    array: npt.NDArray[Any] = np.array(values, dtype=dtype)
    if array.shape != (n,):
        raise ValueError(f"expected {n} values, got shape {array.shape}")
    return array


def _pick(text: str, spans: list[tuple[int, int]], weight: F32, top: int) -> list[Evidence]:
    out: list[Evidence] = []
    taken: list[tuple[int, int]] = []
    for i in np.argsort(-weight, kind="stable"):
        if weight[i] <= 0.05 or len(out) >= top:
            break
        a, b = spans[i]
        if any(a < y and x < b for x, y in taken):
            continue
        taken.append((a, b))
        out.append(Evidence(text=text[a:b], start=a, end=b, weight=round(float(weight[i]), 4)))
    return out


def resolve(folder: Path) -> Path:
    """The folder to load: ``folder/<the version named in folder/CURRENT>``, else ``folder``."""
    pointer = folder / CURRENT
    if not pointer.exists():
        return folder
    name = pointer.read_text(encoding="utf-8").strip()
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise ValueError(f"{pointer} does not name a version folder: {name!r}")
    return folder / name
