"""Owners' policy changes: merge a change, diff two versions, replay recent comments under
the current and the candidate policy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from moderation.domain.links import count_links
from moderation.domain.models import Decision, Policy, Status
from moderation.domain.policy import History, decide, escalate, gather
from moderation.domain.terms import Terms

STATUSES: tuple[Status, ...] = ("published", "pending", "rejected", "spam")
REMOVED = ("rejected", "spam")


class PreviewExample(BaseModel):
    """A comment whose status the candidate policy would change."""

    model_config = ConfigDict(frozen=True)

    id: str
    body: str = Field(description="the first 300 characters")
    reasons_before: list[str]
    reasons_after: list[str]


class Transition(BaseModel):
    """How many comments would move from one status to another, with examples."""

    model_config = ConfigDict(frozen=True)

    from_status: Status
    to_status: Status
    count: int
    examples: list[PreviewExample]


class Agreement(BaseModel):
    """Against moderators' decisions: right (same side), wrong (other side), held for review."""

    model_config = ConfigDict(frozen=True)

    right: int
    wrong: int
    held: int


class PreviewOut(BaseModel):
    """The current and a candidate policy applied to the same recent comments."""

    model_config = ConfigDict(frozen=True)

    comments: int = Field(description="how many recent comments were replayed")
    changed: int
    before: dict[Status, int] = Field(description="statuses under the current policy")
    after: dict[Status, int] = Field(description="statuses under the candidate")
    transitions: list[Transition]
    decided: int = Field(description="comments moderators decided on")
    agreement_before: Agreement
    agreement_after: Agreement
    policy: Policy = Field(description="the candidate, as a PUT would store it")


def merge(base: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `change` laid over it: objects merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in change.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def apply_change(current: Policy, change: Mapping[str, Any]) -> Policy:
    """The policy a change makes of the current one (ValidationError names bad fields)."""
    body = current.model_dump(mode="json", exclude={"version"})
    fields = {k: v for k, v in change.items() if k != "version"}
    return Policy.model_validate({**merge(body, fields), "version": current.version})


def changes(before: Policy, after: Policy) -> dict[str, Any]:
    """Fields that differ: {"before", "after"}, or {"added", "removed"} for lists."""
    old = before.model_dump(mode="json", exclude={"version"})
    new = after.model_dump(mode="json", exclude={"version"})
    diff: dict[str, Any] = {}
    for key in new:
        if old.get(key) == new[key]:
            continue
        if isinstance(new[key], list):
            was, now = old.get(key) or [], new[key]
            old_set, new_set = set(was), set(now)
            added = [v for v in now if v not in old_set]
            diff[key] = {"added": added, "removed": [v for v in was if v not in new_set]}
        else:
            diff[key] = {"before": old.get(key), "after": new[key]}
    return diff


def replay(row: Mapping[str, Any], policy: Policy, terms: Terms) -> Decision:
    """What a policy would decide for a stored comment, from its stored scores and signals
    (links counted again from the body: which of them count depends on trusted_domains)."""
    stored = row["signals"] or {}
    signals = gather(
        row["body"],
        links=count_links(row["body"], policy.trusted_domains),
        honeypot=bool(stored.get("honeypot", False)),
        form_seconds=stored.get("form_seconds"),
        email_domain=row["email_domain"],
        policy=policy,
        terms=terms,
    )
    return escalate(decide(row["scores"], signals, policy), History.model_validate(stored), policy)


def _agreement(pairs: Sequence[tuple[Status, Status]]) -> Agreement:
    """Predicted vs moderators' final statuses."""
    held = sum(1 for p, _ in pairs if p == "pending")
    right = sum(1 for p, t in pairs if (p == t == "published") or (p in REMOVED and t in REMOVED))
    return Agreement(right=right, wrong=len(pairs) - held - right, held=held)


def run_preview(
    rows: Sequence[Mapping[str, Any]], current: Policy, candidate: Policy, examples: int
) -> PreviewOut:
    """Replay both policies over the rows and count what would move."""
    old_terms = Terms(current.blocked_terms, current.watched_terms)
    new_terms = Terms(candidate.blocked_terms, candidate.watched_terms)
    moves: dict[tuple[Status, Status], list[PreviewExample]] = {}
    counts: Counter[tuple[Status, Status]] = Counter()
    decided_before, decided_after = [], []
    for row in rows:
        was, now = replay(row, current, old_terms), replay(row, candidate, new_terms)
        counts[(was.status, now.status)] += 1
        if (
            was.status != now.status
            and len(moves.setdefault((was.status, now.status), [])) < examples
        ):
            moves[(was.status, now.status)].append(PreviewExample(
                id=row["id"], body=row["body"][:300],
                reasons_before=list(was.reasons), reasons_after=list(now.reasons)))  # fmt: skip
        if row["decided"]:
            decided_before.append((was.status, row["status"]))
            decided_after.append((now.status, row["status"]))
    return PreviewOut(
        comments=len(rows),
        changed=sum(n for (a, b), n in counts.items() if a != b),
        before={s: sum(n for (a, _), n in counts.items() if a == s) for s in STATUSES},
        after={s: sum(n for (_, b), n in counts.items() if b == s) for s in STATUSES},
        transitions=[
            Transition(from_status=a, to_status=b, count=n, examples=moves[(a, b)])
            for (a, b), n in sorted(counts.items())
            if a != b
        ],
        decided=len(decided_after),
        agreement_before=_agreement(decided_before),
        agreement_after=_agreement(decided_after),
        policy=candidate,
    )
