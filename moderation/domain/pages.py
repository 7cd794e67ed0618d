"""Models of the staff pages: the rows they read (login candidates, failed-login counts, staff,
thread context), what their scripts send, and the answers the scripts get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictInt, StrictStr

from moderation.domain.models import Role, Status, clean_text
from moderation.domain.passwords import password_problem
from moderation.domain.review import Action, Outcome, Staff


def _note(value: str) -> str:
    """A decision note: trimmed, NFC, at most 2000 characters."""
    return clean_text(value, max_len=2000, multiline=True)


class LoginCandidate(BaseModel):
    """A staff member found by site and name, with the password hash to check."""

    model_config = ConfigDict(frozen=True)

    staff: Staff
    password_hash: str | None


class LoginFailures(BaseModel):
    """Failed logins in the window for one account and one address, and when each eases."""

    model_config = ConfigDict(frozen=True)

    account_failures: int
    account_retry: float | None
    address_failures: int
    address_retry: float | None


class StaffRow(BaseModel):
    """A staff member as the owners' staff page lists them."""

    model_config = ConfigDict(frozen=True)

    username: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    has_password: bool
    last_login: datetime | None
    link_pending: bool = False


class ThreadComment(BaseModel):
    """A comment of the same thread, shown beside the one under review."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    body: str
    status: Status
    created_at: datetime


class OneDecisionIn(BaseModel):
    """A decision from the queue page on one comment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: UUID
    action: Action
    note: Annotated[StrictStr, AfterValidator(_note)] | None = None


class UndoIn(BaseModel):
    """The comment whose last decision (the caller's own) is undone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: UUID


class PolicySaveIn(BaseModel):
    """A policy change from the editor, made to the version it was read at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: StrictInt
    change: dict[str, Any]


class ItemsAnswer(BaseModel):
    """A page of the queue as HTML, for the queue page's script to swap in."""

    model_config = ConfigDict(frozen=True)

    html: str
    count: int
    next_cursor: str | None


class ClaimAnswer(BaseModel):
    """The comments just claimed, as HTML."""

    model_config = ConfigDict(frozen=True)

    html: str
    count: int


class DecisionAnswer(BaseModel):
    """What a decision from the queue page did to its comment."""

    model_config = ConfigDict(frozen=True)

    id: str
    outcome: Outcome
    status: Status


class BulkAnswerItem(BaseModel):
    """What a bulk decision from the queue page did to one comment."""

    model_config = ConfigDict(frozen=True)

    id: str
    outcome: Outcome


class BulkAnswer(BaseModel):
    """Outcomes of a bulk decision, in the order the ids were sent, and the status asked."""

    model_config = ConfigDict(frozen=True)

    items: list[BulkAnswerItem]
    status: Status


class UndoAnswer(BaseModel):
    """The comment back in the queue, as HTML."""

    model_config = ConfigDict(frozen=True)

    html: str


class PreviewAnswer(BaseModel):
    """A policy preview as HTML (table and chart), with its two headline counts."""

    model_config = ConfigDict(frozen=True)

    html: str
    changed: int
    comments: int


class SaveAnswer(BaseModel):
    """The policy version in force after a save from the editor, and whether it is new."""

    model_config = ConfigDict(frozen=True)

    version: int
    changed: bool


# The queue's counts and live check, and owners' staff management (issue 19).

COUNT_CAP = 1000


class QueueCounts(BaseModel):
    """How many comments are in each status and reported (each up to COUNT_CAP + 1: more
    is shown as "1000+"), how many new ones match the page since its last check, and the
    database's time of this count (the next check's "since")."""

    model_config = ConfigDict(frozen=True)

    pending: int
    published: int
    rejected: int
    spam: int
    reported: int
    fresh: int
    as_of: datetime

    def shown(self, name: str) -> str:
        """A count as the tabs show it: "1000+" past the cap."""
        value = int(getattr(self, name))
        return f"{COUNT_CAP}+" if value > COUNT_CAP else str(value)

    def tabs(self) -> dict[str, str]:
        """Every count by name, as shown."""
        names = ("pending", "published", "rejected", "spam", "reported", "fresh")
        return {n: self.shown(n) for n in names}


class LiveAnswer(BaseModel):
    """The live check of a queue page: counts as shown, new comments, the next "since"."""

    model_config = ConfigDict(frozen=True)

    counts: dict[str, str]
    fresh: int
    fresh_text: str
    since: str


class ThreadChoice(BaseModel):
    """An article the thread filter offers: its thread key and title, when known."""

    model_config = ConfigDict(frozen=True)

    thread: str
    title: str | None


def _username(value: str) -> str:
    """A staff member's name: trimmed, NFC, 1 to 100 characters, no control characters."""
    return clean_text(value, max_len=100)


def _new_password(value: str) -> str:
    """A new password: long enough and not absurdly long (never trimmed)."""
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Username = Annotated[StrictStr, AfterValidator(_username)]
NewPassword = Annotated[StrictStr, AfterValidator(_new_password)]


class InviteIn(BaseModel):
    """An owner adds a staff member: a one-time link to hand them, or a first password."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: Username
    role: Role = "moderator"
    method: Literal["link", "password"] = "link"
    password: NewPassword | None = None


class StaffNameIn(BaseModel):
    """The staff member an owner revokes, restores or resets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: Username


class StaffLinkOut(BaseModel):
    """A one-time link just made: its path (shown once, never stored) and its expiry."""

    model_config = ConfigDict(frozen=True)

    username: str
    path: str | None
    expires_at: datetime | None
    expires_shown: str | None = None


class StaffChanged(BaseModel):
    """What a revocation or restoration did."""

    model_config = ConfigDict(frozen=True)

    username: str
    done: Literal["revoked", "restored"]


class LinkState(BaseModel):
    """A usable one-time link: whose, what for, until when."""

    model_config = ConfigDict(frozen=True)

    purpose: Literal["invite", "reset"]
    expires_at: datetime
    username: str
    role: Role
    site_slug: str
