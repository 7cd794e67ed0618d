"""Train the shipped model: ``python -m classifiers.train [--data DIR] [--out DIR]``.

1. Featurise every text once (hashed n-grams, IDF from the train splits).
2. Fit one logistic-regression expert per data set and label on that set's train split
   (some also on a neighbouring set's rows at half weight, see ``TrainConfig.borrow``;
   most on NB-weighted features, see ``TrainConfig.nb_powers``), and, by 3-fold
   cross-fitting, get each expert's out-of-fold logits on its own rows.
3. Calibrate each expert (Platt) on those out-of-fold logits, and fit a gate (which data set
   does a text resemble?) on the train splits; see ``classifiers.model.Mixture``.
   Dev splits are used only to pick C and the NB power, and to report.
Fixed seeds and a version derived from data, config and code, so the same inputs give the
same model.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from classifiers import MODEL_DIR
from classifiers.datasets import LABELS, Example, default_root, key, load, own_examples
from classifiers.features import Config, Featurizer, Hits, Weighting
from classifiers.model import CURRENT, Mixture, Model
from classifiers.normalize import strip_diacritics

VI_SOURCES = frozenset({"vihsd", "victsd", "vihos", "vithsd", "vispamreviews", "news_comments"})
RELEASE = "2026.11-1"
F32 = npt.NDArray[np.float32]

# expert name -> (label, source)
EXPERTS: dict[str, tuple[str, str]] = {
    "vihsd_abuse": ("abuse", "vihsd"),
    "victsd_toxic": ("abuse", "victsd"),
    "vihos_span": ("abuse", "vihos"),
    "vithsd_abuse": ("abuse", "vithsd"),
    "davidson_abuse": ("abuse", "davidson"),
    "olid_offensive": ("abuse", "olid"),
    "news_abuse": ("abuse", "news_comments"),
    "news_hate": ("hate", "news_comments"),
    "vihsd_hate": ("hate", "vihsd"),
    "vithsd_hate": ("hate", "vithsd"),
    "davidson_hate": ("hate", "davidson"),
    "youtube_spam": ("spam", "youtube"),
    "sms_spam": ("spam", "sms"),
    "vispam_spam": ("spam", "vispamreviews"),
    "news_spam": ("spam", "news_comments"),
}

# expert name -> ((data set, sample weight), ...): see TrainConfig.borrow
BORROW: dict[str, tuple[tuple[str, float], ...]] = {
    "sms_spam": (("youtube", 0.5),),
    "vihsd_abuse": (("vihos", 0.5), ("vithsd", 0.5)),
    "vihos_span": (("vihsd", 0.5),),
    "vithsd_abuse": (("vihsd", 0.5),),
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that shapes the model besides the data."""

    features: Config = field(default_factory=lambda: Config(bits=19))
    word_weight: float = 2.5  # dev: 1.0 -> 2.5 lifts ViHSD 0.914 -> 0.920, ViCTSD 0.816 -> 0.825
    strip_share: float = 0.3
    c_grid: tuple[float, ...] = (2.0, 8.0)
    folds: int = 3
    gate_alpha: float = 2e-6
    # per label (spam, abuse, hate): the gate's logits times this before its softmax. Dev
    # (vs 1): spam 0.5 lifts YouTube 0.932 -> 0.964, SMS 0.990 -> 0.994, ViSpamReviews
    # 0.815 -> 0.821; hate 0.35 lifts ViHSD 0.882 -> 0.900, ViTHSD 0.784 -> 0.806; abuse
    # stays 1 (lower costs ViCTSD). Own news comments, out of fold: clean ones called spam
    # 14 -> 11 of 504, spam caught 450 -> 440 of 606. Since NB weighting, borrowing and the
    # ViCTSD odds shift, abuse 0.5 beats 1 on both sets (dev, model 7feb840bda, gate alone
    # changed: ViCTSD 0.833 -> 0.836, ViHSD 0.907 -> 0.911); 0.3 gives ViCTSD back (0.834).
    gate_temperature: tuple[float, float, float] = (0.5, 0.5, 0.35)
    anchors: tuple[str, ...] = ("victsd", "news_comments")
    # labels for which an anchor set that never has the label gets a constant expert (see
    # ``prior_experts``). Not hate: ViHSD texts the gate sends partly to ViCTSD had their hate
    # pulled towards ViCTSD's prior of 0 (dev, model 7feb840bda without that expert: ViHSD
    # hate 0.900 -> 0.909); ViCTSD's spam prior stays (news comments are not spam).
    prior_labels: tuple[str, ...] = ("spam",)
    experts: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(EXPERTS))
    seed: int = 13
    # NB-LR feature weighting (Wang & Manning 2012): each expert's features are scaled by
    # |r|**power, r the log-count ratio of feature presence in that expert's positive and
    # negative train rows (smoothed by nb_alpha, capped at nb_clip), and the scale is folded
    # into the expert's weights, so scoring costs nothing more. Each expert picks its power
    # from nb_powers together with C on dev (0: a plain logistic regression). Dev, mixture:
    # ViCTSD 0.824 -> 0.835, ViHSD hate 0.900 -> 0.906, YouTube 0.964 -> 0.974, ViHOS
    # 0.935 -> 0.944. nb_plain experts stay plain: ViSpamReviews' expert gains alone
    # (0.874 -> 0.878) but costs the mixture on its set (0.821 -> 0.812), and its NB fit
    # is the slowest of all (liblinear needs minutes to converge).
    nb_powers: tuple[float, ...] = (0.0, 0.5)
    nb_plain: tuple[str, ...] = ("vispam_spam",)
    nb_alpha: float = 0.5
    nb_clip: float = 4.0
    # expert name -> other data sets whose train rows it also learns from, at half weight:
    # the gate misplaces texts among similar sets (a quarter of YouTube's comments; ViHSD,
    # ViHOS and ViTHSD share comments), so an expert that also knows its neighbours' rows
    # ranks the texts it is handed by mistake. Dev, mixture: YouTube 0.974 -> 0.991, ViHOS
    # 0.944 -> 0.948, ViCTSD 0.835 -> 0.838, ViHSD 0.908 -> 0.909; SMS 0.995 -> 0.994, spam
    # false alarms on Davidson's tweets 9.6% -> 11.1% (tweets with links). The news spam
    # expert does not borrow YouTube's rows: it learnt links as spam's mark and held 4 more
    # of bench/feedback_demo.py's 36 news comments that cite a site or a hotline.
    borrow: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=lambda: dict(BORROW))
    # data sets whose train rows (both classes) every expert of a label they know learns from,
    # at this weight: our own news comments carry what no public set teaches (group hate
    # without slurs, threats, betting brands; and that criticism, mild swearing and citing a
    # source are fine), and an expert the gate hands such a text must know it. Their clean
    # rows are anchors anyway (``anchors``); this adds their positives.
    # ViCTSD's expert learns them only as anchors: their positives (threats, group hate)
    # cost its dev ROC AUC 0.835 -> 0.825 alone (its notion of toxic is its own), and the gate
    # sends texts like them to the news_comments experts anyway.
    shared: tuple[str, ...] = ("news_comments",)
    shared_weight: float = 1.0
    shared_except: tuple[str, ...] = ("victsd_toxic",)
    # experts without dev rows (our own examples have none) take this C and NB power instead
    # of the grid's first: chosen on the probes (classifiers/probes, never trained on), the
    # news abuse expert alone ranks threats and group hate above criticism, mild swearing,
    # clean comments and citations at ROC AUC 0.994 with (2, 0), 0.996 with (8, 0.5)
    undeveloped: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"news_abuse": (8.0, 0.5), "news_hate": (8.0, 0.5)}
    )
    # expert -> odds multiplier on its calibrated probability (a prior shift): one hold
    # threshold must serve news comments and social media, and at calibrated probabilities
    # ViCTSD's news comments needed abuse 0.2 for their toxic recall while ViHSD's clean
    # comments needed 0.35 to stay held under 12%. Raising ViCTSD's odds 2.5x lets 0.35 do
    # both (dev, model 82b9b6c197: ViCTSD 47% of toxic published at 10% of clean held,
    # ViHSD 29% / 11%, against 64% / 4% and 30% / 11% without); ViCTSD's calibration plot
    # shows it.
    expert_odds: dict[str, float] = field(default_factory=lambda: {"victsd_toxic": 2.5})


def augment(examples: list[Example], share: float, seed: int) -> list[Example]:
    """Add diacritics-free copies of a share of Vietnamese training texts."""
    rng = random.Random(seed)
    extra = [
        replace(e, text=strip_diacritics(e.text))
        for e in examples
        if e.split == "train" and e.source in VI_SOURCES and rng.random() < share
    ]
    return examples + extra


def all_hits(featurizer: Featurizer, texts: list[str]) -> Hits:
    """Features of every text, in batches, with a progress bar."""
    parts = []
    for i in tqdm(range(0, len(texts), 4096), desc="features", unit="batch", file=sys.stderr):
        parts.append((i, featurizer.hits(texts[i : i + 4096])))
    return Hits(
        np.concatenate([h.rows + i for i, h in parts]),
        np.concatenate([h.cols for _, h in parts]),
        np.concatenate([h.is_char for _, h in parts]),
        len(texts),
    )


def subset(hits: Hits, rows: npt.NDArray[np.bool_]) -> Hits:
    """The hits of the rows where ``rows`` is true, renumbered."""
    keep = rows[hits.rows]
    new_index = np.cumsum(rows) - 1
    return Hits(
        new_index[hits.rows[keep]],
        hits.cols[keep],
        hits.is_char[keep],
        int(rows.sum()),
    )


@dataclass
class Expert:
    """A fitted expert with its calibration from out-of-fold logits."""

    name: str
    coef: F32
    bias: float
    scale: float
    shift: float
    c: float
    dev_auc: float
    nb_power: float = 0.0


class Trainer:
    """Fits experts and combiner over one feature matrix."""

    def __init__(self, examples: list[Example], cfg: TrainConfig) -> None:
        self.cfg = cfg
        self.examples = augment(examples, cfg.strip_share, cfg.seed)
        self.featurizer = Featurizer(cfg.features)
        hits = all_hits(self.featurizer, [e.text for e in self.examples])
        is_train = np.array([e.split == "train" for e in self.examples])
        self.weighting = Weighting.fit(
            subset(hits, is_train), self.featurizer.n_features, cfg.word_weight
        )
        self.x = self.weighting.matrix(hits)
        self.train_rows = is_train
        self.sources = np.array([e.source for e in self.examples])
        # folds by the text without diacritics: a text and its augmented copy (the same
        # plain channel) share a fold, so out-of-fold logits for calibration stay out of fold
        keys = [key(strip_diacritics(e.text)) for e in self.examples]
        self.fold = np.array([hashlib.sha256(k.encode()).digest()[0] % cfg.folds for k in keys])

    def labels(self, label: str) -> npt.NDArray[np.int64]:
        return np.array([-1 if e.label(label) is None else e.label(label) for e in self.examples])

    def fit_expert(self, name: str, label: str, source: str) -> Expert:
        """Choose C on dev, fit on train, calibrate on out-of-fold train logits."""
        y = self.labels(label)
        mine = (self.sources == source) & (y >= 0)
        # clean news comments as extra negatives: every expert learns what our users' ordinary
        # comments look like, so one set's topical quirks ("chính quyền" in ViHSD hate,
        # prices in e-commerce review spam) do not flag them
        anchor = np.isin(self.sources, self.cfg.anchors) & (self.sources != source) & (y == 0)
        # rows borrowed from neighbouring sets, both labels, at their own sample weight
        lent = np.zeros(len(self.examples), dtype=bool)
        weight = np.ones(len(self.examples), dtype=np.float64)
        for other in self.cfg.shared:
            if other != source and name not in self.cfg.shared_except:
                theirs = (self.sources == other) & (y >= 0)
                lent |= theirs
                weight[theirs] = self.cfg.shared_weight
        for other, share in self.cfg.borrow.get(name, ()):
            theirs = (self.sources == other) & (y >= 0)
            lent |= theirs
            weight[theirs] = share
        train = np.flatnonzero((mine | anchor | lent) & self.train_rows)
        w = None if bool(np.all(weight[train] == 1.0)) else weight
        dev = np.flatnonzero(mine & ~self.train_rows)
        best: tuple[float, float, float, F32, float] | None = None
        powers = (0.0,) if name in self.cfg.nb_plain else self.cfg.nb_powers
        c_grid = self.cfg.c_grid
        if not len(dev) and name in self.cfg.undeveloped:
            c_grid, power = self.cfg.undeveloped[name][:1], self.cfg.undeveloped[name][1]
            powers = (power,)
        for power in powers:
            x, scale = self._scaled(power, train, y, w)  # the same for every C
            for c in c_grid:
                coef, bias = self._fit_scaled(c, x, scale, train, y, w)
                auc = float(roc_auc_score(y[dev], self.x[dev] @ coef + bias)) if len(dev) else 0.0
                if best is None or auc > best[0]:
                    best = (auc, c, power, coef, bias)
        assert best is not None
        auc, c, power, coef, bias = best
        oof = np.zeros(train.size, dtype=np.float32)
        for k in range(self.cfg.folds):
            held = self.fold[train] == k
            # the NB scale is recomputed inside the fold: the held rows' labels stay unseen
            part_coef, part_bias = self._fit(c, power, train[~held], y, w)
            oof[held] = self.x[train[held]] @ part_coef + part_bias
        own = self.sources[train] == source  # calibrate on the set's own label balance
        platt = LogisticRegression(C=1e4).fit(oof[own, None], y[train][own])
        print(f"  {name}: C={c:g} NB power={power:g} dev AUC={auc:.4f}", file=sys.stderr)
        return Expert(
            name,
            coef,
            bias,
            float(platt.coef_[0, 0]),
            float(platt.intercept_[0]) + float(np.log(self.cfg.expert_odds.get(name, 1.0))),
            c,
            auc,
            power,
        )

    def nb_scale(
        self,
        power: float,
        rows: npt.NDArray[np.int64],
        y: npt.NDArray[np.int64],
        weight: npt.NDArray[np.float64] | None = None,
    ) -> F32:
        """|r|**power per feature, r = log(p / |p|) - log(q / |q|) of feature presence
        counts (weighted by ``weight``) in the positive (p) and negative (q) rows,
        smoothed by nb_alpha."""
        present = (self.x[rows] > 0).astype(np.float64)
        pos = y[rows] == 1
        w = np.ones(rows.size) if weight is None else weight[rows]
        a = self.cfg.nb_alpha
        p = a + present[pos].T @ w[pos]
        q = a + present[~pos].T @ w[~pos]
        r = np.log(p / p.sum()) - np.log(q / q.sum())
        scale: F32 = (np.minimum(np.abs(r), self.cfg.nb_clip) ** power).astype(np.float32)
        return scale

    def _fit(
        self,
        c: float,
        power: float,
        rows: npt.NDArray[np.int64],
        y: npt.NDArray[np.int64],
        weight: npt.NDArray[np.float64] | None = None,
    ) -> tuple[F32, float]:
        """An LR on ``rows`` (NB-scaled if configured, rows weighted by ``weight``);
        weights for unscaled features."""
        return self._fit_scaled(c, *self._scaled(power, rows, y, weight), rows, y, weight)

    def _scaled(
        self,
        power: float,
        rows: npt.NDArray[np.int64],
        y: npt.NDArray[np.int64],
        weight: npt.NDArray[np.float64] | None,
    ) -> tuple[sp.csr_matrix, F32 | None]:
        """The features of ``rows``, NB-scaled when ``power`` is set, and the scale."""
        x = self.x[rows]
        if not power:
            return x, None
        # fitted on these rows only: out-of-fold logits stay out of fold
        scale = self.nb_scale(power, rows, y, weight)
        return x @ sp.diags(scale), scale

    def _fit_scaled(
        self,
        c: float,
        x: sp.csr_matrix,
        scale: F32 | None,
        rows: npt.NDArray[np.int64],
        y: npt.NDArray[np.int64],
        weight: npt.NDArray[np.float64] | None,
    ) -> tuple[F32, float]:
        """``_fit`` on features ``_scaled`` gave."""
        clf = self._lr(c).fit(x, y[rows], sample_weight=None if weight is None else weight[rows])
        coef = clf.coef_[0].astype(np.float32)
        if scale is not None:
            coef = coef * scale  # w . (x * s) = (w * s) . x
        return coef, float(clf.intercept_[0])

    def _lr(self, c: float) -> LogisticRegression:
        return LogisticRegression(
            C=c, solver="liblinear", tol=1e-3, max_iter=100, random_state=self.cfg.seed
        )

    def fit_gate(self, sources: list[str]) -> tuple[F32, F32]:
        """One-vs-rest logistic gates over ``sources``, fitted on balanced train rows."""
        rows = np.flatnonzero(self.train_rows & np.isin(self.sources, sources))
        if len(sources) == 1:
            return np.zeros((self.x.shape[1], 1), dtype=np.float32), np.zeros(1, dtype=np.float32)
        clf = SGDClassifier(
            loss="log_loss",
            alpha=self.cfg.gate_alpha,
            max_iter=30,
            tol=None,
            class_weight="balanced",
            random_state=self.cfg.seed,
        )
        clf.fit(self.x[rows], self.sources[rows])
        if len(sources) == 2:  # sklearn gives one column for two classes
            coef = np.vstack((-clf.coef_[0], clf.coef_[0])) / 2
            bias = np.array([-clf.intercept_[0], clf.intercept_[0]]) / 2
        else:
            coef, bias = clf.coef_, clf.intercept_
        order = [list(clf.classes_).index(s) for s in sources]
        return coef[order].T.astype(np.float32), bias[order].astype(np.float32)


def data_hash(examples: list[Example]) -> str:
    """A digest of every text, label and split used."""
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.source}\t{e.split}\t{e.spam}\t{e.abuse}\t{e.hate}\t{e.text}\n".encode())
    return h.hexdigest()


# modules that only read a trained model (reports, verdicts): not part of its version
REPORTING = frozenset({"eval.py", "verdicts.py"})


def code_hash() -> str:
    """A digest of the package's code, so a change of features changes the version."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name not in REPORTING:
            h.update(path.read_bytes())
    return h.hexdigest()


def prior_experts(
    t: Trainer, sources: list[str], have: set[tuple[str, str]]
) -> list[tuple[str, str, str, Expert]]:
    """Constant experts for anchor sets that know a label of ``prior_labels`` but only ever
    say no (ViCTSD news comments are never spam): texts like them get that prior, not another
    set's rules."""
    out = []
    for label in (label for label in LABELS if label in t.cfg.prior_labels):
        y = t.labels(label)
        for source in (s for s in sources if s in t.cfg.anchors):
            rows = (t.sources == source) & (y >= 0) & t.train_rows
            if (label, source) in have or not rows.any() or len(set(y[rows])) > 1:
                continue
            prior = (y[rows].sum() + 1) / (rows.sum() + 2)
            shift = float(np.log(prior / (1 - prior)))
            zeros = np.zeros(t.x.shape[1], dtype=np.float32)
            name = f"{source}_{label}_prior"
            out.append((name, label, source, Expert(name, zeros, 0.0, 0.0, shift, 0.0, 0.0)))
    return out


def train(examples: list[Example], cfg: TrainConfig) -> tuple[Model, dict[str, object]]:
    """Fit experts and combiner on ``examples``; returns the model and a summary."""
    config_text = json.dumps(asdict(cfg), sort_keys=True, default=str)
    digest = hashlib.sha256((data_hash(examples) + config_text + code_hash()).encode()).hexdigest()
    t = Trainer(examples, cfg)
    spec = {n: ls for n, ls in cfg.experts.items() if (t.sources == ls[1]).any()}
    names = list(spec)
    experts = [t.fit_expert(n, *spec[n]) for n in tqdm(names, desc="experts", file=sys.stderr)]
    sources = sorted({source for _, source in spec.values()})
    for name, label, source, expert in prior_experts(t, sources, set(spec.values())):
        names.append(name)
        experts.append(expert)
        spec[name] = (label, source)
    gate_w, gate_b = t.fit_gate(sources)
    weights = np.hstack((np.stack([e.coef for e in experts], axis=1), gate_w))
    model = Model(
        version=f"{RELEASE}+{digest[:10]}",
        featurizer=t.featurizer,
        weighting=t.weighting,
        experts=tuple(names),
        sources=tuple(sources),
        weights=weights.astype(np.float16).astype(np.float32),
        bias=np.concatenate(([e.bias for e in experts], gate_b)).astype(np.float32),
        mixture=Mixture(
            scale=np.array([e.scale for e in experts], dtype=np.float32),
            shift=np.array([e.shift for e in experts], dtype=np.float32),
            expert_source=np.array([sources.index(spec[n][1]) for n in names]),
            expert_label=np.array([LABELS.index(spec[n][0]) for n in names]),
            temperature=np.array(cfg.gate_temperature, dtype=np.float32),
        ),
    )
    summary: dict[str, object] = {
        "version": model.version,
        "examples": dict(sorted(Counter(f"{e.source}/{e.split}" for e in t.examples).items())),
        "experts": {
            e.name: {"C": e.c, "nb_power": e.nb_power, "dev_auc": round(e.dev_auc, 4)}
            for e in experts
        },
    }
    return model, summary


QUICK = TrainConfig(features=Config(bits=16), c_grid=(4.0,))
QUICK_ROWS = (600, 150)  # train and dev rows kept per data set by --quick


def quick_subset(examples: list[Example]) -> list[Example]:
    """A fixed small sample of each data set (the project's own examples all kept)."""
    kept: Counter[tuple[str, str]] = Counter()
    out = []
    for e in sorted(examples, key=lambda e: hashlib.sha256(e.text.encode()).digest()):
        limit = QUICK_ROWS[e.split == "dev"]
        if e.source == "news_comments" or kept[e.source, e.split] < limit:
            kept[e.source, e.split] += 1
            out.append(e)
    return out


def _label_cell(value: object) -> int | None:
    """0 or 1 from a labels file; None (no label) for an empty cell or null."""
    if value is None or value == "":
        return None
    number = int(str(value))
    if number not in (0, 1):
        raise ValueError(f"a label is 0, 1 or empty, not {value!r}")
    return number


def _label_rows(path: Path) -> Iterator[dict[str, object]]:
    """Rows of a labels file: JSON lines, or CSV with a header (by the name's ending)."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)
        return
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def decision_examples(path: Path, weight: int, source: str = "news_comments") -> list[Example]:
    """Moderators' labels (``moderation export-labels``) as news-comment training rows.

    Each row counts ``weight`` times: a few dozen corrections must be able to outweigh the
    thousands of base examples that taught the model the opposite.
    """
    out = []
    for row in _label_rows(path):
        text = str(row["text"])
        labels = {k: _label_cell(row.get(k)) for k in LABELS}
        if text.strip() and any(v is not None for v in labels.values()):
            out += [Example(text, source, "train", **labels)] * weight
    return out


def labels_digest(examples: list[Example]) -> str:
    """A short digest of the decisions trained on, for the model's version."""
    return hashlib.sha256(data_hash(examples).encode()).hexdigest()[:8]


def retrain(
    base: list[Example], decided: list[Example], cfg: TrainConfig, tag: str = ""
) -> tuple[Model, dict[str, object]]:
    """Train on base examples plus decisions; the version ends in `.fb<digest of the labels>`."""
    model, summary = train(base + decided, cfg)
    version = model.version + tag + (f".fb{labels_digest(decided)}" if decided else "")
    summary["version"] = version
    return replace(model, version=version), summary


def save_versioned(model: Model, into: Path) -> Path:
    """Write the model to ``into/<version>/`` and point ``into/CURRENT`` at it atomically.

    A service loading ``into`` (``classifiers.load_dir``) sees the old model or the new
    one, never a half-written one.
    """
    folder = into / model.version
    if not (folder / "model.json").exists():  # the same version is the same model
        staging = into / f".{model.version}.{os.getpid()}"
        model.save(staging)
        os.replace(staging, folder)
    pointer = into / f".CURRENT.{os.getpid()}"
    pointer.write_text(model.version + "\n", encoding="utf-8")
    os.replace(pointer, into / CURRENT)
    return folder


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="classifiers.train", description=__doc__)
    parser.add_argument("--data", type=Path, default=default_root(), help="the shared data folder")
    parser.add_argument("--out", type=Path, help="where to write the model (default: shipped)")
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        help="more labelled CSV files (text,spam,abuse,hate) of the project's own examples",
    )
    parser.add_argument(
        "--with-decisions",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="moderators' labels (moderation export-labels: JSON lines, or .csv)",
    )
    parser.add_argument(
        "--decision-weight", type=int, default=5, help="how many times each label counts (5)"
    )
    parser.add_argument(
        "--into",
        type=Path,
        help="a model directory: write INTO/<version>/ and point INTO/CURRENT at it",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small sample, fewer features: seconds, not minutes"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = _arguments()
    args = parser.parse_args(argv)
    if args.data is None or not (args.data / "CARD.md").exists():
        parser.error("no data folder: pass --data (the shared data sets)")
    if args.decision_weight < 1:
        parser.error("--decision-weight must be at least 1")
    if args.with_decisions and not (args.into or args.out):
        parser.error("--with-decisions needs --into DIR (or --out DIR): not over the shipped model")
    started = time.perf_counter()
    examples = load(args.data)
    for path in args.extra:
        examples.extend(own_examples(path))
    if args.quick:
        examples = quick_subset(examples)
    weight = args.decision_weight
    decided = [e for p in args.with_decisions for e in decision_examples(p, weight)]
    cfg = QUICK if args.quick else TrainConfig()
    model, summary = retrain(examples, decided, cfg, ".quick" if args.quick else "")
    summary["decisions"] = len(decided) // weight
    if args.into:
        folder = save_versioned(model, args.into)
    else:
        folder = args.out or MODEL_DIR
        model.save(folder)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
