"""Pure policy: turn scores and signals into a status and its reasons.

Reasons are named "<rule>:<verdict>". Score bands: "spam:hold", "abuse:reject", ... Rules
decided here: "blocked_term:reject", "watched_term:hold", "links:hold", "honeypot:reject",
"too_fast:hold", "email_domain:reject". Rules that need the author's history are applied by
the insert statement itself (one round trip) and mirrored by `escalate` for previews:
"duplicate:hold" / "duplicate:reject", "new_author:hold", "trusted_author:publish".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, assert_never

from pydantic import BaseModel, ConfigDict

from moderation.domain.models import LABELS, Band, Decision, Label, Policy, Signals, Status, TermHit
from moderation.domain.terms import Terms

Verdict = Literal["pass", "hold", "reject"]
Hit = tuple[str, Verdict, Status]
_RANK: Mapping[Status, int] = {"published": 0, "pending": 1, "spam": 2, "rejected": 3}


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


# Every reason code decide() and escalate() can give, for the queue's reason filter (a
# score band per label, then the signal rules, then the history rules).
REASON_CODES: tuple[str, ...] = (
    *(f"{label}:{band}" for label in LABELS for band in ("hold", "reject")),
    "blocked_term:reject", "watched_term:hold", "links:hold", "honeypot:reject",
    "too_fast:hold", "email_domain:reject", "duplicate:hold", "duplicate:reject",
    "new_author:hold", "trusted_author:publish",
)  # fmt: skip


def _status_of(v: Verdict, reject_as: Status) -> Status:
    """The status one hit asks for."""
    match v:
        case "pass":
            return "published"
        case "hold":
            return "pending"
        case "reject":
            return reject_as
        case _:
            assert_never(v)


def _score_hits(scores: Mapping[str, float], policy: Policy) -> list[Hit]:
    """Labels whose score reached a band, with the band reached."""
    hits: list[Hit] = []
    for label in LABELS:
        found = verdict(scores.get(label, 0.0), getattr(policy.thresholds, label))
        if found != "pass":
            hits.append((label, found, rejected_status(label)))
    return hits


def _signal_hits(signals: Signals, policy: Policy) -> list[Hit]:
    """Rules coming from signals rather than scores."""
    lists = {hit.list for hit in signals.terms}
    too_fast = signals.form_seconds is not None and signals.form_seconds < policy.min_form_seconds
    rules: list[tuple[bool, Hit]] = [
        ("blocked" in lists, ("blocked_term", "reject", "rejected")),
        ("watched" in lists, ("watched_term", "hold", "pending")),
        (policy.max_links is not None and signals.links >= policy.max_links,
         ("links", "hold", "pending")),
        (signals.honeypot, ("honeypot", "reject", "spam")),
        (too_fast, ("too_fast", "hold", "pending")),
        (signals.email_domain_blocked, ("email_domain", "reject", "spam")),
    ]  # fmt: skip
    return [hit for fired, hit in rules if fired]


def decide(scores: Mapping[str, float], signals: Signals, policy: Policy) -> Decision:
    """Apply a site's policy to one comment's scores and signals: the worst hit wins."""
    hits = [*_score_hits(scores, policy), *_signal_hits(signals, policy)]
    status: Status = max((_status_of(v, s) for _, v, s in hits), key=_RANK.__getitem__,
                         default="published")  # fmt: skip
    return Decision(status=status, reasons=tuple(f"{name}:{v}" for name, v, _ in hits))


def domain_blocked(domain: str, blocked: tuple[str, ...]) -> bool:
    """Whether an email domain, or a domain it belongs to, is on the list."""
    return any(domain == d or domain.endswith("." + d) for d in blocked)


def gather(
    body: str, *, links: int, honeypot: bool, form_seconds: float | None, email_domain: str,
    policy: Policy, terms: Terms,
) -> Signals:  # fmt: skip
    """The signals of one comment under a policy (terms compiled from the same policy)."""
    hits = [TermHit(term=h.term, list=h.list, start=h.start, end=h.end, text=h.text)
            for h in terms.find(body)]  # fmt: skip
    return Signals(
        links=links,
        honeypot=honeypot,
        form_seconds=form_seconds,
        email_domain_blocked=domain_blocked(email_domain, policy.blocked_email_domains),
        terms=tuple(hits),
    )


class History(BaseModel):
    """What the database knew of a comment's author and text when it arrived (None: unknown,
    because the rule needing it was off then)."""

    model_config = ConfigDict(frozen=True)

    author_approved: bool | None = None
    author_recent_bad: bool | None = None
    copies: int | None = None
    author_rule: Literal["ban", "premoderate", "trust"] | None = None


def escalate(decision: Decision, history: History, policy: Policy) -> Decision:
    """The history rules, as insert_comment applies them in SQL (used by previews)."""
    dup = policy.duplicates
    copies = history.copies
    duplicate = dup.max_copies is not None and copies is not None and copies >= dup.max_copies
    new_author = policy.premoderate_new_authors and history.author_approved is False
    trusted = (policy.trust_approved_authors and history.author_approved is True
               and history.author_recent_bad is False and decision.status == "pending"
               and not duplicate)  # fmt: skip
    status, extra = decision.status, []
    if duplicate:
        extra.append("duplicate:reject" if dup.action == "spam" else "duplicate:hold")
    if new_author:
        extra.append("new_author:hold")
    if trusted:
        extra.append("trusted_author:publish")
    if status in ("rejected", "spam"):
        pass
    elif duplicate:
        status = "spam" if dup.action == "spam" else "pending"
    elif trusted:
        status = "published"
    elif new_author:
        status = "pending"
    # last, the rule a moderator set on the author (author_rules), as it was then
    rule = history.author_rule
    if rule == "ban":
        status = "spam" if status == "spam" else "rejected"
        extra.append("author_banned:reject")
    elif rule == "trust" and status == "pending":
        status = "published"
        extra.append("author_trusted:publish")
    elif rule == "premoderate" and status == "published":
        status = "pending"
        extra.append("author_premoderated:hold")
    return Decision(status=status, reasons=(*decision.reasons, *extra))
