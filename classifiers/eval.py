"""Evaluate a model on the dev splits: ``python -m classifiers.eval [--model DIR] [--out DIR]``.

Writes ``REPORT.md`` with ROC AUC, average precision and F1 at 0.5 per data set and label,
the ViHSD 3-class macro-F1, the same figures for a plain word+char TF-IDF logistic-regression
baseline trained on each set's own train split, and PNG plots (precision-recall and
calibration per label and data set); and ``OPERATING_POINT.md`` (``classifiers.verdicts``):
the probes right by category and the share of harm published and of clean comments held
under the model's hold thresholds and the old defaults, with the trade-off curves.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from sklearn.pipeline import make_pipeline, make_union

from classifiers import MODEL_DIR, load_default, verdicts
from classifiers.datasets import LABELS, Example, default_root, load
from classifiers.model import Model, resolve


@dataclass(frozen=True)
class Row:
    """Figures for one data set and label."""

    source: str
    label: str
    n: int
    positives: int
    auc: float
    ap: float
    f1: float
    baseline_auc: float | None


def baseline_scores(train: list[Example], dev: list[Example], label: str) -> np.ndarray | None:
    """Dev scores of a word(1-2)+char_wb(2-5) TF-IDF logistic regression fitted on ``train``."""
    rows = [e for e in train if e.label(label) is not None]
    if len({e.label(label) for e in rows}) < 2:
        return None
    pipe = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
        ),
        LogisticRegression(C=4.0, max_iter=1000),
    )
    pipe.fit([e.text for e in rows], [e.label(label) for e in rows])
    proba: np.ndarray = pipe.predict_proba([e.text for e in dev])[:, 1]
    return proba


def evaluate(
    model: Model, examples: list[Example], with_baseline: bool
) -> tuple[list[Row], dict[str, np.ndarray]]:
    """Per-set figures and the model's dev probabilities per set."""
    by_source: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_source[e.source].append(e)
    rows: list[Row] = []
    probs: dict[str, np.ndarray] = {}
    for source, items in sorted(by_source.items()):
        dev = [e for e in items if e.split == "dev"]
        if not dev:
            continue
        p = model.probabilities([e.text for e in dev])
        probs[source] = p
        train = [e for e in items if e.split == "train"]
        for k, label in enumerate(LABELS):
            y = np.array([e.label(label) if e.label(label) is not None else -1 for e in dev])
            known = y >= 0
            if len(set(y[known])) < 2:
                continue
            base = (
                baseline_scores(train, [dev[i] for i in np.flatnonzero(known)], label)
                if with_baseline
                else None
            )
            rows.append(
                Row(
                    source,
                    label,
                    int(known.sum()),
                    int(y[known].sum()),
                    float(roc_auc_score(y[known], p[known, k])),
                    float(average_precision_score(y[known], p[known, k])),
                    float(f1_score(y[known], p[known, k] >= 0.5)),
                    None if base is None else float(roc_auc_score(y[known], base)),
                )
            )
            print(f"{source:14s} {label:5s} AUC {rows[-1].auc:.4f}", file=sys.stderr)
    return rows, probs


def _vihsd_dev(model: Model, examples: list[Example]) -> tuple[np.ndarray, list[int]] | None:
    dev = [e for e in examples if e.source == "vihsd" and e.split == "dev"]
    if not dev:
        return None
    truth = [2 if e.hate else 1 if e.abuse else 0 for e in dev]
    return model.probabilities([e.text for e in dev]), truth


def _macro(p: np.ndarray, truth: list[int], hate_at: float, abuse_at: float) -> float:
    pred = np.where(p[:, 2] >= hate_at, 2, np.where(p[:, 1] >= abuse_at, 1, 0))
    return float(f1_score(truth, pred, average="macro"))


def vihsd_macro_f1(model: Model, examples: list[Example]) -> float | None:
    """3-class macro-F1 on ViHSD dev: hate if hate>=0.5, else offensive if abuse>=0.5."""
    dev = _vihsd_dev(model, examples)
    return None if dev is None else _macro(*dev, 0.5, 0.5)


def best_thresholds(model: Model, examples: list[Example]) -> tuple[float, float, float] | None:
    """The best ViHSD dev macro-F1 over a grid of (hate, abuse) thresholds: an upper bound,
    since the thresholds are chosen on the figure's own rows."""
    dev = _vihsd_dev(model, examples)
    if dev is None:
        return None
    grid = [round(0.05 * i, 2) for i in range(2, 17)]
    return max((_macro(*dev, h, a), h, a) for h in grid for a in grid)


def false_alarms(
    probs: dict[str, np.ndarray], examples: list[Example]
) -> list[tuple[str, str, int, float]]:
    """For each set and label it knows to be absent from all its dev rows (no spam in ViHSD),
    the share of its dev rows scored >= 0.5 anyway."""
    out = []
    for source, p in sorted(probs.items()):
        dev = [e for e in examples if e.source == source and e.split == "dev"]
        for k, label in enumerate(LABELS):
            y = np.array([e.label(label) if e.label(label) is not None else -1 for e in dev])
            if (y >= 0).any() and set(y[y >= 0]) == {0}:
                known = y >= 0
                out.append((source, label, int(known.sum()), float((p[known, k] >= 0.5).mean())))
    return out


def plots(
    rows: list[Row], probs: dict[str, np.ndarray], examples: list[Example], out: Path
) -> list[str]:
    """Precision-recall and calibration plots per label; returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve

    names = []
    for k, label in enumerate(LABELS):
        fig, (ax_pr, ax_cal) = plt.subplots(1, 2, figsize=(11, 4.5))
        for row in (r for r in rows if r.label == label):
            dev = [e for e in examples if e.source == row.source and e.split == "dev"]
            y = np.array([e.label(label) if e.label(label) is not None else -1 for e in dev])
            known = y >= 0
            p = probs[row.source][known, k]
            prec, rec, _ = precision_recall_curve(y[known], p)
            ax_pr.plot(rec, prec, label=f"{row.source} (AP {row.ap:.2f})")
            frac, mean = calibration_curve(y[known], p, n_bins=10, strategy="quantile")
            ax_cal.plot(mean, frac, marker="o", label=row.source)
        ax_pr.set(title=f"{label}: precision-recall (dev)", xlabel="recall", ylabel="precision")
        ax_cal.plot([0, 1], [0, 1], "k--", linewidth=0.8)
        ax_cal.set(title=f"{label}: calibration (dev)", xlabel="predicted", ylabel="observed")
        ax_pr.legend(fontsize=8)
        ax_cal.legend(fontsize=8)
        fig.tight_layout()
        name = f"{label}.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        names.append(name)
    return names


def report(
    model: Model,
    rows: list[Row],
    macro: float | None,
    images: list[str],
    best: tuple[float, float, float] | None = None,
    alarms: list[tuple[str, str, int, float]] | None = None,
) -> str:
    """The Markdown report."""
    lines = [
        f"# Dev-split evaluation of model `{model.version}`",
        "",
        "Made by `python -m classifiers.eval`. Baseline: word(1-2) + char_wb(2-5) TF-IDF logistic",
        "regression trained on that data set's own train split. Own examples are never evaluated.",
        "",
        "| data set | label | n | positives | ROC AUC | baseline AUC | avg precision | F1@0.5 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        base = "-" if r.baseline_auc is None else f"{r.baseline_auc:.4f}"
        figures = f"{r.auc:.4f} | {base} | {r.ap:.4f} | {r.f1:.4f}"
        lines.append(f"| {r.source} | {r.label} | {r.n} | {r.positives} | {figures} |")
    if macro is not None:
        lines += ["", f"ViHSD 3-class macro-F1 (dev): **{macro:.4f}**"]
    if best is not None:
        lines += [
            "",
            f"With the thresholds that suit ViHSD dev best (hate >= {best[1]:.2f}, abuse >="
            f" {best[2]:.2f}, chosen on these same rows, so an upper bound): {best[0]:.4f}",
        ]
    if alarms:
        lines += [
            "",
            "False alarms: dev rows of a set that never has the label, scored >= 0.5 for it.",
            "",
            "| data set | label | n | share >= 0.5 |",
            "| --- | --- | ---: | ---: |",
        ]
        lines += [f"| {s} | {label} | {n} | {share:.4f} |" for s, label, n, share in alarms]
    lines += [""] + [f"![{name}]({name})" for name in images]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="classifiers.eval", description=__doc__)
    parser.add_argument("--data", type=Path, default=default_root())
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model folder, or directory with CURRENT (default: shipped)",
    )
    parser.add_argument("--out", type=Path, default=Path("docs/model-report"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF baseline")
    parser.add_argument(
        "--set-hold",
        action="store_true",
        help="write the hold thresholds chosen on dev into the model's model.json",
    )
    args = parser.parse_args(argv)
    if args.data is None or not (args.data / "CARD.md").exists():
        parser.error("no data folder: pass --data (the shared data sets)")
    folder = resolve(args.model) if args.model else MODEL_DIR
    model = Model.load(folder) if args.model else load_default()
    examples = load(args.data, own=False)
    rows, probs = evaluate(model, examples, not args.no_baseline)
    macro = vihsd_macro_f1(model, examples)
    best = best_thresholds(model, examples)
    alarms = false_alarms(probs, examples)
    args.out.mkdir(parents=True, exist_ok=True)
    images = plots(rows, probs, examples, args.out)
    text = report(model, rows, macro, images, best, alarms)
    text += "\nVerdicts under the hold thresholds, probes by category: [OPERATING_POINT.md]"
    text += "(OPERATING_POINT.md).\n"
    (args.out / "REPORT.md").write_text(text, encoding="utf-8")
    print(report(model, rows, macro, [], best, alarms))
    operating = operating_point(model, examples, args.out, folder if args.set_hold else None)
    print(operating.split("\nTrade-off per label")[0])
    return 0


def operating_point(
    model: Model, examples: list[Example], out: Path, set_hold: Path | None = None
) -> str:
    """Write OPERATING_POINT.md and its curves; returns its text. With ``set_hold`` (a model
    folder), the thresholds chosen on dev become that model's hold thresholds first."""
    probes = verdicts.load_probes()
    sets = verdicts.dev_sets(model, examples, probes)
    chosen = verdicts.choose_hold(sets, model.probabilities([q.text for q in probes]), probes)
    if set_hold is not None and chosen is not None:
        verdicts.write_hold(set_hold, chosen[0])
        model = replace(model, hold=tuple(chosen[0][label] for label in model.labels))
    hold = model.hold_thresholds()
    images = verdicts.curves(sets, hold, out)
    text = verdicts.report(model, sets, probes, hold, chosen, images)
    (out / "OPERATING_POINT.md").write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    raise SystemExit(main())
