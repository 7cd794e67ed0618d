"""Models of the staff pages: the rows they read (login candidates, failed-login counts, staff,
thread context), what their scripts send, and the answers the scripts get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictInt, StrictStr

from moderation.domain.models import Role, Status, clean_text
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
