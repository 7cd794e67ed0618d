"""Models of the site owners' API: policy changes, previews and stats."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from moderation.domain.models import Label, Policy, Status


class PolicyIn(Policy):
    """A policy change: any subset of the policy's fields; those left out keep their values.

    Objects merge field by field ({"thresholds": {"spam": {"hold": 0.3}}} changes one
    number); lists and other values replace. `version` is ignored: send If-Match.
    """


class PreviewExample(BaseModel):
    """A comment whose status the candidate policy would change."""

    model_config = ConfigDict(frozen=True)

    id: str
    body: str = Field(description="the first 300 characters")
    reasons_before: list[str]
    reasons_after: list[str]


class Transition(BaseModel):
    """How many comments would move from one status to another, with examples."""

    model_config = ConfigDict(frozen=True)

    from_status: Status
    to_status: Status
    count: int
    examples: list[PreviewExample]


class Agreement(BaseModel):
    """Against moderators' decisions: right (same side), wrong (other side), held for review."""

    model_config = ConfigDict(frozen=True)

    right: int
    wrong: int
    held: int


class PreviewOut(BaseModel):
    """The current and a candidate policy applied to the same recent comments."""

    model_config = ConfigDict(frozen=True)

    comments: int = Field(description="how many recent comments were replayed")
    changed: int
    before: dict[Status, int] = Field(description="statuses under the current policy")
    after: dict[Status, int] = Field(description="statuses under the candidate")
    transitions: list[Transition]
    decided: int = Field(description="comments moderators decided on")
    agreement_before: Agreement
    agreement_after: Agreement
    policy: Policy = Field(description="the candidate, as a PUT would store it")


class DayVolume(BaseModel):
    """Comments received on one day (in the policy's time zone) now in one status."""

    model_config = ConfigDict(frozen=True)

    day: date
    status: Status
    count: int


class ReasonOutcome(BaseModel):
    """Of the comments an automatic reason fired on that moderators decided: what became."""

    model_config = ConfigDict(frozen=True)

    reason: str
    decided: int
    published: int
    removed: int = Field(description="rejected or spam")
    overturn_rate: float | None = Field(
        description="for a hold: share published (held but fine); for a reject: share published"
    )


class LabelOutcome(BaseModel):
    """How one score's automatic decisions fared with moderators."""

    model_config = ConfigDict(frozen=True)

    held_decided: int
    held_fine_share: float | None = Field(description="held comments moderators published")
    rejected_decided: int
    reject_precision: float | None = Field(description="auto-rejected comments that stayed out")


class StatsOut(BaseModel):
    """A site's volumes, queue and moderators' agreement with the automatic decisions."""

    model_config = ConfigDict(frozen=True)

    since: datetime
    days: int
    time_zone: str
    volumes: list[DayVolume]
    queue_depth: int
    oldest_pending_seconds: float | None
    median_decision_seconds: float | None = Field(description="arrival to first decision")
    decided: int = Field(description="comments moderators decided on")
    auto_decided: int = Field(description="of those, the ones intake published or removed")
    overturned: int = Field(
        description="of those, published ones removed or removed ones published"
    )
    overturn_rate: float | None = Field(description="overturned / auto_decided")
    by_label: dict[Label, LabelOutcome]
    by_reason: list[ReasonOutcome]


class ReloadOut(BaseModel):
    """The model in use after a reload, and the one before."""

    model_version: str = Field(description="the version now scoring comments")
    previous: str = Field(description="the version in use before the reload")
