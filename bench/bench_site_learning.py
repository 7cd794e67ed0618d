"""Per-site learning, leave one data set out: ``python bench/bench_site_learning.py``.

For each held-out data set X: a base model trained (by ``classifiers.train.train``) without
any text of X, then a simulated site whose moderators decided k random comments of X's train
split; scored on X's dev split (ROC AUC) by the base, the issue's plain adapter (TF-IDF
logistic regression over the decided comments plus the base's logit as a feature) and
``classifiers.adapter`` (as adopted, and "forced": kept whatever its out-of-fold figures,
which tells what the adoption rule costs).  Bases are cached under ``bench/.cache/``
(ignored by git).

Modes: ``--build-only`` trains the bases; ``--cost`` measures scoring cost with an adapter;
``--train-cpu`` measures training CPU per 1,000 decisions; ``--permuted`` counts adoptions
on sites whose labels were shuffled (each one a false adoption).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core: BLAS must not spread (set before numpy)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass, field, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.pipeline import make_union  # noqa: E402

from classifiers import load_default  # noqa: E402
from classifiers.adapter import (  # noqa: E402
    Adapter,
    AdapterConfig,
    BasePass,
    LabelFigures,
    base_pass,
    train_adapter,
)
from classifiers.datasets import Example, default_root, key, load  # noqa: E402
from classifiers.model import Model  # noqa: E402
from classifiers.train import TrainConfig, train  # noqa: E402

F64 = npt.NDArray[np.float64]

CACHE = Path(__file__).parent / ".cache" / "site_learning"
# held-out set -> the labels its simulated site's moderators decide
HELD: dict[str, tuple[str, ...]] = {
    "youtube": ("spam",),
    "sms": ("spam",),
    "vispamreviews": ("spam",),
    "vihsd": ("abuse", "hate"),
    "vithsd": ("abuse", "hate"),
    "victsd": ("abuse",),
}
DEFAULT_HELD = ("youtube", "sms", "vispamreviews", "vihsd")
BASE_CODE = ("datasets.py", "features.py", "model.py", "normalize.py", "train.py")
KS = (50, 200, 500, 1000, 3000)
# The leave-one-out bases: the shipped features (2^19 columns, words weighted 2.5) and every
# data set but X, with one C and one NB power per expert instead of a grid (a quarter of the
# fits of a full run; the shipped model picks C=2 and power 0.5 for most experts).
BASE_CONFIG = TrainConfig(c_grid=(2.0,), nb_powers=(0.5,))
QUICK_ROWS = 4000  # --quick: at most this many train rows per data set (the same features)


def split_examples(examples: list[Example], held: str) -> tuple[list[Example], list[Example]]:
    """(the base's examples: no text of ``held`` anywhere, ``held``'s own examples).

    ViHOS and ViTHSD reuse ViHSD's comments: a text of X in another set would teach the base
    about X, so every text that X holds (either split) leaves every other set too (without
    ViHSD, ViHOS and ViTHSD have no train rows left, and go).
    """
    mine = [e for e in examples if e.source == held]
    theirs = {key(e.text) for e in mine}
    rest = [e for e in examples if e.source != held and key(e.text) not in theirs]
    # a set left without train rows (ViHOS and ViTHSD without ViHSD) can train no expert
    kept = {e.source for e in rest if e.split == "train"}
    return [e for e in rest if e.source in kept], mine


def base_code_hash() -> str:
    """A digest of the code that trains a base (not the adapter's, which changes nothing)."""
    h = hashlib.sha256()
    for name in BASE_CODE:
        h.update((Path(train.__code__.co_filename).parent / name).read_bytes())
    return h.hexdigest()


def quick_rows(examples: list[Example]) -> list[Example]:
    """At most QUICK_ROWS train rows of each data set (a fixed sample), every dev row."""
    kept: dict[str, int] = {}
    out = []
    for e in sorted(examples, key=lambda e: hashlib.sha256(e.text.encode()).digest()):
        if e.split == "train":
            kept[e.source] = kept.get(e.source, 0) + 1
            if kept[e.source] > QUICK_ROWS:
                continue
        out.append(e)
    return out


def base_for(examples: list[Example], held: str, quick: bool) -> Model:
    """The base trained without ``held``, from the cache when the same code built it."""
    cfg = BASE_CONFIG
    text = json.dumps(asdict(cfg), sort_keys=True, default=str) + base_code_hash() + held
    text += f"quick {QUICK_ROWS}" if quick else ""
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    folder = CACHE / f"{held}{'-quick' if quick else ''}-{digest}"
    if (folder / "model.json").exists():
        return Model.load(folder)
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    rest, _ = split_examples(examples, held)
    if quick:
        rest = quick_rows(rest)
    started = time.process_time()
    model, _ = train(rest, cfg)
    print(f"base without {held}: {time.process_time() - started:.0f} s CPU", file=sys.stderr)
    model.save(folder)
    return Model.load(folder)  # float16 weights, as shipped


def plain_adapter(
    texts: list[str], y: npt.NDArray[np.int64], base: F64, new: list[str], new_base: F64
) -> F64:
    """The issue's plain adapter: a TF-IDF logistic regression over the decided comments with
    the base model's logit as one more feature (the TF-IDF recipe of ``classifiers.eval``'s
    baseline: words 1-2 and characters 2-5, sublinear tf, C=4; min_df 1 for small sites)."""
    vec = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    x = sp.hstack((vec.fit_transform(texts), base[:, None]), format="csr")
    clf = LogisticRegression(C=4.0, max_iter=1000).fit(x, y)
    out: F64 = clf.decision_function(sp.hstack((vec.transform(new), new_base[:, None]), "csr"))
    return out


def hashed(model: Model, bp: BasePass, bits: int = 16) -> sp.csr_matrix:
    """The base's hashed features of a pass, folded into ``2**bits`` columns as an adapter
    folds them."""
    h = bp.hits
    cols = h.cols >> (model.featurizer.config.bits - bits)
    x = sp.csr_matrix((bp.values, (h.rows, cols)), shape=(h.n_rows, 1 << bits))
    return x


def plain_on_hashed(
    model: Model, train: BasePass, y: npt.NDArray[np.int64], dev: BasePass, k: int
) -> F64:
    """The plain adapter's learner on the adapter's features: a logistic regression (C=4)
    over the base's hashed features plus the base's logit. Tells the learner's share of a
    difference from the features' share."""
    x = sp.hstack((hashed(model, train), logit(train.p[:, k])[:, None]), format="csr")
    clf = LogisticRegression(C=4.0, max_iter=1000).fit(x, y)
    new = sp.hstack((hashed(model, dev), logit(dev.p[:, k])[:, None]), format="csr")
    out: F64 = clf.decision_function(new)
    return out


def logit(p: npt.NDArray[Any]) -> F64:
    q = np.clip(p.astype(np.float64), 1e-6, 1 - 1e-6)
    out: F64 = np.log(q / (1 - q))
    return out


@dataclass
class Cell:
    """Dev ROC AUC of each scorer over the repetitions of one (set, label, k)."""

    base: list[float] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)
    plain_hashed: list[float] = field(default_factory=list)  # the same LR on the base's features
    adapter: list[float] = field(default_factory=list)  # as adopted (the base when not)
    forced: list[float] = field(default_factory=list)  # the adapter even when not adopted
    adopted: list[bool] = field(default_factory=list)
    oof_base: list[float] = field(default_factory=list)
    oof_adapted: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    plain_cpu: list[float] = field(default_factory=list)


def site_curve(
    model: Model,
    mine: list[Example],
    label: str,
    ks: tuple[int, ...],
    repeats: int,
    cfg: AdapterConfig,
) -> dict[int, Cell]:
    """A simulated site of ``mine``'s train split, judged on its dev split, for each k."""
    rows = [e for e in mine if e.label(label) is not None]
    train_rows = [e for e in rows if e.split == "train"]
    dev = [e for e in rows if e.split == "dev"]
    y_train = np.array([e.label(label) for e in train_rows], dtype=np.int64)
    y_dev = np.array([e.label(label) for e in dev], dtype=np.int64)
    k_label = model.labels.index(label)
    dev_texts = [e.text for e in dev]
    dev_pass = base_pass(model, dev_texts)
    dev_base = dev_pass.p[:, k_label]
    train_pass = base_pass(model, [e.text for e in train_rows])
    train_base = logit(train_pass.p[:, k_label])
    forced_cfg = replace(cfg, margin=-1.0, confidence=0.0)
    out: dict[int, Cell] = {}
    for k in ks:
        if k > len(train_rows):
            continue
        cell = out.setdefault(k, Cell())
        for r in range(repeats):
            pick = np.random.default_rng(1000 * r + k).choice(len(train_rows), k, replace=False)
            y = y_train[pick]
            if len(set(y.tolist())) < 2:
                continue
            texts = [train_rows[i].text for i in pick]
            cell.base.append(auc(y_dev, dev_base))
            started = time.process_time()
            plain = plain_adapter(texts, y, train_base[pick], dev_texts, logit(dev_base))
            cell.plain_cpu.append(time.process_time() - started)
            cell.plain.append(auc(y_dev, plain))
            hashed = plain_on_hashed(
                model, train_pass.take(sorted(pick)), y[np.argsort(pick)], dev_pass, k_label
            )
            cell.plain_hashed.append(auc(y_dev, hashed))
            started = time.process_time()
            result = train_adapter(model, texts, {label: y.tolist()}, config=forced_cfg)
            cell.cpu.append(time.process_time() - started)
            fig = result.figures[label]
            forced = result.adapter.adapt(model, dev_pass)[:, k_label]
            cell.forced.append(auc(y_dev, forced))
            cell.adopted.append(
                fig.adapted_auc is not None
                and fig.base_auc is not None
                and fig.sure is not None
                and fig.loss_sure is not None
                and cfg.adopts(fig.base_auc, fig.adapted_auc, fig.sure, fig.loss_sure)
            )
            cell.adapter.append(cell.forced[-1] if cell.adopted[-1] else cell.base[-1])
            if fig.base_auc is not None and fig.adapted_auc is not None:
                cell.oof_base.append(fig.base_auc)
                cell.oof_adapted.append(fig.adapted_auc)
    return out


def auc(y: npt.NDArray[Any], s: npt.NDArray[Any]) -> float:
    return float(roc_auc_score(y, s))


def mean(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.3f}" if xs else "-"


def adapter_config(settings: list[str]) -> AdapterConfig:
    """AdapterConfig() with ``--adapter NAME=VALUE`` settings (e.g. ``counts=false``)."""
    cfg = AdapterConfig()
    for setting in settings:
        name, _, text = setting.partition("=")
        if not hasattr(cfg, name) or not text:
            raise SystemExit(f"--adapter {setting!r}: expected NAME=VALUE, NAME a field of it")
        default = getattr(cfg, name)
        value: Any
        if isinstance(default, bool):
            value = text.lower() in ("1", "true", "yes", "on")
        elif isinstance(default, tuple):
            value = tuple(float(v) for v in text.split(","))
        else:
            value = type(default)(text)
        cfg = replace(cfg, **{name: value})
    return cfg


def curves(args: argparse.Namespace) -> None:
    examples = load(args.data)
    lines = [
        "| held out | label | k | base | plain adapter | plain, hashed | adapter | forced | adopted"
        " | OOF base -> adapted | CPU s (adapter / plain) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for held in args.held:
        model = base_for(examples, held, args.quick)
        _, mine = split_examples(examples, held)
        for label in HELD[held]:
            for k, c in site_curve(
                model, mine, label, tuple(args.k), args.repeats, adapter_config(args.adapter)
            ).items():
                lines.append(
                    f"| {held} | {label} | {k:,} | {mean(c.base)} | {mean(c.plain)} |"
                    f" {mean(c.plain_hashed)} |"
                    f" {mean(c.adapter)} | {mean(c.forced)} | {sum(c.adopted)}/{len(c.adopted)} |"
                    f" {mean(c.oof_base)} -> {mean(c.oof_adapted)} |"
                    f" {mean(c.cpu)} / {mean(c.plain_cpu)} |"
                )
                print(lines[-1], flush=True)
    print("\n".join(lines))


def cost_site(examples: list[Example], model: Model, n: int) -> Adapter:
    """An adapter for spam, abuse and hate, trained on ``n`` decisions per label (kept
    whatever its figures): the most an adapter can add to scoring."""
    rng = np.random.default_rng(5)
    texts: list[str] = []
    labels: dict[str, list[int | None]] = {"spam": [], "abuse": [], "hate": []}
    for source, names in (("vispamreviews", ("spam",)), ("vihsd", ("abuse", "hate"))):
        rows = [e for e in examples if e.source == source and e.split == "train"]
        for i in rng.choice(len(rows), n, replace=False):
            texts.append(rows[i].text)
            for name in labels:
                labels[name].append(rows[i].label(name) if name in names else None)
    cfg = AdapterConfig(margin=-1.0, confidence=0.0)
    return train_adapter(model, texts, labels, config=cfg).adapter


def turns_of(items: int, block: int, variants: int) -> list[list[range]]:
    """Turns of ``variants`` blocks of ``block`` items each: in each turn, variant v takes
    the block v / variants of the way round from the others', so each variant takes every
    item once over all turns, and no two variants the same block in one turn."""
    blocks = [range(i, min(i + block, items)) for i in range(0, items, block)]
    return [
        [blocks[(b + v * len(blocks) // variants) % len(blocks)] for v in range(variants)]
        for b in range(len(blocks))
    ]


def scoring_cost(args: argparse.Namespace) -> None:
    """CPU a comment of the base alone and with a 2- and a 3-label adapter, in batches of
    each of ``--sizes`` (the service scores up to 64 at once, ``scoring_max_batch``), and
    one comment at a time (median wall time).

    The variants take turns, each scoring a block of ``--block`` texts of its own (``turns_of``)
    and every text once a pass, best of ``--passes`` (one at a time: the lowest of the
    passes' medians): blocks long enough for each variant to
    work in its own steady state (its tables in cache, the others' pushed out), turns short
    enough that the host's drifting speed weighs on all alike. Scoring a text right after
    another variant scored it would find that text's rows of weights in cache, and a variant
    measured so looks cheaper than it is."""
    model = load_default()
    examples = load(args.data)
    full = cost_site(examples, model, 1000)
    two = replace(full, labels={k: v for k, v in full.labels.items() if k != "hate"})
    texts = [e.text for e in examples if e.split == "dev"]
    texts = (texts[::3] + texts[1::3] + texts[2::3])[: args.n]
    runs: dict[str, Any] = {
        "base": lambda b: model.probabilities(b),
        "spam+abuse adapter": lambda b: two.probabilities(model, b),
        "spam+abuse+hate adapter": lambda b: full.probabilities(model, b),
    }
    for run in runs.values():  # compiled and warm
        run(texts[:64])
    print(f"{len(texts):,} dev texts; CPU µs a comment, best of {args.passes} passes, one core")
    print("| comments a batch | " + " | ".join(runs) + " |")
    print("| ---: |" + " ---: |" * len(runs))
    names = list(runs)
    clock = time.process_time_ns
    for size in args.sizes:
        batches = [texts[i : i + size] for i in range(0, len(texts), size)]
        turns = turns_of(len(batches), max(1, args.block // size), len(names))
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.passes):
            spent = dict.fromkeys(runs, 0)
            for turn in turns:
                for name, block in zip(names, turn, strict=True):
                    started = clock()
                    for b in block:
                        runs[name](batches[b])
                    spent[name] += clock() - started
            for name in runs:
                best[name] = min(best[name], spent[name] / 1e9)
        cells = [
            f"{best[name] / len(texts) * 1e6:.1f} ({best[name] / best['base']:.2f} x)"
            for name in runs
        ]
        print(f"| {size} | " + " | ".join(cells) + " |", flush=True)
    medians = dict.fromkeys(runs, float("inf"))  # the lowest of the passes' medians
    some = texts[: args.single]
    for _ in range(args.passes):
        single: dict[str, list[float]] = {name: [] for name in runs}
        for turn in turns_of(len(some), args.block, len(names)):
            for name, block in zip(names, turn, strict=True):
                for i in block:
                    began = time.perf_counter()
                    runs[name]([some[i]])
                    single[name].append(time.perf_counter() - began)
        for name, times in single.items():
            medians[name] = min(medians[name], statistics.median(times))
    cells = [f"{m * 1e6:.1f} ({m / medians['base']:.2f} x)" for m in medians.values()]
    print("| one at a time, median µs |" + " | ".join(cells) + " |")


def permuted(args: argparse.Namespace) -> None:
    """The adoption rule against noise: simulated sites whose k decisions' labels are shuffled
    among them (so they say nothing about the texts), ``--repeats`` sites per k. Every
    adoption here is a false one."""
    examples = load(args.data)
    cfg = adapter_config(args.adapter)
    print(
        "| held out | label | k | sites trained | adopted | AUC test at 0.9 alone"
        " | AUC test at 0.6 alone | largest loss_sure |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for held in args.held:
        model = base_for(examples, held, args.quick)
        _, mine = split_examples(examples, held)
        for label in HELD[held]:
            rows = [e for e in mine if e.split == "train" and e.label(label) is not None]
            y_all = np.array([e.label(label) for e in rows], dtype=np.int64)
            for k in args.k:
                figures = []
                for r in range(args.repeats):
                    pick = np.random.default_rng(1000 * r + k + 7).choice(len(rows), k, False)
                    y = y_all[pick].copy()
                    np.random.default_rng(r).shuffle(y)
                    texts = [rows[i].text for i in pick]
                    fig = train_adapter(model, texts, {label: y.tolist()}).figures[label]
                    if fig.trained:
                        figures.append(fig)

                def passes(f: LabelFigures, share: float) -> bool:
                    gain = (f.adapted_auc or 0.0) >= (f.base_auc or 0.0) + cfg.margin
                    return gain and (f.sure or 0.0) >= share

                strict = sum(passes(f, cfg.confidence) for f in figures)
                loose = sum(passes(f, cfg.loose_confidence) for f in figures)
                worst = max((f.loss_sure or 0.0 for f in figures), default=0.0)
                print(
                    f"| {held} | {label} | {k:,} | {len(figures)} |"
                    f" {sum(f.adopted for f in figures)} | {strict} | {loose} | {worst:.3f} |",
                    flush=True,
                )


def training_cpu(args: argparse.Namespace) -> None:
    """CPU seconds of train_adapter (base pass included) for n decisions of a set."""
    model = load_default()
    examples = load(args.data)
    for source, label in (("vispamreviews", "spam"), ("vihsd", "abuse"), ("sms", "spam")):
        rows = [e for e in examples if e.source == source and e.split == "train"]
        for n in (1000, 3000):
            spent = []
            for r in range(args.repeats):
                pick = np.random.default_rng(r).choice(len(rows), n, replace=False)
                texts = [rows[i].text for i in pick]
                ys = [rows[i].label(label) for i in pick]
                started = time.process_time()
                train_adapter(model, texts, {label: ys})
                spent.append(time.process_time() - started)
            print(
                f"{source} {label}: {n:,} decisions, {statistics.median(spent):.2f} s CPU"
                f" (median of {args.repeats}; {statistics.median(spent) * 1000 / n:.2f} s"
                " per 1,000)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=default_root())
    parser.add_argument("--held", nargs="+", default=list(DEFAULT_HELD), choices=sorted(HELD))
    parser.add_argument("--k", nargs="+", type=int, default=list(KS))
    parser.add_argument("--repeats", type=int, default=3, help="random sites per k")
    parser.add_argument("--quick", action="store_true", help="smaller bases: minutes, not hours")
    parser.add_argument("--build-only", action="store_true", help="train the bases, no curves")
    parser.add_argument("--cost", action="store_true", help="scoring cost with an adapter")
    parser.add_argument("--train-cpu", action="store_true", help="training CPU per decisions")
    parser.add_argument("--permuted", action="store_true", help="adoptions on shuffled labels")
    parser.add_argument("--n", type=int, default=12_800, help="--cost: texts")
    parser.add_argument("--single", type=int, default=2_000, help="--cost: single comments")
    parser.add_argument("--passes", type=int, default=5, help="--cost: passes")
    parser.add_argument("--block", type=int, default=256, help="--cost: texts a turn")
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 8, 64, 256],
                        help="--cost: comments a batch")  # fmt: skip
    parser.add_argument("--core", type=int, help="the CPU core to run on (default: the first)")
    parser.add_argument("--adapter", action="append", default=[], metavar="NAME=VALUE",
                        help="an AdapterConfig setting (e.g. counts=false)")  # fmt: skip
    args = parser.parse_args()
    if args.data is None:
        parser.error("no data folder: pass --data (the shared data sets)")
    core = min(os.sched_getaffinity(0)) if args.core is None else args.core
    os.sched_setaffinity(0, {core})  # one core, as in production
    if args.build_only:
        examples = load(args.data)
        for held in args.held:
            base_for(examples, held, args.quick)
    elif args.cost:
        scoring_cost(args)
    elif args.train_cpu:
        training_cpu(args)
    elif args.permuted:
        permuted(args)
    else:
        curves(args)


if __name__ == "__main__":
    main()
