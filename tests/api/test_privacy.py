"""No author email anywhere: database, logs, responses, metrics."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation.runtime.logs import JsonFormatter
from tests.conftest import auth, both_intake_statements, comment

intake_statement = both_intake_statements  # every test with each intake statement

EMAILS = ["hidden.author@example.com", "Người.Dùng@ví-dụ.vn", "spammer@casino.example"]


async def every_text_in_database(db: asyncpg.Connection) -> str:
    """Each row of each table of the public schema, rendered as text."""
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    assert {"comments", "comment_events", "outbox", "sites", "policies"} <= {
        t["tablename"] for t in tables
    }
    parts: list[str] = []
    for table in tables:
        rows = await db.fetch(f'SELECT t::text AS row FROM "{table["tablename"]}" t')
        parts += [r["row"] for r in rows]
    return "\n".join(parts)


async def test_no_plaintext_email_anywhere(
    client: TestClient, site_key: str, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    for i, email in enumerate(EMAILS):
        for body in ("Xin chào", "casino buy now", f"maybe-spam, write {email.upper()}"):
            name = f"An ({email})"  # people do type their address into the name field
            key = f"{i}-{len(body)}"
            payload = comment(email=email, name=name, body=body, idempotency_key=key)
            response = await client.post("/v1/comments", json=payload, headers=auth(site_key))
            seen.append(await response.text())
            listing = await client.get(f"/v1/comments/{(await response.json())['id']}",
                                       headers=auth(site_key))  # fmt: skip
            seen.append(await listing.text())
    bad = await client.post("/v1/comments", json=comment(email="broken@@example.com"),
                            headers=auth(site_key))  # fmt: skip
    seen.append(await bad.text())
    seen.append(await (await client.get("/v1/sites/news/threads/bai-viet-1/comments")).text())
    seen.append(await (await client.get("/metrics")).text())
    erase = {"email": EMAILS[0]}
    seen.append(
        await (await client.post("/v1/authors/erase", json=erase, headers=auth(site_key))).text()
    )
    dump = await every_text_in_database(db)
    logs = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "request" in logs  # the access log ran
    haystack = "\n".join([dump, logs, *seen]).casefold()
    for email in [*EMAILS, "broken@@example.com"]:
        assert email.casefold() not in haystack
        assert email.split("@")[0].casefold() not in haystack


async def test_ip_is_stored_truncated(
    client: TestClient, site_key: str, db: asyncpg.Connection
) -> None:
    payload = comment(author_ip="203.0.113.77")
    await client.post("/v1/comments", json=payload, headers=auth(site_key))
    assert await db.fetchval("SELECT ip_prefix::text FROM comments") == "203.0.113.0/24"
    assert "203.0.113.77" not in await every_text_in_database(db)


async def test_author_address_in_either_idna_form_leaves_the_body(
    client: TestClient, site_key: str, db: asyncpg.Connection
) -> None:
    body = "viết cho hoang.an@xn--bcher-kva.example hoặc HOANG.AN@BÜCHER.EXAMPLE nhé"
    payload = comment(email="hoang.an@xn--bcher-kva.example", body=body)
    response = await client.post("/v1/comments", json=payload, headers=auth(site_key))
    assert response.status in (201, 202)
    read = await client.get(f"/v1/comments/{(await response.json())['id']}", headers=auth(site_key))
    stored = await every_text_in_database(db)
    for seen in (await response.text(), await read.text(), stored):
        assert "hoang.an" not in seen.casefold()
    assert "ho***@xn--bcher-kva.example" in (await read.json())["body"]
