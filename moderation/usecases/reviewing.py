"""Moderators' work: the queue page, claims with leases, decisions and their undo, a comment's
history; the API and the queue page both go through here."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, assert_never
from uuid import UUID

from moderation.domain.errors import InvalidField, LeaseHeld, NotFound
from moderation.domain.models import LABELS
from moderation.domain.pages import COUNT_CAP, QueueCounts, ThreadChoice, ThreadComment
from moderation.domain.review import (
    Action,
    ClaimOut,
    Decider,
    Event,
    Evidence,
    Outcome,
    QueueFilter,
    QueueItem,
    Staff,
    target_status,
)
from moderation.runtime.scoring import BatchScorer
from moderation.runtime.webhooks import WebhookWorker
from moderation.store import Store
from moderation.usecases.paging import Page, cut

# Spans per label, from the body's first characters: explain() costs about 5 ms for 2,000
# characters but 150 ms for 10,000, so a page of 200 stays under a second of model time.
EVIDENCE_TOP = 3
EVIDENCE_CHARS = 2000
log = logging.getLogger("moderation.api")


def _evidence(spans: dict[str, list[dict[str, Any]]]) -> dict[str, list[Evidence]]:
    """A model's explain() output as validated spans, at most EVIDENCE_TOP per label."""
    return {
        str(label): [Evidence.model_validate(s) for s in found[:EVIDENCE_TOP]]
        for label, found in spans.items()
    }


def _raised(
    spans: dict[str, list[dict[str, Any]]], scores: Mapping[str, float], floors: Mapping[str, float]
) -> dict[str, list[dict[str, Any]]]:
    """Spans of the labels whose stored score reached its floor; none for the others."""
    return {
        label: found if scores.get(label, 0.0) >= floors.get(label, 0.5) else []
        for label, found in spans.items()
    }


@dataclass(frozen=True)
class Reviewing:
    """The review queue of a site, for its moderators (and a site deciding with its key)."""

    store: Store
    scorer: BatchScorer
    webhooks: WebhookWorker
    lease_seconds: float

    async def with_evidence(self, site_id: int, items: list[QueueItem]) -> list[QueueItem]:
        """The items with the model's evidence spans; without them if the model cannot explain.

        Spans only for the labels whose score reached the site's hold threshold (issue 18: a
        word shown as "hate" evidence on a comment scored hate 0.00 misleads a moderator): the
        model explains with the site's thresholds as floors, and a label whose stored score
        (the one that decided the comment) is under its threshold shows none either.
        """
        if not items:
            return items
        items = await self.store.with_authors(site_id, items)  # author id and rule, redacted
        try:
            policy = await self.store.current_policy(site_id)
            floors: dict[str, float] = {
                label: getattr(policy.thresholds, label).hold for label in LABELS
            }
            texts = [i.body[:EVIDENCE_CHARS] for i in items]
            found = await self.scorer.explain(texts, EVIDENCE_TOP, floors)
            return [
                i.model_copy(update={"evidence": _evidence(_raised(spans, i.scores, floors))})
                for i, spans in zip(items, found, strict=True)
            ]
        except Exception:  # evidence helps a moderator; its absence must not fail the queue
            log.exception("explain failed")
            return items

    async def page(
        self, site_id: int, want: QueueFilter, after: tuple[Any, UUID] | None, limit: int
    ) -> Page[QueueItem]:
        """Comments in one status after a position, in the order asked, with evidence."""
        page = cut(await self.store.queue_page(site_id, want, after, limit + 1), limit)
        return page._replace(items=await self.with_evidence(site_id, page.items))

    async def claim(self, staff: Staff, limit: int) -> ClaimOut:
        """Lease up to `limit` pending comments to a moderator, with evidence."""
        items = await self.store.claim(staff.site_id, staff, limit, self.lease_seconds)
        items = await self.with_evidence(staff.site_id, items)
        default = datetime.now(UTC) + timedelta(seconds=self.lease_seconds)
        expires = max((i.claim_expires_at for i in items if i.claim_expires_at), default=default)
        return ClaimOut(items=items, lease_expires_at=expires)

    async def release(self, staff: Staff, ids: list[UUID] | None) -> int:
        """Give back a moderator's claims (all, or those ids); how many."""
        return await self.store.release(staff, ids)

    async def decide(
        self, by: Decider, ids: list[UUID], action: Action, note: str | None
    ) -> dict[UUID, Outcome]:
        """Apply a decision with the model in force; wake the webhook worker when events were
        made."""
        status = target_status(action)
        version = self.scorer.version
        outcomes = await self.store.decide(by, ids, action, status, note, version)
        if "changed" in outcomes.values():
            self.webhooks.wake()
        return outcomes

    async def decide_one(
        self, by: Decider, target: UUID, action: Action, note: str | None
    ) -> Literal["changed", "unchanged"]:
        """Decide on one comment; NotFound, or LeaseHeld when another moderator holds it."""
        outcome = (await self.decide(by, [target], action, note)).get(target, "not_found")
        match outcome:
            case "not_found":
                raise NotFound("comment")
            case "conflict":
                raise LeaseHeld(str(target))
            case "changed" | "unchanged":
                return outcome
            case other:
                assert_never(other)

    async def undo(self, staff: Staff, comment_id: UUID) -> QueueItem:
        """Put a comment the caller decided back to pending, claimed by them; it with evidence."""
        version = self.scorer.version
        if not await self.store.undo_decision(staff, comment_id, self.lease_seconds, version):
            raise InvalidField("id", "has no decision of yours to undo")
        self.webhooks.wake()
        return await self.item(staff.site_id, comment_id)

    async def events(self, site_id: int, comment_id: UUID) -> list[Event]:
        """A comment's history, oldest first; NotFound when it has none in this site."""
        return await self.store.events(site_id, comment_id)

    async def item(self, site_id: int, comment_id: UUID) -> QueueItem:
        """One comment as a moderator reviews it, with evidence; NotFound otherwise."""
        [shown] = await self.with_evidence(
            site_id, [await self.store.queue_item(site_id, comment_id)]
        )
        return shown

    async def context(
        self, site_id: int, item: QueueItem, thread_limit: int
    ) -> tuple[list[Event], list[ThreadComment]]:
        """A comment's history and the latest comments of its thread."""
        history = await self.store.events(site_id, UUID(item.id))
        thread = await self.store.thread_context(site_id, item.thread, thread_limit)
        return history, thread

    async def counts(self, site_id: int, want: QueueFilter, since: datetime | None) -> QueueCounts:
        """Comments per status and reported, and new ones matching `want` since a time."""
        return await self.store.queue_counts(site_id, COUNT_CAP + 1, since, want)

    async def thread_choices(self, site_id: int, limit: int) -> list[ThreadChoice]:
        """The articles a moderator may filter the queue by."""
        return await self.store.thread_choices(site_id, limit)
