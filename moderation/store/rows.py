"""Rows as the queries take them: insert_comment's parameters."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from moderation.domain.models import Decision, ProtectedComment, Signals, Site

INSERT_PARAMS = 34  # $1..$34 of insert_comment (CommentRow.params)
BATCH_PARAMS = 37  # $1..$37 of insert_comments (Store.insert_many_on)
REASONS_SEPARATOR = "\x1f"  # reasons of a row of insert_comments, joined


class CommentRow:
    """Parameters of insert_comment, in the order the query numbers them."""

    def __init__(
        self,
        site: Site,
        comment: ProtectedComment,
        scores: Mapping[str, float],
        decision: Decision,
        signals: Signals,
        model_version: str,
        fingerprint: bytes | None = None,
        adapter_version: int | None = None,
    ) -> None:
        self.adapter_version = adapter_version
        self.fingerprint = fingerprint
        self.site = site
        self.comment = comment
        self.scores = dict(scores)
        self.decision = decision
        self.signals = signals
        self.model_version = model_version

    def lock_keys(self) -> list[int]:
        """Advisory lock keys (sorted, so that two inserts never wait on each other in a
        cycle) of what the enabled flood and duplicate rules count; none when they are off."""
        c, p = self.comment, self.site.policy
        counted = []
        if p.flood.per_author is not None:
            counted.append(b"author\0" + c.email_hash)
        if p.flood.per_ip is not None and c.ip_prefix:
            counted.append(b"ip\0" + c.ip_prefix.encode())
        if p.duplicates.max_copies is not None and self.fingerprint is not None:
            counted.append(b"copy\0" + self.fingerprint)
        site = self.site.id.to_bytes(8, "big")
        return sorted(
            int.from_bytes(hashlib.blake2b(site + key, digest_size=8).digest(), "big", signed=True)
            for key in counted
        )

    def params(self) -> tuple[Any, ...]:
        """Positional parameters $1..$32."""
        c, p = self.comment, self.site.policy
        dup, flood = p.duplicates, p.flood
        return (
            self.site.id, c.thread, c.parent_id, c.name, c.email_hash, c.email_domain,
            c.email_masked, c.ip_prefix, c.user_agent, c.author_url, c.permalink, c.body,
            c.public_body,
            self.decision.status, self.scores, list(self.decision.reasons),
            self.signals.model_dump(mode="json"), self.model_version, self.site.policy.version,
            c.idempotency_key, c.form_shown_at,
            self.fingerprint, dup.max_copies, float(dup.window_seconds),
            "spam" if dup.action == "spam" else "pending",
            float(flood.window_seconds), flood.per_author, flood.per_ip,
            p.premoderate_new_authors, p.trust_approved_authors, p.webhook_url is not None,
            self.adapter_version, c.thread_title, c.thread_url,
        )  # fmt: skip

    def group(self) -> tuple[int, int]:
        """What rows must share to go in one insert_comments: site and policy version."""
        return self.site.id, self.site.policy.version

    def batch_values(self, comment_id: UUID) -> tuple[Any, ...]:
        """This row's elements of insert_comments' arrays $3..$26."""
        c = self.comment
        return (
            comment_id, c.thread, c.parent_id, c.name, c.email_hash, c.email_domain,
            c.email_masked, c.ip_prefix, c.user_agent, c.author_url, c.permalink, c.body,
            c.public_body, self.decision.status, self.scores,
            REASONS_SEPARATOR.join(self.decision.reasons),
            self.signals.model_dump(mode="json"), self.model_version, c.idempotency_key,
            c.form_shown_at, self.fingerprint, self.adapter_version, c.thread_title,
            c.thread_url,
        )  # fmt: skip

    def batch_policy(self) -> tuple[Any, ...]:
        """insert_comments' $27..$35: the policy's parameters, the same for every row."""
        p = self.site.policy
        dup, flood = p.duplicates, p.flood
        return (
            dup.max_copies, float(dup.window_seconds),
            "spam" if dup.action == "spam" else "pending",
            float(flood.window_seconds), flood.per_author, flood.per_ip,
            p.premoderate_new_authors, p.trust_approved_authors, p.webhook_url is not None,
        )  # fmt: skip


def without(row: asyncpg.Record, *keys: str) -> dict[str, Any]:
    """A record as a dict minus some keys."""
    return {k: v for k, v in row.items() if k not in keys}
