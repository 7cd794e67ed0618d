"""The desk's pure parts (issue 19): authors' rules as previews replay them (mirroring
insert_comment), search terms as ILIKE patterns, author ids from paths."""

from __future__ import annotations

import pytest

from moderation.domain.desk import SEARCH_TEXT_MAX, author_hash, like_pattern, search_text
from moderation.domain.errors import InvalidField
from moderation.domain.models import Decision, Policy
from moderation.domain.policy import History, escalate

PUBLISHED = Decision(status="published", reasons=())
PENDING = Decision(status="pending", reasons=("spam:hold",))
REJECTED = Decision(status="rejected", reasons=("blocked_term:reject",))
SPAM = Decision(status="spam", reasons=("spam:reject",))
PREMOD_NEW = Policy(premoderate_new_authors=True)


@pytest.mark.parametrize(
    ("decision", "history", "policy", "status", "extra"),
    [
        (PUBLISHED, History(author_rule="ban"), Policy(), "rejected", ("author_banned:reject",)),
        (SPAM, History(author_rule="ban"), Policy(), "spam", ("author_banned:reject",)),
        (PENDING, History(author_rule="trust"), Policy(), "published",
         ("author_trusted:publish",)),
        (REJECTED, History(author_rule="trust"), Policy(), "rejected", ()),  # blocked term wins
        (SPAM, History(author_rule="trust"), Policy(), "spam", ()),
        (PUBLISHED, History(author_approved=False, author_rule="trust"), PREMOD_NEW, "published",
         ("new_author:hold", "author_trusted:publish")),
        (PUBLISHED, History(author_rule="premoderate"), Policy(), "pending",
         ("author_premoderated:hold",)),
        (PENDING, History(author_rule="premoderate"), Policy(), "pending", ()),
        (PUBLISHED, History(), Policy(), "published", ()),
    ],
)  # fmt: skip
def test_author_rules_come_last(
    decision: Decision, history: History, policy: Policy, status: str, extra: tuple[str]
) -> None:
    out = escalate(decision, history, policy)
    assert (out.status, out.reasons) == (status, (*decision.reasons, *extra))


def test_search_terms_match_literally_and_are_bounded() -> None:
    assert like_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"
    assert search_text("q", "  số điện thoại ") == "số điện thoại"
    assert search_text("q", "   ") is None and search_text("q", None) is None
    assert search_text("q", "x" * SEARCH_TEXT_MAX) == "x" * SEARCH_TEXT_MAX
    for bad in ("x" * (SEARCH_TEXT_MAX + 1), "a\x00b", "a\u202eb"):
        with pytest.raises(InvalidField) as caught:
            search_text("name", bad)
        assert caught.value.field == "name"


def test_author_ids_are_64_lowercase_hex_digits() -> None:
    assert author_hash("ab" * 32) == bytes.fromhex("ab" * 32)
    for bad in ("AB" * 32, "ab" * 31, "ab" * 33, "an@example.com", "zz" * 32):
        with pytest.raises(InvalidField) as caught:
            author_hash(bad)
        assert caught.value.field == "author"
