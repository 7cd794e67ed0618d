"""Rows the web pages read: login candidates, failed-login counts, staff, thread context."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictInt, StrictStr

from moderation.domain.models import Role, Status, clean_text
from moderation.domain.review import Action, Staff


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
