"""The shipped model: hashed n-gram features, one linear expert per data set, a combiner.

Each expert is a logistic regression trained on one data set's notion of spam, abuse or hate;
a gate (which data sets does this text resemble?) mixes the experts' calibrated
probabilities, so each set's labelling rules apply where they belong (see ``Mixture``).

Stored as plain files: ``weights.npy`` (float16, n_features x experts), ``idf.npy`` and
``model.json`` (version, feature config, expert and gate names, biases, calibration).  Loading uses
``numpy.load(allow_pickle=False)`` and ``json``, so a model file can never run code.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from classifiers.datasets import LABELS
from classifiers.features import Config, Featurizer, Hits, Weighting
from classifiers.normalize import strip_diacritics, token_spans

if TYPE_CHECKING:
    from classifiers.compiled import Step

F32 = npt.NDArray[np.float32]
CURRENT = "CURRENT"  # in a model directory: the name of the version folder to load
_WORDISH = re.compile(r"[^\W_]")
_NUMBER = re.compile(r"[\d\W_]+")
_DENSE_ROWS = 8  # up to this many texts, ``project`` multiplies densely

# Words never shown as evidence alone, nor at either end of a two-word span: function words of
# Vietnamese and English, and the staples of any news comment ("tin", "báo", "bài"), which
# raise a label only as part of a longer phrase and tell a moderator nothing on their own.
_STOP = """
a an and or but nor so yet if then than that this these those there here the of to in on at by
for from with without about as into onto over under after before between through during up
down out off is am are was were be been being do does did done have has had having will would
shall should can could may might must not no yes it its it's he him his she her hers we us our
ours they them their theirs i me my mine you your yours what which who whom whose when where
why how all any both each few more most other some such only own same too very just also again
once s t don doesn didn isn aren wasn weren won wouldn ll re ve d m o y im ive dont cant
và hoặc hay nhưng mà thì là của cho với về vào ra lên xuống trong ngoài trên dưới tại từ đến
tới theo bởi vì nên nếu khi lúc đã đang sẽ vẫn cũng còn rất quá lắm hơn nhất được bị có không
chưa chẳng đâu gì nào này kia ấy đó đây thế vậy như nhiều ít mọi các những một hai cái chiếc
việc sự cuộc điều ai tôi mình ta chúng họ bạn anh chị em ông bà cô chú bác nó ạ à ơi nhé nhỉ
nha hả hử chứ đi thôi luôn rồi ngay cả đều lại vừa mới sau trước nữa để do thật hết
ko k kg kh khum hok hông dc đc đk dk j z v r vs mk mik mn mng ng ngta cx cg ms nx bh trc
tin báo bài viết đọc thông tức đăng trang
"""
STOP_WORDS = frozenset(_STOP.split()) | frozenset(strip_diacritics(w) for w in _STOP.split())


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
        # A far negative logit overflows exp to inf and the probability is 0, as it should be;
        # the overflow is not an error (pathological texts reach it).
        with np.errstate(over="ignore"):
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
        """(n, labels): the gate-weighted mean of each label's experts' probabilities, that is
        ``((gates * expert_probabilities) @ onehot) / (gates @ onehot)``, in one compiled pass
        (``classifiers.compiled.mix``, in float64)."""
        from classifiers import compiled

        return compiled.mix(z, gate_logits, *self.parts(), n_labels)

    def parts(self) -> tuple[F32, F32, npt.NDArray[np.int64], npt.NDArray[np.int64], F32 | None]:
        """The compiled passes' arguments: scale, shift, each expert's source and label, and
        each expert's temperature (None: all 1)."""
        return (self.scale, self.shift, self.expert_source, self.expert_label,
                self._expert_temperature)  # fmt: skip


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
    hold: tuple[float, ...] | None = None  # the hold threshold per label it was shipped with

    def scoring_pass(self, texts: list[str]) -> tuple[Hits, F32, F32]:
        """The hits of ``texts``, their values and every expert's and gate's logit (bias
        included), in one compiled pass (``classifiers.compiled``; the same hits and values
        as ``Featurizer.hits`` and ``Weighting.values``)."""
        from classifiers import compiled  # numba loads with the first text scored

        w, f = self.weighting, self.featurizer
        return compiled.linear(f, w.idf, w.word_weight, self.weights, self.bias, texts)

    def linear(self, texts: list[str], with_bias: bool = True, within: str | None = None) -> F32:
        """Every expert's and gate's logit for every text (``within``: scaled as parts of it)."""
        if within is None and with_bias:
            return self.scoring_pass(texts)[2]
        hits = self.featurizer.hits(texts)
        norms = None if within is None else self.weighting.norms(self.featurizer.hits([within]))[0]
        z = project(self.weights, hits, self.weighting.values(hits, norms))
        return z + self.bias if with_bias else z

    def probabilities(
        self, texts: list[str], step: Step | None = None, text: bytes | None = None
    ) -> F32:
        """Calibrated probabilities, one column per label: ``linear`` then the mixture, in
        one compiled call (``classifiers.compiled.score``; with an adapter's ``step`` and
        the ``text`` it needs, adapted as ``Adapter.adapt`` would)."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        from classifiers import compiled

        w = self.weighting
        return compiled.score(
            self.featurizer, w.idf, w.word_weight, self.weights, self.bias,
            self.mixture.parts(), len(self.labels), list(texts), step, text,
        )  # fmt: skip

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        """Probabilities in [0, 1] for each label of each text."""
        p = self.probabilities(list(texts)).tolist()
        return [dict(zip(self.labels, row, strict=True)) for row in p]

    def hold_thresholds(self) -> dict[str, float]:
        """The hold threshold of each label this model was shipped with (0.5 if none)."""
        hold = self.hold if self.hold is not None else (0.5,) * len(self.labels)
        return dict(zip(self.labels, (float(h) for h in hold), strict=True))

    def explain(
        self, text: str, top: int = 5, floors: Mapping[str, float] | None = None
    ) -> dict[str, list[Evidence]]:
        """The words and phrases of ``text`` (after NFC) that raised each label's score most.

        Only for labels whose score reaches its floor (``floors``, default the model's hold
        thresholds): a label that was not raised has no evidence. Spans are whole words or two
        adjacent words from the label's own experts' features with a positive contribution,
        never a function word alone nor a pair that begins or ends with one (``STOP_WORDS``),
        nor a bare number.
        """
        text = unicodedata.normalize("NFC", text if isinstance(text, str) else str(text))
        head = text[:20_000]
        found = [(a, b) for a, b in token_spans(head) if _WORDISH.search(head, a, b)][:2000]
        if not found:
            return {label: [] for label in self.labels}
        e = len(self.experts)
        whole = self.linear([text])
        scores = self.mixture.apply(whole[:, :e], whole[:, e:], len(self.labels))[0]
        floor = self.hold_thresholds() if floors is None else floors
        raised = [k for k, label in enumerate(self.labels) if scores[k] >= floor.get(label, 0.5)]
        if not raised:
            return {label: [] for label in self.labels}
        shown = [_shown(text[a:b]) for a, b in found]
        at = list(itertools.accumulate(shown, initial=0))  # found[i] is candidate at[i] if shown
        spans = [span for span, ok in zip(found, shown, strict=True) if ok]
        joined = [i for i in range(len(found) - 1) if shown[i] and shown[i + 1]]
        pairs = [(found[i][0], found[i + 1][1]) for i in joined]
        candidates = spans + pairs
        if not candidates:
            return {label: [] for label in self.labels}
        shares = self.mixture.shares(whole[:, e:], len(self.labels))[0]
        # what a span adds to each label's experts' calibrated logits, weighted as they are mixed
        slope = shares * self.mixture.scale[:, None]
        parts = [text[a:b] for a, b in candidates]
        contrib = self.linear(parts, with_bias=False, within=text)[:, :e] @ slope
        # a pair counts only for what it adds beyond its two words
        for n, i in enumerate(joined):
            words = np.maximum(contrib[at[i]], 0) + np.maximum(contrib[at[i] + 1], 0)
            contrib[len(spans) + n] -= words
        return {
            label: _pick(text, candidates, contrib[:, k], top) if k in raised else []
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
        if self.hold is not None:
            meta["hold"] = [float(h) for h in self.hold]
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
            hold=(
                tuple(float(h) for h in _vector(meta["hold"], len(meta["labels"]), np.float64))
                if "hold" in meta
                else None
            ),
        )


def project(weights: F32, hits: Hits, values: F32) -> F32:
    """(texts, columns): each text's hits' values times their rows of ``weights``, summed.

    Scoring runs ``classifiers.compiled`` instead; this serves the parts of a text that
    ``explain`` weighs, and the tests' reference. A few texts take a dense (texts x hits)
    product: building a sparse matrix costs 40-60 us whatever its size, the dense one 15-25
    us up to 4 texts; from about 9 texts on the sparse product wins.

    The rows are gathered with ``np.take``, not ``weights[cols]``: the same rows, in half the
    time (one comment, 552 hits: 5 against 10 us with the rows in cache, 35 against 74 us
    with them in memory, as they are in the service between two batches; docs/performance.md).
    """
    n = hits.n_rows
    if n == 1:  # a plain gather
        one: F32 = (values @ np.take(weights, hits.cols, axis=0))[None, :]
        return one
    if n <= _DENSE_ROWS:
        spread = np.zeros((n, values.size), dtype=np.float32)
        spread[hits.rows, np.arange(values.size)] = values
        dense: F32 = spread @ np.take(weights, hits.cols, axis=0)
        return dense
    m = sp.coo_matrix((values, (hits.rows, hits.cols)), shape=(n, weights.shape[0]))
    return np.asarray(m @ weights, dtype=np.float32)


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


def _shown(word: str) -> bool:
    """Whether a token may be shown as evidence: not a function word, not a short number."""
    if _NUMBER.fullmatch(word):
        return sum(c.isdigit() for c in word) >= 8  # a phone number, not "113" or "2024"
    return word.lower() not in STOP_WORDS


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
