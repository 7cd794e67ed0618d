"""Migrations from zero give the schema the code expects; concurrent runs are safe."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from moderation import admin
from moderation.domain.review import QueueItem
from moderation.store import migrate_dsn
from moderation.store import sqlfiles as sql

EXPECTED = {
    "schema_migrations": {"version", "name", "applied_at"},
    "sites": {
        "id", "slug", "key_hash", "created_at", "previous_key_hash", "previous_key_expires_at",
        "webhook_secret", "webhook_networks", "adapter_current", "adapter_pinned",
        "adapter_enabled",
    },
    "users": {
        "id", "site_id", "username", "role", "token_hash", "created_at", "revoked_at",
        "password_hash",
    },
    "policies": {"site_id", "version", "body", "changes", "created_by", "created_at"},
    "comment_events": {
        "id", "site_id", "comment_id", "actor", "from_status", "to_status", "note",
        "model_version", "policy_version", "created_at", "action",
    },
    "outbox": {
        "id", "event_id", "site_id", "comment_id", "event", "payload", "attempts",
        "next_attempt_at", "delivered_at", "last_error", "created_at", "state",
    },
    "sessions": {
        "id_hash", "site_id", "user_id", "created_at", "expires_at", "credential", "token_hash",
    },
    "login_failures": {"id", "site_id", "account_hash", "address_hash", "created_at"},
    "site_adapters": {
        "site_id", "version", "created_at", "created_by", "base_version", "digest", "arrays",
        "figures", "decisions", "adopted", "state",
    },
    "site_adapter_events": {"id", "site_id", "created_at", "actor", "action", "version"},
    "webhook_deliveries": {
        "id", "site_id", "outbox_id", "event_id", "attempt", "outcome", "http_status", "error",
        "duration_ms", "created_at",
    },
    "threads": {"site_id", "thread", "title", "url", "updated_at"},
    "comment_reports": {"id", "site_id", "comment_id", "reason", "reader_hash", "created_at"},
    "staff_links": {
        "id", "site_id", "user_id", "token_hash", "purpose", "created_by", "created_at",
        "expires_at", "used_at",
    },
    "staff_events": {
        "id", "site_id", "user_id", "username", "role", "actor", "action", "method", "created_at",
    },
    "author_rules": {"site_id", "email_hash", "rule", "set_by", "note", "set_at"},
    "author_rule_events": {
        "id", "site_id", "email_hash", "rule", "previous", "actor", "note", "created_at",
    },
    "comment_redactions": {
        "id", "site_id", "comment_id", "actor", "status", "public_before", "public_after",
        "note", "created_at",
    },
}  # fmt: skip
COMMENT_COLUMNS = {
    "id", "site_id", "thread", "parent_id", "author_name", "email_hash", "email_domain",
    "email_masked", "ip_prefix", "body", "public_body", "status", "intake_status", "scores",
    "reasons", "model_version", "policy_version", "idempotency_key", "created_at",
    "claimed_by", "claim_expires_at", "top_score", "adapter_version",
}  # fmt: skip


@pytest.fixture
async def empty_dsn(admin_dsn: str) -> AsyncIterator[str]:
    """A database with no schema at all."""
    name = f"e_{uuid.uuid4().hex[:12]}"
    yield await admin.create_database(admin_dsn, name)
    await admin.drop_database(admin_dsn, name)


async def columns(dsn: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(dsn)
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public'"
    )
    await conn.close()
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["table_name"], set()).add(row["column_name"])
    return found


async def test_from_zero_gives_expected_schema(empty_dsn: str) -> None:
    applied = await migrate_dsn(empty_dsn)
    assert applied == [m.version for m in sql.load_migrations()]
    found = await columns(empty_dsn)
    assert {k: v for k, v in found.items() if k not in ("comments", "queue_items")} == EXPECTED
    assert found["comments"] >= COMMENT_COLUMNS
    # the view queue_oldest and queue_by_score read gives every field a queue item needs
    # (evidence from the model; the author's id and rule, redacted: Store.with_authors)
    added = {"evidence", "author_id", "author_rule", "redacted"}
    assert found["queue_items"] >= set(QueueItem.model_fields) - added
    tenant_tables = set(found) - {"sites", "schema_migrations"}
    assert all("site_id" in found[t] for t in tenant_tables)


async def test_second_run_applies_nothing(empty_dsn: str) -> None:
    await migrate_dsn(empty_dsn)
    assert await migrate_dsn(empty_dsn) == []


async def test_an_up_to_date_read_only_database_needs_no_write(
    empty_dsn: str, admin_dsn: str
) -> None:
    """A host can start (it migrates first) on a standby or a read-only server: writes then
    answer 503 and /readyz?require=primary says why, instead of the host failing to start."""
    await migrate_dsn(empty_dsn)
    name = empty_dsn.rpartition("/")[2]
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        assert await migrate_dsn(empty_dsn) == []
    finally:
        await admin.close()


async def test_concurrent_runs_apply_once(empty_dsn: str) -> None:
    results = await asyncio.gather(*(migrate_dsn(empty_dsn) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, len(sql.load_migrations())]
    conn = await asyncpg.connect(empty_dsn)
    count = await conn.fetchval("SELECT count(*) FROM schema_migrations")
    await conn.close()
    assert count == len(sql.load_migrations())


async def test_0004_gives_existing_sites_their_own_webhook_secret(empty_dsn: str) -> None:
    conn = await asyncpg.connect(empty_dsn)
    queries = sql.load_queries()
    await conn.execute(queries["migration_table"])
    for migration in sql.load_migrations()[:3]:
        await conn.execute(migration.sql)
        await conn.execute(queries["record_migration"], *migration[:2])
    await conn.execute("INSERT INTO sites (slug, key_hash) VALUES ('a', 'ka'), ('b', 'kb')")
    assert await migrate_dsn(empty_dsn) == [m.version for m in sql.load_migrations()[3:]]
    secrets = [r[0] for r in await conn.fetch("SELECT webhook_secret FROM sites")]
    await conn.close()
    assert len(set(secrets)) == 2
    assert all(re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", s) for s in secrets)
