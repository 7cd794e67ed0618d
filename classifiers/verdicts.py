"""What a reader sees: scores turned into publish / hold / reject, on probes and dev sets.

The service's policy holds a comment when any label's score reaches that label's hold
threshold and rejects it when any reaches its reject threshold (``moderation.policy.decide``;
its other rules are off by default). This module simulates that rule, so thresholds can be
chosen and reported here without the service:

* ``probes/probes.csv``: hand-written probe comments by category (group hate, threats,
  criticism, citations, brand spam, mild swearing, ...), each with the verdict it should get.
  Probes are for tuning and reporting only, never for training (a test checks it).
* the operating point: per label hold thresholds chosen on dev sets for a recall-first hold
  band (publishing harm costs more than holding a fair comment), with the trade-off curves.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from classifiers.datasets import LABELS, Example
from classifiers.model import Model

PROBES = Path(__file__).parent / "probes" / "probes.csv"
F32 = npt.NDArray[np.float32]
Thresholds = dict[str, float]

# moderation.domain.models.Thresholds as shipped before issue 18 (now the shipped model's "hold")
POLICY_HOLD: Thresholds = {"spam": 0.5, "abuse": 0.5, "hate": 0.5}
POLICY_REJECT: Thresholds = {"spam": 0.97, "abuse": 0.95, "hate": 0.95}

# issue 18's targets: (share of harmful published at most, share of clean held at most)
TARGETS: dict[str, tuple[float, float]] = {
    "news comments (ViCTSD)": (0.45, 0.10),
    "social media (ViHSD)": (0.20, 0.12),
    "news spam (probes, vi)": (0.08, 0.06),
}
PROBE_TARGET = 0.90
GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 .. 0.95


@dataclass(frozen=True)
class Probe:
    """One probe comment and the verdict it should get."""

    category: str
    lang: str
    text: str
    expect: str  # "publish" or "hold" (hold: held or rejected, i.e. not published)
    labels: tuple[str, ...]  # the labels that should reach hold (for "hold" probes)


def load_probes(path: Path = PROBES) -> list[Probe]:
    """The probe comments (category,lang,text,expect,labels)."""
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Probe(r["category"], r["lang"], r["text"], r["expect"], tuple(r["labels"].split()))
            for r in csv.DictReader(f)
        ]


def verdicts(scores: F32, hold: Mapping[str, float], reject: Mapping[str, float]) -> list[str]:
    """The policy's verdict per row of scores (columns in ``LABELS`` order): the worst band
    any label reaches, as ``moderation.policy.decide`` takes it."""
    h = np.array([hold[label] for label in LABELS], dtype=np.float32)
    r = np.array([reject[label] for label in LABELS], dtype=np.float32)
    out = np.where((scores >= h).any(axis=1), "hold", "publish")
    return [str(v) for v in np.where((scores >= r).any(axis=1), "reject", out)]


def held(scores: F32, hold: Mapping[str, float]) -> npt.NDArray[np.bool_]:
    """Rows that are not published (held or rejected: reject lies above hold)."""
    h = np.array([hold[label] for label in LABELS], dtype=np.float32)
    return np.asarray((scores >= h).any(axis=1), dtype=bool)


@dataclass(frozen=True)
class DevSet:
    """Scores of a dev set's harmful and clean rows, for publish / hold rates."""

    name: str
    harmful: F32
    clean: F32

    def rates(self, hold: Mapping[str, float]) -> tuple[float, float]:
        """(share of harmful published, share of clean held)."""
        published = float(1 - held(self.harmful, hold).mean()) if len(self.harmful) else 0.0
        clean_held = float(held(self.clean, hold).mean()) if len(self.clean) else 0.0
        return published, clean_held


def dev_sets(model: Model, examples: Sequence[Example], probes: Sequence[Probe]) -> list[DevSet]:
    """The three kinds of comment issue 18 measures, from dev splits and the probes.

    News comments: ViCTSD dev, toxic against not. Social media: ViHSD dev, offensive or hate
    against clean. Vietnamese news spam: the Vietnamese spam probes against the Vietnamese
    probes that should be published (no public set has news-comment spam).
    """
    out = []
    for name, source in (("news comments (ViCTSD)", "victsd"), ("social media (ViHSD)", "vihsd")):
        dev = [e for e in examples if e.source == source and e.split == "dev"]
        if not dev:
            continue
        p = model.probabilities([e.text for e in dev])
        y = np.array([e.abuse == 1 for e in dev])
        out.append(DevSet(name, p[y], p[~y]))
    vi = [q for q in probes if q.lang == "vi"]
    spam = [q.text for q in vi if "spam" in q.labels]
    fine = [q.text for q in vi if q.expect == "publish"]
    if spam and fine:
        out.append(
            DevSet("news spam (probes, vi)", model.probabilities(spam), model.probabilities(fine))
        )
    return out


def probe_rates(
    model: Model,
    probes: Sequence[Probe],
    hold: Mapping[str, float],
    reject: Mapping[str, float],
    scores: F32 | None = None,
) -> dict[str, tuple[int, int]]:
    """Per category: (probes right, probes) under these thresholds. Right: a "hold" probe
    not published, a "publish" probe published."""
    p = model.probabilities([q.text for q in probes]) if scores is None else scores
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for q, v in zip(probes, verdicts(p, hold, reject), strict=True):
        out[q.category][0] += (v != "publish") == (q.expect == "hold")
        out[q.category][1] += 1
    return {c: (right, n) for c, (right, n) in out.items()}


def probe_misses(
    model: Model, probes: Sequence[Probe], hold: Mapping[str, float], reject: Mapping[str, float]
) -> list[tuple[Probe, dict[str, float], str]]:
    """The probes the thresholds get wrong, with their scores and verdicts."""
    p = model.probabilities([q.text for q in probes])
    out = []
    for q, row, v in zip(probes, p, verdicts(p, hold, reject), strict=True):
        if (v != "publish") != (q.expect == "hold"):
            out.append((q, dict(zip(LABELS, map(float, row), strict=True)), v))
    return out


def choose_hold(
    sets: Sequence[DevSet],
    probe_scores: F32,
    probes: Sequence[Probe],
    margin: float = 0.01,
    grid: Sequence[float] = GRID,
) -> tuple[Thresholds, float] | None:
    """Hold thresholds (spam, abuse, hate from ``grid``) for a recall-first band.

    Among the triples whose clean-held share stays ``margin`` under each set's cap and that
    get every probe category at least ``PROBE_TARGET`` right, the one that publishes the
    least harm: the largest share of harm published relative to its set's cap, then the sum
    of those shares. None if no triple meets the caps.
    """
    best: tuple[tuple[float, float], Thresholds] | None = None
    caps = [TARGETS.get(s.name, (1.0, 1.0)) for s in sets]
    for spam, abuse, hate in itertools.product(grid, grid, grid):
        hold = {"spam": spam, "abuse": abuse, "hate": hate}
        rates = [s.rates(hold) for s in sets]
        if any(h > cap[1] - margin for (_, h), cap in zip(rates, caps, strict=True)):
            continue
        right = probe_rates_from(probe_scores, probes, hold)
        if any(r / n < PROBE_TARGET for r, n in right.values()):
            continue
        worst = max(p / cap[0] for (p, _), cap in zip(rates, caps, strict=True))
        key = (round(worst, 6), round(sum(p for p, _ in rates), 6))
        if best is None or key < best[0]:
            best = (key, hold)
    return None if best is None else (best[1], best[0][0])


def probe_rates_from(
    scores: F32, probes: Sequence[Probe], hold: Mapping[str, float]
) -> dict[str, tuple[int, int]]:
    """``probe_rates`` from precomputed scores, counting held or rejected as not published."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for q, h in zip(probes, held(scores, hold), strict=True):
        out[q.category][0] += bool(h) == (q.expect == "hold")
        out[q.category][1] += 1
    return {c: (right, n) for c, (right, n) in out.items()}


def curves(sets: Sequence[DevSet], hold: Mapping[str, float], out: Path) -> list[str]:
    """One PNG per label: each set's harmful-published and clean-held shares as that label's
    hold threshold moves (the others at ``hold``); returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = np.round(np.arange(0.02, 0.99, 0.02), 2)
    names = []
    for label in LABELS:
        fig, (ax_t, ax_roc) = plt.subplots(1, 2, figsize=(11, 4.5))
        for k, s in enumerate(sets):
            color = f"C{k}"
            rates = np.array([s.rates({**hold, label: float(x)}) for x in xs])
            ax_t.plot(xs, rates[:, 0], color=color, label=f"{s.name}: harm published")
            ax_t.plot(xs, rates[:, 1], color=color, linestyle="--", label=f"{s.name}: clean held")
            ax_roc.plot(rates[:, 1], rates[:, 0], color=color, marker=".", label=s.name)
            p, h = s.rates(hold)
            ax_roc.plot([h], [p], color=color, marker="o", markersize=9)
            if s.name in TARGETS:
                tp, th = TARGETS[s.name]
                ax_roc.plot([th], [tp], color=color, marker="x", markersize=10)
        ax_t.axvline(hold[label], color="k", linewidth=0.8)
        ax_t.set(
            title=f"{label} hold threshold (others at the proposed point)",
            xlabel=f"{label} hold threshold",
            ylabel="share",
        )
        ax_roc.set(
            title="trade-off (o: proposed point, x: issue 18 target)",
            xlabel="clean comments held",
            ylabel="harmful comments published",
        )
        ax_t.legend(fontsize=7)
        ax_roc.legend(fontsize=7)
        fig.tight_layout()
        name = f"operating_{label}.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        names.append(name)
    return names


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def report(
    model: Model,
    sets: Sequence[DevSet],
    probes: Sequence[Probe],
    proposed: Mapping[str, float],
    chosen: tuple[Thresholds, float] | None,
    images: Sequence[str],
) -> str:
    """OPERATING_POINT.md: the proposed thresholds against the old defaults, on dev sets and
    probes, and a table of the trade-off per label."""
    p = model.probabilities([q.text for q in probes])
    points = {"old default (hold 0.5)": POLICY_HOLD, "proposed": dict(proposed)}
    lines = [
        f"# Operating point of model `{model.version}`",
        "",
        "Made by `python -m classifiers.eval`. A comment is held when any label's score reaches",
        "that label's hold threshold (rejected at the reject thresholds, spam 0.97, abuse and",
        "hate 0.95, as the service's defaults; either way it is not published). Dev sets: ViCTSD",
        "dev (news comments: toxic against not), ViHSD dev (social media: offensive or hate",
        "against clean), and the Vietnamese probes (news spam against the probes that should be",
        "published; no public set has news-comment spam). Probes: `classifiers/probes/probes.csv`,",
        "written for this project and never trained on.",
        "",
        "| spam / abuse / hate | set | harm published | target | clean held | target |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, hold in points.items():
        label = f"{name}: {hold['spam']:.2f} / {hold['abuse']:.2f} / {hold['hate']:.2f}"
        for s in sets:
            pub, kept = s.rates(hold)
            tp, th = TARGETS.get(s.name, (float("nan"), float("nan")))
            lines.append(
                f"| {label} | {s.name} | {_pct(pub)} | {_pct(tp)} | {_pct(kept)} | {_pct(th)} |"
            )
    lines += [
        "",
        "Probes right by category (hold probes: not published; the others: published):",
        "",
        "| category | n | old default | proposed |",
        "| --- | ---: | ---: | ---: |",
    ]
    old = probe_rates(model, probes, POLICY_HOLD, POLICY_REJECT, p)
    new = probe_rates(model, probes, proposed, POLICY_REJECT, p)
    for category, (right, n) in new.items():
        lines.append(f"| {category} | {n} | {old[category][0] / n:.2f} | {right / n:.2f} |")
    if chosen is not None:
        hold, worst = chosen
        lines += [
            "",
            f"`choose_hold` on these rows (clean held 1 point under each cap, every probe category"
            f" >= {PROBE_TARGET:.0%}, least harm published relative to its cap): spam"
            f" {hold['spam']:.2f}, abuse {hold['abuse']:.2f}, hate {hold['hate']:.2f} (worst"
            f" set at {worst:.2f} of its cap).",
        ]
    else:
        lines += ["", "`choose_hold`: no thresholds on the grid meet every clean-held cap."]
    lines += [
        "",
        "Trade-off per label (the other two at the proposed point): share of harm published /"
        " share of clean held.",
        "",
    ]
    header = "| threshold | " + " | ".join(s.name for s in sets) + " |"
    for label in LABELS:
        lines += [f"**{label}**", "", header, "| ---: |" + " ---: |" * len(sets)]
        for x in (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            hold = {**proposed, label: x}
            cells = " | ".join("{} / {}".format(*map(_pct, s.rates(hold))) for s in sets)
            mark = " (proposed)" if abs(proposed[label] - x) < 1e-9 else ""
            lines.append(f"| {x:.2f}{mark} | {cells} |")
        lines.append("")
    lines += [f"![{name}]({name})" for name in images]
    return "\n".join(lines) + "\n"


def write_hold(folder: Path, hold: Mapping[str, float]) -> None:
    """Set a model folder's hold thresholds (``model.json``'s "hold"); nothing else changes:
    they are chosen on dev after training, so they are not part of the model's version."""
    path = folder / "model.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["hold"] = [float(hold[label]) for label in meta["labels"]]
    staging = path.with_name(".model.json.new")
    staging.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    staging.replace(path)
