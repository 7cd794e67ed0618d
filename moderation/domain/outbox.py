"""Webhook events as sent: the outbox row as a model, the body, its signature, the backoff."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network
from typing import Any, Literal
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field

from moderation.domain.models import Status
from moderation.domain.review import Action

Outcome = Literal["delivered", "retry", "skipped"]
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SIGNATURE_HEADER = "X-Moderation-Signature"


def new_secret() -> str:
    """A fresh signing secret: "whsec_" and 43 urlsafe base64 characters (32 random bytes)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes) -> str:
    """The X-Moderation-Signature value: sha256= and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds before the next try: full jitter over base * 2^(attempt-1), capped."""
    ceiling = min(cap, base * 2 ** min(max(attempt - 1, 0), 32))
    return random.uniform(0, ceiling)


class OutboxItem(BaseModel):
    """A leased outbox row with what its delivery needs."""

    model_config = ConfigDict(frozen=True)

    id: int
    site_id: int
    event_id: UUID
    event: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    site: str
    secret: str
    url: str | None
    comment_created_at: datetime | None
    permalink: str | None
    networks: tuple[IPv4Network | IPv6Network, ...] = ()  # the site's own allow-list

    def body(self) -> bytes:
        """The JSON body, built now from the payload plus the event id, site and comment."""
        comment = {
            "previous_status": None,
            "action": None,
            "actor": "system",
            "public_body": None,  # rows written before events carried the public copy
            **self.payload.get("comment", {}),
            "created_at": self.comment_created_at,
            "permalink": self.permalink,
        }
        return orjson.dumps(
            {
                "event_id": str(self.event_id),
                "event": self.event,
                "created_at": self.created_at,
                "site": self.site,
                "comment": comment,
            },
            option=orjson.OPT_UTC_Z,
        )

    def headers(self, body: bytes) -> dict[str, str]:
        """Headers of the POST, the signature over exactly these body bytes."""
        return {
            "Content-Type": "application/json",
            "X-Moderation-Event-Id": str(self.event_id),
            "X-Moderation-Event": self.event,
            SIGNATURE_HEADER: sign(self.secret, body),
        }


class Attempt(BaseModel):
    """What one delivery attempt came to."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    http_status: int | None = None
    error: str | None = None  # stored in webhook_deliveries
    duration_ms: float = 0.0
    # Why it failed, for /metrics and the log: refused, invalid_url, dns, connection,
    # timeout, error, http_4xx ... None when delivered or skipped.
    reason: str | None = None
    error_type: str | None = None  # the exception's class name, logged in place of `error`


class WebhookComment(BaseModel):
    """The comment as a webhook shows it (no email, no body)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="the id POST /v1/comments answered")
    thread: str
    status: Status
    previous_status: Status | None = Field(description="null at intake")
    action: Action | None = Field(description="null at intake")
    actor: str = Field(
        description='"system" at intake, a username, "site:<actor>", or "readers" when their'
        " reports held it"
    )
    scores: dict[str, float]
    reasons: list[str]
    model_version: str = Field(description="the model in force when the status changed")
    policy_version: int = Field(description="the site's policy version in force then")
    created_at: datetime = Field(description="when the comment was posted")
    permalink: str | None
    public_body: str | None = Field(
        description="the copy readers see as of this event (a moderator's edit of it, contacts"
        " masked); null only in events written before it was sent"
    )


class WebhookEvent(BaseModel):
    """The body POSTed to a site's webhook_url, signed in X-Moderation-Signature."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID = Field(description="also in X-Moderation-Event-Id; de-duplicate by it")
    event: Literal["comment.created", "comment.status_changed", "comment.edited"]
    created_at: datetime = Field(description="when the status or the public copy changed")
    site: str = Field(description="the site's slug")
    comment: WebhookComment
