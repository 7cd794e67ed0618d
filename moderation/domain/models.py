"""Pydantic models shared by the steps of the pipeline and the HTTP API."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import datetime
from functools import partial
from typing import Annotated, Literal, Self
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from moderation.domain import links, targets

Status = Literal["published", "pending", "rejected", "spam"]
STORED = {"stored": True}  # validation context of rows read back from the database
Label = Literal["spam", "abuse", "hate"]
LABELS: tuple[Label, ...] = ("spam", "abuse", "hate")
Role = Literal["owner", "moderator"]

# Unicode's control characters (category Cc is exactly U+0000-001F and U+007F-009F), and the
# bidirectional overrides and isolates that let a name or thread display as something else.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROL_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")  # tab, newline allowed


def _has_control(text: str, multiline: bool) -> bool:
    """True when the text holds a control character the field does not allow."""
    return (_CONTROL_MULTILINE if multiline else _CONTROL).search(text) is not None


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


# The common case, an ASCII dot-atom at an ASCII domain of plain labels and a letters-only
# top-level domain, checked by one regular expression: email_validator answers exactly this
# for it (the domain lowercased), at a tenth of the CPU (tests/unit/test_models.py compares).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_SPECIAL_USE = tuple(SPECIAL_USE_DOMAIN_NAMES)


def _plain_email(text: str) -> str | None:
    """The normalised address when it is of the common case, else None."""
    match = _PLAIN_EMAIL.fullmatch(text)
    if match is None or len(match["local"]) > 64 or "--" in match["domain"]:
        return None  # long local parts and IDNA labels (xn--) take the full check
    domain = match["domain"].lower()
    if domain.rsplit(".", 1)[-1] in _SPECIAL_USE:  # each a top-level name (.test, .onion)
        return None
    return f"{match['local']}@{domain}"


def check_email(value: str) -> str:
    """Normalise an email address; syntax only, no DNS. The message never echoes the input."""
    text = clean_text(value, max_len=254)
    plain = _plain_email(text)
    if plain is not None:
        return plain
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


def check_web_url(value: str) -> str:
    """An absolute http(s) address with a host, of at most 2000 characters."""
    text = clean_text(value, max_len=2000)
    scheme, sep, rest = text.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if not sep or scheme.lower() not in ("http", "https") or not host or " " in text:
        raise PydanticCustomError("url", "must be an http or https address")
    return text


ThreadTitle = Annotated[StrictStr, _text(500)]
WebUrl = Annotated[StrictStr, AfterValidator(check_web_url)]


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
    thread_title: ThreadTitle | None = Field(
        None, description="the article's title, shown to moderators (the latest sent wins)"
    )
    thread_url: WebUrl | None = Field(
        None, description="the article's address (http or https), linked from the queue"
    )


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
    thread_title: str | None = None
    thread_url: str | None = None


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

    # the shipped model's hold thresholds (classifiers/model/model.json "hold", chosen on news
    # comment dev data by `python -m classifiers.eval --set-hold`; a test keeps them equal)
    spam: Band = Band(hold=0.65, reject=0.97)
    abuse: Band = Band(hold=0.35, reject=0.95)
    hate: Band = Band(hold=0.4, reject=0.95)


def _term(value: str) -> str:
    """A list term: trimmed, NFC, at most 100 characters, holding a letter or a digit."""
    text = clean_text(value, max_len=100)
    if not any(c.isalnum() for c in text):
        raise PydanticCustomError("term", "must contain a letter or a digit")
    return text


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    """Drop repeats (ignoring case), keeping the first spelling and the order."""
    first = {v.casefold(): v for v in reversed(values)}
    return tuple(dict.fromkeys(first[v.casefold()] for v in values))


def _domain(value: str) -> str:
    """An email domain: lower case letters, digits, dots and dashes."""
    text = value.strip().lower().removeprefix("@")
    if not _DOMAIN.fullmatch(text):
        raise PydanticCustomError("domain", "is not a domain name (like example.com)")
    return text


def _webhook_url(value: str, info: ValidationInfo) -> str:
    """An http(s) URL with a host and no credentials, in the form aiohttp sends to (a host in
    full-width digits is written as the IP address it is, which the address checks see).
    A policy read back from the database keeps a URL stored before today's checks: its site
    must go on taking comments, and the delivery refuses that URL."""
    text = clean_text(value, max_len=2000)
    try:
        return str(targets.parse(text))
    except targets.UnsafeTarget as exc:
        if info.context is not None and info.context.get("stored"):
            return text
        raise PydanticCustomError("url", str(exc)) from None


def _time_zone(value: str) -> str:
    """An IANA time zone name such as Asia/Ho_Chi_Minh."""
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise PydanticCustomError("time_zone", "is not an IANA time zone name") from None
    return value


_DOMAIN = re.compile(
    r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)
MAX_TERMS = 5000
Term = Annotated[StrictStr, AfterValidator(_term)]
TermList = Annotated[tuple[Term, ...], Field(max_length=MAX_TERMS), AfterValidator(_unique)]
Domain = Annotated[StrictStr, AfterValidator(_domain)]


class Flood(BaseModel):
    """Flood limits: at most so many comments per author / per IP prefix in a sliding window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_author: StrictInt | None = Field(
        default=None, ge=1, le=10_000, description="null: no limit"
    )
    per_ip: StrictInt | None = Field(
        default=None, ge=1, le=100_000, description="per /24 (IPv4) or /64 (IPv6); null: no limit"
    )
    window_seconds: StrictInt = Field(default=60, ge=1, le=86_400)


class Duplicates(BaseModel):
    """The same text (ignoring case, diacritics, digits, punctuation) posted again and again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_copies: StrictInt | None = Field(
        default=None, ge=1, le=1000,
        description="copies allowed in the window; the next ones are held or spam; null: off",
    )  # fmt: skip
    window_seconds: StrictInt = Field(default=86_400, ge=60, le=30 * 86_400)
    action: Literal["hold", "spam"] = "hold"
    min_length: StrictInt = Field(
        default=20, ge=1, le=1000, description="shorter texts (once normalised) never count"
    )


class Policy(BaseModel):
    """A site's moderation policy at one version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(default=0, description="read only; a PUT ignores it (use If-Match)")
    thresholds: Thresholds = Thresholds()
    blocked_terms: TermList = Field(default=(), description="reject (status rejected)")
    watched_terms: TermList = Field(default=(), description="hold for review")
    max_links: StrictInt | None = Field(default=None, ge=0, le=1000, description="hold at or above")
    premoderate_new_authors: StrictBool = Field(
        default=False, description="hold an author's comments until one of theirs is published"
    )
    trust_approved_authors: StrictBool = Field(
        default=False,
        description="publish held comments of authors with a published comment and no rejected"
        " or spam one among their last 20, unless a reject band or rule is hit",
    )
    min_form_seconds: float = Field(
        default=0, ge=0, le=3600, description="hold comments sent sooner after form_shown_at"
    )
    flood: Flood = Flood()
    duplicates: Duplicates = Duplicates()
    blocked_email_domains: Annotated[
        tuple[Domain, ...], Field(max_length=1000), AfterValidator(_unique)
    ] = Field(default=(), description="spam; subdomains too")
    webhook_url: Annotated[StrictStr, AfterValidator(_webhook_url)] | None = None
    trusted_domains: Annotated[
        tuple[Annotated[StrictStr, AfterValidator(links.check_hostname)], ...],
        Field(max_length=links.MAX_TRUSTED),
        AfterValidator(_unique),
    ] = Field(
        default=(),
        description="the site's own and its peers' domains (subdomains too): the links rule"
        " does not count links to them, nor to the sources readers cite (news sites, public"
        " bodies, universities, international agencies)",
    )
    time_zone: Annotated[StrictStr, AfterValidator(_time_zone)] = Field(
        default="UTC", description="days of the stats"
    )
    report_hold_threshold: StrictInt = Field(
        default=3,
        ge=0,
        le=1000,
        description="hold a published comment once this many readers reported it (0: never)",
    )


class TermHit(BaseModel):
    """A listed term found in a comment, with its span (character offsets in the body)."""

    model_config = ConfigDict(frozen=True)

    term: str
    list: Literal["blocked", "watched"]
    start: int
    end: int
    text: str


class Signals(BaseModel):
    """Facts about a comment besides its scores that the policy may use."""

    model_config = ConfigDict(frozen=True)

    links: int = 0
    honeypot: bool = False
    form_seconds: float | None = None
    email_domain_blocked: bool = False
    terms: tuple[TermHit, ...] = ()


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
    adapter: int | None = None  # the adapter version scoring its comments (None: the base)


class CommentOut(BaseModel):
    """The answer to POST /v1/comments."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: Status
    scores: Scores
    reasons: list[str]
    model_version: str
    adapter_version: int | None = None


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
    model_version: str  # the base model that scored it
    adapter_version: int | None = None  # the site's adapter version over it (None: the base)
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


class PolicyIn(Policy):
    """A policy change: any subset of the policy's fields; those left out keep their values.

    Objects merge field by field ({"thresholds": {"spam": {"hold": 0.3}}} changes one
    number); lists and other values replace. `version` is ignored: send If-Match.
    """


class ReloadOut(BaseModel):
    """The model in use after a reload, and the one before."""

    model_version: str = Field(description="the version now scoring comments")
    previous: str = Field(description="the version in use before the reload")


ReportReason = Literal["spam", "abuse", "hate", "personal_data", "misinformation", "other"]


class ReportIn(BaseModel):
    """A reader's report of a comment, relayed by the site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: ReportReason
    reporter_ip: IPvAnyAddress | None = Field(
        default=None,
        description="the reader's address: one report per reader and comment, and a limit per"
        " reader; kept only as a keyed hash",
    )


class ReportOut(BaseModel):
    """A comment after a report: its reports, its status, whether this report counted."""

    model_config = ConfigDict(frozen=True)

    id: str
    report_count: int
    status: Status
    counted: bool = Field(description="false for a reader's repeat report of this comment")
    held: bool = Field(description="true when this report put the comment on hold")
