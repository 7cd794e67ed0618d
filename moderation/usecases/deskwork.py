"""A moderation desk's tools (issue 19): an author's comments and rule, search over a site's
comments, and edits of a comment's public copy; the API and the pages both go through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from moderation.domain import privacy
from moderation.domain.desk import (
    SEARCH_SCAN,
    AuthorOut,
    AuthorRule,
    AuthorRuleEvent,
    AuthorRuleOut,
    RedactionIn,
    RedactionOut,
    Search,
)
from moderation.domain.errors import LeaseHeld
from moderation.domain.review import Decider, QueueItem, Staff
from moderation.store import Store
from moderation.usecases.paging import Page, cut
from moderation.usecases.reviewing import Reviewing

RULE_HISTORY = 50


def _start(day: date | None, zone: ZoneInfo) -> datetime | None:
    """Midnight at the start of a day in the site's time zone."""
    return datetime.combine(day, time(), zone) if day is not None else None


def _end(day: date | None, zone: ZoneInfo) -> datetime | None:
    """Midnight after a day in the site's time zone (the last day is included)."""
    if day is None or day == date.max:
        return None
    return datetime.combine(day + timedelta(days=1), time(), zone)


@dataclass(frozen=True)
class DeskWork:
    """Authors, search and redaction of a site's comments, for its moderators."""

    store: Store
    reviewing: Reviewing

    async def author(self, site_id: int, author: bytes) -> AuthorOut:
        """An author of the site with their counts and rule; NotFound otherwise."""
        return await self.store.author(site_id, author)

    async def author_comments(
        self, site_id: int, author: bytes, before: tuple[datetime, UUID] | None, limit: int
    ) -> Page[QueueItem]:
        """A page of an author's comments, newest first, with evidence."""
        rows = await self.store.author_comments(site_id, author, before, limit + 1)
        page = cut(rows, limit)
        return page._replace(items=await self.reviewing.with_evidence(site_id, page.items))

    async def rule_history(self, site_id: int, author: bytes) -> list[AuthorRuleEvent]:
        """The changes of an author's rule, newest first (the latest RULE_HISTORY)."""
        return await self.store.author_rule_history(site_id, author, RULE_HISTORY)

    async def set_rule(
        self, staff: Staff, author: bytes, rule: AuthorRule | None, note: str | None
    ) -> AuthorRuleOut:
        """Ban, premoderate, trust an author or lift their rule; audited. Intake applies it to
        the author's next comment, in every process (it reads the rule with the insert)."""
        previous = await self.store.set_author_rule(
            staff.site_id, author, rule, staff.username, note
        )
        found = await self.store.author(staff.site_id, author)
        return AuthorRuleOut(author=found, changed=previous != rule)

    async def search(
        self, site_id: int, want: Search, before: tuple[datetime, UUID] | None, limit: int
    ) -> tuple[list[QueueItem], tuple[datetime, UUID] | None]:
        """Matching comments, newest first, and where the next page starts (None: the end).

        Each page looks at no more than SEARCH_SCAN comments: a rare term costs a bounded walk
        per page, and a page may come back short (even empty) with a position to go on from.
        """
        zone = ZoneInfo((await self.store.current_policy(site_id)).time_zone)
        span = (_start(want.since, zone), _end(want.until, zone))
        found, walked = await self.store.search(site_id, want, span, before, limit, SEARCH_SCAN)
        page = cut(found, limit)
        items = await self.reviewing.with_evidence(site_id, page.items)
        if page.more_after is not None:
            last = page.more_after
            return items, (last.created_at, UUID(last.id))
        return items, walked

    async def redact(self, staff: Staff, comment_id: UUID, edit: RedactionIn) -> RedactionOut:
        """Replace a comment's public copy (contacts in it masked as at intake) and, when
        asked, publish it; the original stays for staff, both steps are in its history.
        LeaseHeld when another moderator holds it, NotFound when it is not the site's."""
        public = privacy.mask_text(edit.public_body)
        outcome = await self.store.redact(staff, comment_id, public, edit.note)
        if outcome == "conflict":
            raise LeaseHeld(str(comment_id))
        published = False
        if edit.publish:
            by = Decider.of_staff(staff)
            done = await self.reviewing.decide_one(by, comment_id, "approve", edit.note)
            published = done == "changed"
        now = await self.store.get_comment(staff.site_id, comment_id)
        return RedactionOut(
            id=str(comment_id), status=now.status, public_body=now.public_body,
            edited=outcome == "changed", published=published,
        )  # fmt: skip
