"""Pydantic models shared by the steps of the pipeline and the HTTP API."""

from __future__ import annotations

import ipaddress
import unicodedata
from datetime import datetime
from functools import partial
from typing import Annotated, Literal, Self
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

Status = Literal["published", "pending", "rejected", "spam"]
Label = Literal["spam", "abuse", "hate"]
LABELS: tuple[Label, ...] = ("spam", "abuse", "hate")
Role = Literal["owner", "moderator"]

# Bidirectional overrides and isolates let a name or thread display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MULTILINE_ALLOWED = frozenset("\n\t")


def _has_control(text: str, multiline: bool) -> bool:
    """True when the text holds a control character the field does not allow."""
    allowed = _MULTILINE_ALLOWED if multiline else frozenset()
    return any(
        (unicodedata.category(c) == "Cc" and c not in allowed) or c in _BIDI_CONTROLS for c in text
    )


def clean_text(value: str, *, max_len: int, multiline: bool = False) -> str:
    """NFC-normalise and trim a text field, refusing empty, too long or control characters."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if not text:
        raise PydanticCustomError("empty", "must not be empty")
    if len(text) > max_len:
        raise PydanticCustomError("too_long", "must be at most {max} characters", {"max": max_len})
    if _has_control(text, multiline):
        raise PydanticCustomError("control_chars", "must not contain control characters")
    return text


def check_email(value: str) -> str:
    """Normalise an email address; syntax only, no DNS. The message never echoes the input."""
    text = clean_text(value, max_len=254)
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise PydanticCustomError("email", "is not a valid email address") from None
    return checked.normalized


def check_ip(value: str) -> str:
    """Accept an IPv4 or IPv6 address."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise PydanticCustomError("ip", "is not a valid IP address") from None


def _text(max_len: int, multiline: bool = False) -> AfterValidator:
    """Validator for a text field of at most max_len characters."""
    return AfterValidator(partial(clean_text, max_len=max_len, multiline=multiline))


def order_scores(scores: dict[str, float]) -> dict[str, float]:
    """The contract's labels first (spam, abuse, hate), then any others by name."""
    keys = [*[k for k in LABELS if k in scores], *sorted(set(scores) - set(LABELS))]
    return {k: scores[k] for k in keys}


Scores = Annotated[dict[str, float], AfterValidator(order_scores)]
Thread = Annotated[StrictStr, _text(500)]
Name = Annotated[StrictStr, _text(100)]
Body = Annotated[StrictStr, _text(10_000, multiline=True)]
Email = Annotated[StrictStr, AfterValidator(check_email)]
IdempotencyKey = Annotated[StrictStr, Field(pattern=r"^[\x21-\x7e]{1,255}$")]


class CommentIn(BaseModel):
    """A comment as a website posts it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    thread: Thread
    name: Name
    email: Email
    body: Body
    parent_id: UUID | None = None
    author_ip: Annotated[StrictStr, AfterValidator(check_ip)] | None = None
    user_agent: Annotated[StrictStr, _text(1000)] | None = None
    author_url: Annotated[StrictStr, _text(2000)] | None = None
    permalink: Annotated[StrictStr, _text(2000)] | None = None
    honeypot: Annotated[StrictStr, Field(max_length=1000)] | None = None
    form_shown_at: AwareDatetime | None = None
    idempotency_key: IdempotencyKey | None = None


class ProtectedComment(BaseModel):
    """A comment after privacy: no plaintext email, public body masked."""

    model_config = ConfigDict(frozen=True)

    thread: str
    name: str
    email_hash: bytes
    email_domain: str
    email_masked: str
    body: str
    public_body: str
    parent_id: UUID | None
    ip_prefix: str | None
    user_agent: str | None
    author_url: str | None
    permalink: str | None
    honeypot: bool
    form_shown_at: datetime | None
    idempotency_key: str | None


class Band(BaseModel):
    """Score bands: hold at or above `hold`, reject at or above `reject`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hold: float = Field(ge=0, le=1)
    reject: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        """Refuse a band whose hold threshold lies above its reject threshold."""
        if self.hold > self.reject:
            raise PydanticCustomError("band", "hold must not exceed reject")
        return self


class Thresholds(BaseModel):
    """Bands per label."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spam: Band = Band(hold=0.5, reject=0.97)
    abuse: Band = Band(hold=0.5, reject=0.95)
    hate: Band = Band(hold=0.5, reject=0.95)


class Policy(BaseModel):
    """A site's moderation policy at one version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 0
    thresholds: Thresholds = Thresholds()
    blocked_terms: tuple[str, ...] = ()
    watched_terms: tuple[str, ...] = ()
    max_links: int | None = Field(default=None, ge=0)
    premoderate_new_authors: bool = False
    webhook_url: str | None = None


class Signals(BaseModel):
    """Facts about a comment besides its scores that the policy may use."""

    model_config = ConfigDict(frozen=True)

    links: int = 0
    honeypot: bool = False


class Decision(BaseModel):
    """The policy's verdict on one comment."""

    model_config = ConfigDict(frozen=True)

    status: Status
    reasons: tuple[str, ...]


class Site(BaseModel):
    """A site as the service sees it after authentication."""

    model_config = ConfigDict(frozen=True)

    id: int
    slug: str
    policy: Policy


class CommentOut(BaseModel):
    """The answer to POST /v1/comments."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: Status
    scores: Scores
    reasons: list[str]
    model_version: str


class CommentView(BaseModel):
    """A comment as its own site sees it; the email is masked."""

    model_config = ConfigDict(frozen=True)

    id: str
    thread: str
    parent_id: str | None
    name: str
    email_masked: str
    email_domain: str
    body: str
    public_body: str
    status: Status
    scores: Scores
    reasons: list[str]
    model_version: str
    policy_version: int
    created_at: datetime


class PublicComment(BaseModel):
    """A published comment as a reader sees it."""

    model_config = ConfigDict(frozen=True)

    id: str
    parent_id: str | None
    name: str
    body: str
    created_at: datetime


class PublicPage(BaseModel):
    """One page of a thread's published comments."""

    model_config = ConfigDict(frozen=True)

    items: list[PublicComment]
    next_cursor: str | None


class EraseIn(BaseModel):
    """Request to erase every comment of one author."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email


class EraseOut(BaseModel):
    """How many comments were erased."""

    model_config = ConfigDict(frozen=True)

    erased: int


class FieldError(BaseModel):
    """One invalid field in a 422 answer."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
