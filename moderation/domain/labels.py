"""Moderators' decisions as training labels: the file `moderation export-labels` writes.

The file is the only interface between the service and the classifiers' trainer
(`python -m classifiers.train --with-decisions FILE`): one row per comment with its text,
labels, site slug and decision time. No email, name, IP or id: e-mail addresses and phone
numbers inside the text become the placeholders the model's features use anyway.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Literal, assert_never

import orjson
from pydantic import BaseModel, ConfigDict

from moderation.domain.privacy import redact_contacts
from moderation.domain.review import Action

Format = Literal["jsonl", "csv"]
COLUMNS = ("text", "spam", "abuse", "hate", "site", "action", "decided_at")


class Label(BaseModel):
    """One comment's latest decision as labels; None where the decision says nothing."""

    model_config = ConfigDict(frozen=True)

    text: str
    spam: int | None
    abuse: int | None
    hate: int | None
    site: str
    action: Action
    decided_at: datetime


def labels_of(action: Action) -> tuple[int | None, int | None, int | None]:
    """(spam, abuse, hate) a decision implies: approving means clean, the rest one label."""
    if action == "approve" or action == "not_spam":
        return 0, 0, 0
    if action == "spam":
        return 1, None, None
    if action == "reject":
        return 0, 1, None
    assert_never(action)


def label(site: str, body: str, action: Action, decided_at: datetime) -> Label:
    """A decision as a label row, contact details removed from the text."""
    spam, abuse, hate = labels_of(action)
    text = redact_contacts(body)
    return Label(
        text=text, spam=spam, abuse=abuse, hate=hate, site=site, action=action,
        decided_at=decided_at,
    )  # fmt: skip


def render(rows: Iterable[Label], fmt: Format) -> str:
    """The rows as JSON lines or as CSV with a header (empty cell: no label)."""
    if fmt == "jsonl":
        return "".join(row.model_dump_json() + "\n" for row in rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            values = orjson.loads(row.model_dump_json())
            writer.writerow(["" if values[c] is None else values[c] for c in COLUMNS])
        return out.getvalue()
    assert_never(fmt)


def format_of(path: str | None, asked: Format | None) -> Format:
    """The format asked for, else CSV for a .csv file, else JSON lines."""
    if asked is not None:
        return asked
    return "csv" if path is not None and path.lower().endswith(".csv") else "jsonl"
