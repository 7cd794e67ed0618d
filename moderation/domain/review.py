"""Models of the moderators' side: staff, the queue, claims, decisions and their events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, assert_never
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from moderation.domain.models import Role, Scores, Status, clean_text

Action = Literal["approve", "reject", "spam", "not_spam"]
Sort = Literal["oldest", "score"]
# The order of a page: ?reason=reported sorts by the number of readers' reports.
Order = Literal["oldest", "score", "reports"]
REPORTED = "reported"
Outcome = Literal["changed", "unchanged", "conflict", "not_found"]
MAX_CLAIM = 100


def target_status(action: Action) -> Status:
    """The status a moderator's action moves a comment to."""
    if action == "approve" or action == "not_spam":
        return "published"
    if action == "reject":
        return "rejected"
    if action == "spam":
        return "spam"
    assert_never(action)


def _actor(value: str) -> str:
    """The site's own moderator's name: trimmed, NFC, at most 100 characters."""
    return clean_text(value, max_len=100)


def _note(value: str) -> str:
    """A decision note: trimmed, NFC, at most 2000 characters, no control characters."""
    return clean_text(value, max_len=2000, multiline=True)


class Staff(BaseModel):
    """A moderator or owner of one site, as authenticated by a personal token."""

    model_config = ConfigDict(frozen=True)

    id: int
    site_id: int
    site_slug: str
    username: str
    role: Role


class Decider(BaseModel):
    """Who records a decision: a staff member, or a site reporting its own moderators'."""

    model_config = ConfigDict(frozen=True)

    site_id: int
    user_id: int | None
    actor: str

    @classmethod
    def of_staff(cls, staff: Staff) -> Decider:
        """A moderator or owner deciding with their token."""
        return cls(site_id=staff.site_id, user_id=staff.id, actor=staff.username)

    @classmethod
    def of_site(cls, site_id: int, actor: str | None) -> Decider:
        """A website deciding with its key, recorded as site:<actor>."""
        return cls(site_id=site_id, user_id=None, actor=f"site:{actor}" if actor else "site")


class QueueFilter(BaseModel):
    """Which comments a queue page shows, and in which order."""

    model_config = ConfigDict(frozen=True)

    status: Status = "pending"
    sort: Sort = "oldest"
    thread: str | None = None
    reason: str | None = None

    @property
    def order(self) -> Order:
        """The page's order: by reports for the reported view, else the sort asked."""
        return "reports" if self.reason == REPORTED else self.sort


class StatusCounts(BaseModel):
    """Comments per status."""

    model_config = ConfigDict(frozen=True)

    published: int
    pending: int
    rejected: int
    spam: int


class AuthorHistory(StatusCounts):
    """How many earlier comments of the same author (by email hash) ended in each status."""


class Evidence(BaseModel):
    """A span of the comment's body (character offsets) that raised a label's score."""

    model_config = ConfigDict(frozen=True)

    text: str
    start: int
    end: int
    weight: float = Field(description="how much the span added to the label's score")


class QueueItem(BaseModel):
    """A comment as a moderator reviews it; the author's email is masked."""

    model_config = ConfigDict(frozen=True)

    id: str
    thread: str
    name: str
    body: str
    public_body: str
    email_masked: str
    author_id: str | None = Field(
        None, description="the author's id (hex of the keyed hash of the address): /authors/{id}"
    )
    author_rule: Literal["ban", "premoderate", "trust"] | None = Field(
        None, description="the rule a moderator set on the author, if any"
    )
    redacted: bool = Field(False, description="a moderator edited the public copy")
    status: Status
    scores: Scores
    reasons: list[str]
    model_version: str
    policy_version: int
    claimed_by: str | None = Field(description="who holds a live lease on it, if anyone")
    claim_expires_at: datetime | None
    author_history: AuthorHistory
    evidence: dict[str, list[Evidence]] = Field(
        default_factory=dict,
        description="per label, the body's spans that raised its score most (the model's explain)",
    )
    created_at: datetime
    top_score: float = Field(exclude=True)
    thread_title: str | None = Field(None, description="the article's title, when sent")
    thread_url: str | None = Field(None, description="the article's address, when sent")
    parent_id: str | None = Field(None, description="the comment this one replies to")
    parent_name: str | None = Field(None, description="the replied-to comment's author")
    parent_excerpt: str | None = Field(
        None, description="the start of the replied-to comment's public text"
    )
    report_count: int = Field(0, description="readers' reports of this comment")


class QueuePage(BaseModel):
    """One page of the review queue."""

    model_config = ConfigDict(frozen=True)

    items: list[QueueItem]
    next_cursor: str | None


class ClaimIn(BaseModel):
    """How many pending comments a moderator wants to hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: StrictInt = Field(default=10, ge=1, le=MAX_CLAIM)


class ClaimOut(BaseModel):
    """Comments now held by the caller, and until when."""

    model_config = ConfigDict(frozen=True)

    items: list[QueueItem]
    lease_expires_at: datetime


class ReleaseIn(BaseModel):
    """Claims to give back: the ids listed, or all of the caller's when none are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ids: Annotated[list[UUID], Field(max_length=MAX_CLAIM)] | None = None


class ReleaseOut(BaseModel):
    """How many claims were given back."""

    model_config = ConfigDict(frozen=True)

    released: int


class DecisionIn(BaseModel):
    """A decision on one comment; `actor` (site key only) names the site's own moderator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Action
    note: Annotated[StrictStr, AfterValidator(_note)] | None = None
    actor: Annotated[StrictStr, AfterValidator(_actor)] | None = None


class DecisionOut(BaseModel):
    """The comment's status after a decision; `changed` is false for a repeat."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: Status
    changed: bool


class BulkDecisionIn(BaseModel):
    """One decision for several comments of a site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ids: Annotated[list[UUID], Field(min_length=1, max_length=MAX_CLAIM)]
    action: Action
    note: Annotated[StrictStr, AfterValidator(_note)] | None = None


class BulkItem(BaseModel):
    """What a bulk decision did to one comment; `status` is null when it was not applied."""

    model_config = ConfigDict(frozen=True)

    id: str
    outcome: Outcome
    status: Status | None


class BulkOut(BaseModel):
    """Outcomes of a bulk decision, in the order the ids were sent."""

    model_config = ConfigDict(frozen=True)

    items: list[BulkItem]
    next_cursor: str | None = None


class Event(BaseModel):
    """One change in a comment's history: of its status, or (kind redaction) of its public
    copy, with the copy before and after."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["status", "redaction"] = "status"
    actor: str
    action: Action | None
    from_status: Status | None
    to_status: Status
    note: str | None
    model_version: str | None
    policy_version: int | None
    created_at: datetime
    public_before: str | None = None
    public_after: str | None = None


class EventPage(BaseModel):
    """A comment's whole history, oldest first."""

    model_config = ConfigDict(frozen=True)

    items: list[Event]
    next_cursor: str | None = None


class AuditEntry(BaseModel):
    """One line of a site's audit log."""

    model_config = ConfigDict(frozen=True)

    created_at: datetime
    kind: Literal["decision", "policy", "staff", "model", "author", "redaction"]
    ref: str = Field(exclude=True)
    actor: str
    detail: dict[str, object]


class AuditPage(BaseModel):
    """One page of the audit log, newest first."""

    model_config = ConfigDict(frozen=True)

    items: list[AuditEntry]
    next_cursor: str | None
