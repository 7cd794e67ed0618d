"""Taking a comment in (privacy, scoring, policy, one round trip), reading, erasing an author."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from moderation.domain import policy, privacy, terms
from moderation.domain.errors import InvalidField
from moderation.domain.models import (
    CommentIn,
    CommentOut,
    CommentView,
    ProtectedComment,
    PublicComment,
    ReportIn,
    ReportOut,
    Site,
)
from moderation.runtime.metrics import Metrics
from moderation.runtime.scoring import BatchScorer
from moderation.runtime.site_adapters import SiteAdapters
from moderation.runtime.site_cache import SiteCache
from moderation.runtime.webhooks import WebhookWorker
from moderation.store import CommentRow, Store
from moderation.usecases.paging import Page, cut

# Reports one reader (by address) may send to a site in an hour; more are refused (429).
REPORTS_PER_READER_HOUR = 30


def clamp(scores: dict[str, float]) -> dict[str, float]:
    """Scores as plain floats in [0, 1], rounded for readability."""
    return {label: round(min(1.0, max(0.0, float(v))), 4) for label, v in scores.items()}


def form_seconds(comment: ProtectedComment) -> float | None:
    """Seconds from form_shown_at to now; None without it or when it lies in the future."""
    if comment.form_shown_at is None:
        return None
    seconds = (datetime.now(UTC) - comment.form_shown_at).total_seconds()
    return round(seconds, 3) if seconds >= 0 else None


def fingerprint(site: Site, comment: ProtectedComment) -> bytes | None:
    """The text's fingerprint while the site's duplicate detection is on."""
    dup = site.policy.duplicates
    return terms.fingerprint(comment.body, dup.min_length) if dup.max_copies else None


@dataclass(frozen=True)
class Intake:
    """A site's comments coming in and going away."""

    store: Store
    scorer: BatchScorer
    sites: SiteCache
    secret: bytes
    metrics: Metrics
    webhooks: WebhookWorker
    adapters: SiteAdapters

    async def post(
        self, site: Site, payload: CommentIn, idempotency_key: str | None
    ) -> tuple[CommentOut, bool]:
        """privacy -> scoring -> policy -> one round trip; whether the comment is new."""
        private = privacy.protect(payload, self.secret, idempotency_key)
        adapter = await self.adapters.of(site)
        raw, model_version, adapted = await self.scorer.score_adapted(private.body, adapter)
        scores = clamp(raw)
        signals = policy.gather(
            private.body,
            links=privacy.count_links(private.body, site.policy.trusted_domains),
            honeypot=private.honeypot,
            form_seconds=form_seconds(private),
            email_domain=private.email_domain,
            policy=site.policy,
            terms=await self.sites.terms(site),
        )
        decision = policy.decide(scores, signals, site.policy)
        row = CommentRow(
            site,
            private,
            scores,
            decision,
            signals,
            model_version,
            fingerprint(site, private),
            adapted,
        )
        saved = await self.store.insert_comment(row)
        if saved is None:
            raise InvalidField("parent_id", "no such comment in this thread")
        out, created = saved
        if created:
            self.metrics.decisions.labels(out.status).inc()
            if site.policy.webhook_url:
                self.webhooks.wake()
        return saved

    async def comment(self, site: Site, comment_id: UUID) -> CommentView:
        """One comment as its site sees it, email masked; NotFound otherwise."""
        return await self.store.get_comment(site.id, comment_id)

    async def report(self, site: Site, comment_id: UUID, payload: ReportIn) -> ReportOut:
        """A reader's report relayed by the site: counted once per reader, the comment held
        when its reports reach the site's threshold."""
        address = str(payload.reporter_ip) if payload.reporter_ip is not None else None
        reader = privacy.hash_reader(address, self.secret) if address else None
        return await self.store.report_comment(
            site.id,
            comment_id,
            payload.reason,
            reader,
            site.policy.report_hold_threshold,
            REPORTS_PER_READER_HOUR,
        )

    async def thread(
        self, site: Site, thread: str, after: tuple[datetime, UUID] | None, limit: int
    ) -> Page[PublicComment]:
        """Published comments of a thread after a position, oldest first."""
        return cut(await self.store.thread_page(site.id, thread, after, limit + 1), limit)

    async def erase(self, site: Site, email: str) -> int:
        """Delete every comment and trace of one author of a site; how many comments."""
        return await self.store.erase_author(site.id, privacy.hash_email(email, self.secret))
