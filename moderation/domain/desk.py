"""A moderation desk's tools (issue 19): an author's comments and rule (ban, premoderate,
trust), search over a site's comments, and edits of a comment's public copy."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr

from moderation.domain.errors import InvalidField
from moderation.domain.models import Body, Status, clean_text
from moderation.domain.review import QueueItem, StatusCounts

# ban: every new comment rejected; premoderate: every new one held; trust: published unless a
# hard reject (a blocked term, a reject threshold, a refused email domain).
AuthorRule = Literal["ban", "premoderate", "trust"]
# An author's id: the hex of the keyed hash of their address the service stores (HMAC-SHA256:
# without the deployment's secret it says nothing of the address).
AUTHOR_ID = re.compile(r"^[0-9a-f]{64}$")
# Search terms: a bound on each pattern's length keeps every test linear in the text searched.
SEARCH_TEXT_MAX = 100
# Rows a search page looks at, at most, whatever it finds among them.
SEARCH_SCAN = 2000


def author_hash(value: str) -> bytes:
    """An author id from a path as the stored hash; 422 naming `author` otherwise."""
    if not AUTHOR_ID.match(value):
        raise InvalidField("author", "must be 64 lowercase hexadecimal digits")
    return bytes.fromhex(value)


def _note(value: str) -> str:
    """A note: trimmed, NFC, at most 2000 characters."""
    return clean_text(value, max_len=2000, multiline=True)


Note = Annotated[StrictStr, AfterValidator(_note)]


def like_pattern(text: str) -> str:
    """A search term as an ILIKE pattern matching it anywhere, its own wildcards literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def undecorated(term: str) -> bool:
    """True when a search term carries no diacritics (no combining mark once decomposed, no
    đ): typed that way, it should also find the text written with them."""
    decomposed = unicodedata.normalize("NFD", term)
    return not any(unicodedata.combining(c) for c in decomposed) and "đ" not in term.casefold()


def search_text(field: str, raw: str | None) -> str | None:
    """A search term from the query string: trimmed, NFC, 1 to SEARCH_TEXT_MAX characters,
    no control characters; None when absent or blank; 422 naming the field otherwise."""
    if raw is None or not raw.strip():
        return None
    try:
        return clean_text(raw, max_len=SEARCH_TEXT_MAX)
    except ValueError as exc:  # PydanticCustomError is a ValueError
        raise InvalidField(field, str(exc)) from None


class Search(BaseModel):
    """What a search asks: any of text, author name, article, status, reason and days."""

    model_config = ConfigDict(frozen=True)

    status: Status | None = None
    thread: str | None = None
    reason: str | None = None
    text: str | None = None
    name: str | None = None
    since: date | None = Field(None, description="first day, in the site's time zone")
    until: date | None = Field(None, description="last day (included)")


class AuthorRuleState(BaseModel):
    """The rule a moderator set on an author, by whom and when."""

    model_config = ConfigDict(frozen=True)

    rule: AuthorRule
    set_by: str
    set_at: datetime
    note: str | None


class AuthorCounts(StatusCounts):
    """An author's comments on the site, per status: all of them (AuthorHistory counts only
    those before one comment)."""


class AuthorOut(BaseModel):
    """An author of a site as moderators see them: never their address."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="hex of the keyed hash of the author's address")
    name: str = Field(description="the name on their latest comment")
    names: list[str] = Field(description="names they used (up to 6)")
    counts: AuthorCounts
    first_at: datetime
    last_at: datetime
    rule: AuthorRuleState | None


class AuthorRuleIn(BaseModel):
    """The rule to set on an author (null lifts it), with an optional note."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: AuthorRule | None
    note: Note | None = None


class AuthorRuleEvent(BaseModel):
    """One change of an author's rule (rule null: lifted)."""

    model_config = ConfigDict(frozen=True)

    rule: AuthorRule | None
    previous: AuthorRule | None
    actor: str
    note: str | None
    created_at: datetime


class AuthorRuleOut(BaseModel):
    """An author after a change of rule, with whether it changed."""

    model_config = ConfigDict(frozen=True)

    author: AuthorOut
    changed: bool


class AuthorEventPage(BaseModel):
    """The changes of an author's rule, newest first."""

    model_config = ConfigDict(frozen=True)

    items: list[AuthorRuleEvent]


class AuthorView(BaseModel):
    """An author and one page of their comments (for the page)."""

    model_config = ConfigDict(frozen=True)

    author: AuthorOut
    items: list[QueueItem]
    events: list[AuthorRuleEvent]


class RedactionIn(BaseModel):
    """A new public copy of a comment; publish it too when `publish` (the default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public_body: Body
    publish: StrictBool = True
    note: Note | None = None


class RedactionOut(BaseModel):
    """The comment's public copy and status after an edit."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: Status
    public_body: str
    edited: bool = Field(description="false when the copy sent was the one already public")
    published: bool = Field(description="whether this request published it")


class AuthorRulePageIn(BaseModel):
    """A rule set from the author's page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    author: StrictStr
    rule: AuthorRule | None
    note: Note | None = None


class RedactionPageIn(RedactionIn):
    """An edit of a comment's public copy from the pages."""

    id: UUID


class RuleAnswer(BaseModel):
    """The author's rule after a change, as HTML for the page to swap in."""

    model_config = ConfigDict(frozen=True)

    html: str
    rule: AuthorRule | None
    changed: bool


class RedactionAnswer(BaseModel):
    """The comment after an edit, as HTML for the page to swap in."""

    model_config = ConfigDict(frozen=True)

    html: str
    status: Status
    published: bool
    edited: bool
