"""Webhook bodies, signatures, secrets and backoff."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime
from typing import cast
from uuid import uuid4

import orjson
import pytest

from moderation.domain.outbox import OutboxItem, WebhookEvent, backoff, new_secret, sign
from moderation.runtime.egress import Clients
from moderation.runtime.metrics import Metrics
from moderation.runtime.webhooks import WebhookWorker
from moderation.settings import Settings
from moderation.store import Store


def item(**overrides: object) -> OutboxItem:
    fields: dict[str, object] = {
        "id": 1, "site_id": 1, "event_id": uuid4(), "event": "comment.created",
        "payload": {"event": "comment.created", "comment": {"id": "c1", "status": "pending"}},
        "attempts": 1, "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "site": "news",
        "secret": "whsec_test", "url": "https://example.vn/hook",
        "comment_created_at": datetime(2026, 1, 2, 3, 4, 0, tzinfo=UTC),
        "permalink": None,
    }  # fmt: skip
    return OutboxItem.model_validate({**fields, **overrides})


def test_signature_is_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"event":"comment.created"}'
    expected = hmac.new(b"whsec_abc", body, hashlib.sha256).hexdigest()
    assert sign("whsec_abc", body) == f"sha256={expected}"


def test_secret_has_the_agreed_shape() -> None:
    secrets = {new_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(s.startswith("whsec_") and len(s) == 49 for s in secrets)


def test_backoff_is_full_jitter_under_a_doubling_capped_ceiling() -> None:
    for attempt in range(1, 40):
        ceiling = min(3600.0, 5.0 * 2 ** (attempt - 1))
        waits = [backoff(attempt, 5.0, 3600.0) for _ in range(50)]
        assert all(0 <= w <= ceiling for w in waits)
    assert max(backoff(30, 5.0, 3600.0) for _ in range(200)) > 5.0 * 2


def test_body_adds_event_id_site_and_intake_defaults() -> None:
    one = item()
    body = one.body()
    event = orjson.loads(body)
    assert event["event_id"] == str(one.event_id) and event["site"] == "news"
    assert event["created_at"] == "2026-01-02T03:04:05Z"
    assert event["comment"] == {
        "id": "c1", "status": "pending", "previous_status": None, "action": None,
        "actor": "system", "created_at": "2026-01-02T03:04:00Z", "permalink": None,
        "public_body": None,
    }  # fmt: skip
    headers = one.headers(body)
    assert headers["X-Moderation-Signature"] == sign("whsec_test", body)
    assert headers["X-Moderation-Event-Id"] == str(one.event_id)
    assert headers["X-Moderation-Event"] == "comment.created"


def test_body_matches_the_documented_schema() -> None:
    payload = {
        "event": "comment.status_changed",
        "comment": {
            "id": "c1", "thread": "t", "status": "spam", "previous_status": "pending",
            "action": "spam", "actor": "site:admin", "scores": {"spam": 0.9},
            "reasons": ["spam"], "model_version": "m2", "policy_version": 3,
        },
    }  # fmt: skip
    body = item(event="comment.status_changed", payload=payload, permalink="https://x.vn/1").body()
    event = WebhookEvent.model_validate_json(body)
    assert event.comment.actor == "site:admin" and event.comment.permalink == "https://x.vn/1"
    assert event.comment.public_body is None  # a row written before events carried the copy


async def test_a_wake_at_shutdown_does_not_swallow_the_cancel() -> None:
    settings = Settings(webhook_poll_seconds=30)
    worker = WebhookWorker(cast(Store, None), settings, Metrics(), cast(Clients, None))
    for _ in range(20):
        idle = asyncio.create_task(worker._idle())
        await asyncio.sleep(0)  # waiting for a wake
        worker.wake()  # a decision just before shutdown...
        idle.cancel()  # ...and the application's cleanup
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(idle, 5)
        worker._wake.clear()  # the cancelled sleep left it set
