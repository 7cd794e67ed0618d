"""Pure policy rules: signals, history escalation, policy changes and preview arithmetic."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.domain.models import Decision, Duplicates, Policy, Signals, TermHit
from moderation.domain.policy import History, decide, domain_blocked, escalate, gather
from moderation.domain.previews import apply_change, changes, merge, run_preview
from moderation.domain.terms import Terms

LOW = {"spam": 0.1, "abuse": 0.1, "hate": 0.1}


def hit(kind: str) -> TermHit:
    return TermHit(term="x", list=kind, start=0, end=1, text="x")


@pytest.mark.parametrize(
    ("signals", "policy", "status", "reasons"),
    [
        (Signals(terms=(hit("blocked"),)), Policy(), "rejected", ("blocked_term:reject",)),
        (Signals(terms=(hit("watched"),)), Policy(), "pending", ("watched_term:hold",)),
        (Signals(form_seconds=1.0), Policy(min_form_seconds=3), "pending", ("too_fast:hold",)),
        (Signals(form_seconds=4.0), Policy(min_form_seconds=3), "published", ()),
        (Signals(form_seconds=1.0), Policy(), "published", ()),
        (Signals(email_domain_blocked=True), Policy(), "spam", ("email_domain:reject",)),
        (Signals(honeypot=True, terms=(hit("blocked"),)), Policy(), "rejected",
         ("blocked_term:reject", "honeypot:reject")),
    ],
)  # fmt: skip
def test_signal_rules(signals: Signals, policy: Policy, status: str, reasons: tuple[str]) -> None:
    decision = decide(LOW, signals, policy)
    assert (decision.status, decision.reasons) == (status, reasons)


def test_domains_match_themselves_and_subdomains() -> None:
    assert domain_blocked("spam.example", ("spam.example",))
    assert domain_blocked("a.b.spam.example", ("spam.example",))
    assert not domain_blocked("notspam.example", ("spam.example",))


def test_gather_finds_terms_with_the_policy() -> None:
    policy = Policy(blocked_terms=("đồ ngu",), blocked_email_domains=("x.example",))
    terms = Terms(policy.blocked_terms, policy.watched_terms)
    signals = gather("do nguuu", links=1, honeypot=False, form_seconds=None,
                     email_domain="x.example", policy=policy, terms=terms)  # fmt: skip
    assert signals.email_domain_blocked and signals.terms[0].text == "do nguuu"


PUBLISHED = Decision(status="published", reasons=())
PENDING = Decision(status="pending", reasons=("spam:hold",))
REJECTED = Decision(status="rejected", reasons=("abuse:reject",))
PREMOD = Policy(premoderate_new_authors=True)
TRUST = Policy(trust_approved_authors=True)
DUP = Policy(duplicates=Duplicates(max_copies=2))
DUP_SPAM = Policy(duplicates=Duplicates(max_copies=2, action="spam"))


@pytest.mark.parametrize(
    ("decision", "history", "policy", "status", "extra"),
    [
        (PUBLISHED, History(author_approved=False), PREMOD, "pending", ("new_author:hold",)),
        (PUBLISHED, History(author_approved=True), PREMOD, "published", ()),
        (PUBLISHED, History(), PREMOD, "published", ()),  # unknown history: rule not applied
        (REJECTED, History(author_approved=False), PREMOD, "rejected", ("new_author:hold",)),
        (PENDING, History(author_approved=True, author_recent_bad=False), TRUST, "published",
         ("trusted_author:publish",)),
        (PENDING, History(author_approved=True, author_recent_bad=True), TRUST, "pending", ()),
        (REJECTED, History(author_approved=True, author_recent_bad=False), TRUST, "rejected", ()),
        (PUBLISHED, History(copies=1), DUP, "published", ()),
        (PUBLISHED, History(copies=2), DUP, "pending", ("duplicate:hold",)),
        (PUBLISHED, History(copies=2), DUP_SPAM, "spam", ("duplicate:reject",)),
        (REJECTED, History(copies=2), DUP_SPAM, "rejected", ("duplicate:reject",)),
    ],
)  # fmt: skip
def test_escalation(
    decision: Decision, history: History, policy: Policy, status: str, extra: tuple[str]
) -> None:
    out = escalate(decision, history, policy)
    assert (out.status, out.reasons) == (status, (*decision.reasons, *extra))


def test_merge_is_deep_for_objects_only() -> None:
    base = {"a": {"b": 1, "c": 2}, "l": [1, 2], "n": None}
    assert merge(base, {"a": {"b": 5}, "l": [3], "n": {"x": 1}}) == {
        "a": {"b": 5, "c": 2}, "l": [3], "n": {"x": 1}
    }  # fmt: skip


def test_changes_list_what_moved() -> None:
    before = Policy(version=4, blocked_terms=("a1", "b2"))
    after = apply_change(before, {"blocked_terms": ["b2", "c3"], "max_links": 3, "version": 9})
    assert after.version == 4
    assert changes(before, after) == {
        "blocked_terms": {"added": ["c3"], "removed": ["a1"]},
        "max_links": {"before": None, "after": 3},
    }


def row(i: int, body: str, spam: float, status: str, decided: bool) -> dict[str, Any]:
    return {"id": f"c{i}", "body": body, "email_domain": "example.com", "decided": decided,
            "scores": {**LOW, "spam": spam}, "signals": {"links": 0}, "status": status}  # fmt: skip


def test_preview_arithmetic_on_a_known_set() -> None:
    rows = [
        row(1, "hello", 0.1, "published", False),  # stays published
        row(2, "hello", 0.4, "published", True),  # -> pending under the candidate; was right
        row(3, "hello", 0.45, "spam", True),  # -> pending; the moderator said spam
        row(4, "buy now", 0.7, "spam", True),  # pending -> spam with the candidate; right
        row(5, "buy now", 0.7, "published", True),  # pending -> spam; wrong
        row(6, "đ.ồ n.g.u", 0.1, "rejected", True),  # published -> rejected by the term; right
    ]
    current = Policy()
    candidate = apply_change(current, {"thresholds": {"spam": {"hold": 0.3, "reject": 0.55}},
                                       "blocked_terms": ["đồ ngu"]})  # fmt: skip
    out = run_preview(rows, current, candidate, examples=1)
    assert out.comments == 6 and out.changed == 5
    assert out.before == {"published": 4, "pending": 2, "rejected": 0, "spam": 0}
    assert out.after == {"published": 1, "pending": 2, "rejected": 1, "spam": 2}
    moves = {(t.from_status, t.to_status): t for t in out.transitions}
    assert {k: t.count for k, t in moves.items()} == {
        ("pending", "spam"): 2, ("published", "pending"): 2, ("published", "rejected"): 1
    }  # fmt: skip
    example = moves[("published", "rejected")].examples[0]
    assert (example.id, example.reasons_after) == ("c6", ["blocked_term:reject"])
    assert len(moves[("pending", "spam")].examples) == 1
    assert out.decided == 5
    assert out.agreement_before.model_dump() == {"right": 1, "wrong": 2, "held": 2}
    assert out.agreement_after.model_dump() == {"right": 2, "wrong": 1, "held": 2}
