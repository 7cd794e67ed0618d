"""Small bar charts as inline SVG, drawn on the server (no script, no style attribute)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

COLOURS = {
    "published": "#2e7d32",
    "pending": "#f9a825",
    "rejected": "#c62828",
    "spam": "#6a1b9a",
    "before": "#90a4ae",
    "after": "#1565c0",
    "held_fine": "#ef6c00",
    "reject_kept": "#37474f",
    "base_auc": "#90a4ae",
    "adapted_auc": "#1565c0",
}


@dataclass(frozen=True)
class Bar:
    """One rectangle of a chart, with its tooltip."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Chart:
    """A chart's size, bars and axis labels, ready for the template."""

    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]
    top: str


def stacked(
    columns: Sequence[tuple[str, dict[str, int]]], keys: Sequence[str], height: int = 160
) -> Chart:
    """One stacked column per (label, {key: count}); columns share the tallest one's scale."""
    step = 18
    tallest = max((sum(values.values()) for _, values in columns), default=0) or 1
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    for i, (label, values) in enumerate(columns):
        y = float(height)
        for key in keys:
            size = height * values.get(key, 0) / tallest
            if size:
                y -= size
                title = f"{label} {key}: {values[key]}"
                bars.append(Bar(i * step, y, step - 3, size, COLOURS.get(key, "#555"), title))
        if i % 7 == 0:
            labels.append((i * step, label))
    return Chart(max(step * len(columns), 100), height, bars, labels, str(tallest))


def grouped(
    groups: Sequence[tuple[str, dict[str, float]]],
    keys: Sequence[str],
    height: int = 140,
    names: Mapping[str, str] | None = None,
) -> Chart:
    """Side-by-side columns per group (counts or rates), one colour per key; `names`: the
    keys as the tooltips say them (the key itself without one)."""
    width = 22
    gap = 20
    tallest = max((v for _, values in groups for v in values.values()), default=0) or 1
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    for i, (label, values) in enumerate(groups):
        left = i * (width * len(keys) + gap)
        labels.append((left, label))
        for j, key in enumerate(keys):
            size = height * values.get(key, 0) / tallest
            name = (names or {}).get(key, key)
            title = f"{label} {name}: {_number(values.get(key, 0))}"
            colour = COLOURS.get(key, "#555")
            bars.append(Bar(left + j * width, height - size, width - 2, size, colour, title))
    total = max(len(groups) * (width * len(keys) + gap), 100)
    return Chart(total, height, bars, labels, _number(tallest))


def _number(value: float) -> str:
    """A count as an integer, a rate with two decimals."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
