"""A site's stats: volumes, the queue, and how moderators' decisions agree with intake's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from moderation.domain.models import LABELS, Label, Status


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


def _share(part: int, whole: int) -> float | None:
    """part / whole, None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def _label(label: str, outcomes: Mapping[str, ReasonOutcome]) -> LabelOutcome:
    """A score's hold and reject outcomes."""
    empty = ReasonOutcome(reason="", decided=0, published=0, removed=0, overturn_rate=None)
    held, rejected = outcomes.get(f"{label}:hold", empty), outcomes.get(f"{label}:reject", empty)
    return LabelOutcome(
        held_decided=held.decided,
        held_fine_share=_share(held.published, held.decided),
        rejected_decided=rejected.decided,
        reject_precision=_share(rejected.removed, rejected.decided),
    )


def shape_stats(row: Mapping[str, Any], since: datetime, days: int, time_zone: str) -> StatsOut:
    """The stats answer from the site_stats row."""
    reasons = [ReasonOutcome(**r, overturn_rate=_share(r["published"], r["decided"]))
               for r in row["by_reason"]]  # fmt: skip
    by_reason = {r.reason: r for r in reasons}
    auto, overturned = int(row["auto_decided"]), int(row["overturned"])
    return StatsOut(
        since=since,
        days=days,
        time_zone=time_zone,
        volumes=[DayVolume.model_validate(v) for v in row["volumes"]],
        queue_depth=int(row["queue_depth"]),
        oldest_pending_seconds=row["oldest_pending_seconds"],
        median_decision_seconds=row["median_decision_seconds"],
        decided=int(row["decided"]),
        auto_decided=auto,
        overturned=overturned,
        overturn_rate=_share(overturned, auto),
        by_label={label: _label(label, by_reason) for label in LABELS},
        by_reason=reasons,
    )
