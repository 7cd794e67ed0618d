"""Per-site learning, pure: which decisions teach which label, and the models the API shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict, Field

from moderation.domain.review import Action

LABELS = ("spam", "abuse")  # what moderators' decisions teach; hate is left to the base


def teaches(action: Action) -> tuple[int | None, int | None]:
    """(spam, abuse) a decision teaches: spam/not_spam teach spam, reject/approve teach abuse."""
    if action == "spam":
        return 1, None
    if action == "not_spam":
        return 0, None
    if action == "reject":
        return None, 1
    if action == "approve":
        return None, 0
    assert_never(action)


@dataclass(frozen=True)
class Examples:
    """A site's decided comments as training data: texts, labels per label, who decided."""

    texts: list[str]
    labels: dict[str, list[int | None]]
    actors: list[str]


def examples(rows: Sequence[tuple[str, Action, str]]) -> Examples:
    """Training data from (body, action, actor) rows; the author is never among them."""
    spam: list[int | None] = []
    abuse: list[int | None] = []
    for _, action, _ in rows:
        s, a = teaches(action)
        spam.append(s)
        abuse.append(a)
    return Examples(
        texts=[body for body, _, _ in rows],
        labels={"spam": spam, "abuse": abuse},
        actors=[actor for _, _, actor in rows],
    )


@dataclass(frozen=True)
class NewAdapter:
    """A trained adapter as the store keeps it."""

    decisions: int
    actor: str
    base_version: str
    digest: str
    arrays: bytes
    figures: dict[str, Any]
    adopted: bool


class AdapterVersion(BaseModel):
    """One stored adapter version of a site (without its arrays)."""

    model_config = ConfigDict(frozen=True)

    version: int
    created_at: datetime
    created_by: str
    base_version: str
    digest: str
    figures: dict[str, Any]
    decisions: int
    adopted: bool
    state: Literal["adopted", "not_better"]


class AdaptOut(BaseModel):
    """The answer to POST /v1/sites/{site}/model/adapt."""

    model_config = ConfigDict(frozen=True)

    version: int
    decisions: int
    adopted: bool
    base_version: str
    labels: dict[str, Any] = Field(
        description="per label: decisions, positives, negatives, base_auc and adapted_auc "
        "(out of fold on the site's own decisions), adopted"
    )
    cpu_seconds: float


class CurvePoint(BaseModel):
    """Out-of-fold quality of one stored version against the decisions it learnt from."""

    model_config = ConfigDict(frozen=True)

    version: int
    decisions: int
    label: str
    base_auc: float | None
    adapted_auc: float | None


class SiteModelOut(BaseModel):
    """GET /v1/sites/{site}/model: what scores the site's comments, and its history."""

    model_config = ConfigDict(frozen=True)

    base_version: str
    enabled: bool
    pinned: int | None
    latest_adopted: int | None
    in_use: int | None = Field(description="the adapter version scoring comments now")
    new_decisions: int = Field(description="decisions since the last training")
    history: list[AdapterVersion]
    learning_curve: list[CurvePoint]


class SiteModelChange(BaseModel):
    """PUT /v1/sites/{site}/model: pin a version (null: the latest adopted), on or off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pinned: int | None = Field(default=None, ge=1)
    enabled: bool = True


def curve(history: Sequence[AdapterVersion]) -> list[CurvePoint]:
    """The learning curve: each version's out-of-fold figures per label, oldest first."""
    points = []
    for v in sorted(history, key=lambda h: h.version):
        for label, fig in sorted(v.figures.get("labels", {}).items()):
            if fig.get("base_auc") is None and fig.get("adapted_auc") is None:
                continue
            points.append(
                CurvePoint(
                    version=v.version,
                    decisions=int(fig.get("decisions", v.decisions)),
                    label=label,
                    base_auc=fig.get("base_auc"),
                    adapted_auc=fig.get("adapted_auc"),
                )
            )
    return points
