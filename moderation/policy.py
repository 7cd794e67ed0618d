"""Pure policy: turn scores and signals into a status and its reasons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, assert_never

from moderation.models import LABELS, Band, Decision, Label, Policy, Signals, Status

Verdict = Literal["pass", "hold", "reject"]


def verdict(score: float, band: Band) -> Verdict:
    """Where one score falls in its band."""
    if score >= band.reject:
        return "reject"
    if score >= band.hold:
        return "hold"
    return "pass"


def rejected_status(label: Label) -> Status:
    """The status a comment gets when this label's reject band is hit."""
    match label:
        case "spam":
            return "spam"
        case "abuse" | "hate":
            return "rejected"
        case _:
            assert_never(label)


def _score_reasons(scores: Mapping[str, float], policy: Policy) -> list[tuple[Label, Verdict]]:
    """Labels whose score reached a band, with the band reached."""
    hits: list[tuple[Label, Verdict]] = []
    for label in LABELS:
        found = verdict(scores.get(label, 0.0), getattr(policy.thresholds, label))
        if found != "pass":
            hits.append((label, found))
    return hits


def _signal_reasons(signals: Signals, policy: Policy) -> list[tuple[str, Verdict]]:
    """Reasons coming from signals rather than scores."""
    hits: list[tuple[str, Verdict]] = []
    if signals.honeypot:
        hits.append(("honeypot", "reject"))
    if policy.max_links is not None and signals.links >= policy.max_links:
        hits.append(("links", "hold"))
    return hits


def _status(
    score_hits: list[tuple[Label, Verdict]], signal_hits: list[tuple[str, Verdict]]
) -> Status:
    """Worst outcome wins: rejected over spam over pending over published."""
    rejects = [rejected_status(label) for label, v in score_hits if v == "reject"]
    if "rejected" in rejects:
        return "rejected"
    if rejects or any(v == "reject" for _, v in signal_hits):
        return "spam"
    if score_hits or signal_hits:
        return "pending"
    return "published"


def decide(scores: Mapping[str, float], signals: Signals, policy: Policy) -> Decision:
    """Apply a site's policy to one comment's scores and signals."""
    score_hits = _score_reasons(scores, policy)
    signal_hits = _signal_reasons(signals, policy)
    reasons = tuple(f"{name}:{v}" for name, v in [*score_hits, *signal_hits])
    return Decision(status=_status(score_hits, signal_hits), reasons=reasons)
