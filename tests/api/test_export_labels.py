"""`moderation export-labels`: moderators' latest decisions as labels, without contact details."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
from aiohttp.test_utils import TestClient

from moderation.domain.credentials import hash_key
from moderation.domain.labels import labels_of
from moderation.domain.privacy import redact_contacts
from moderation.store import Store, create_pool
from tests.api.test_queue import decide, held
from tests.conftest import MakeSite, MakeStaff, auth, comment

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "an.nguyen@example.com"


def export(dsn: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn, "MODERATION_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "moderation", "export-labels", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def test_actions_map_to_labels() -> None:
    assert labels_of("approve") == labels_of("not_spam") == (0, 0, 0)
    assert labels_of("spam") == (1, None, None)
    assert labels_of("reject") == (0, 1, None)


def test_contact_details_become_the_features_placeholders() -> None:
    text = "Mail an.nguyen@example.com hoặc an***@gmail.com, gọi 0912 345 678 nhé"
    assert redact_contacts(text) == "Mail  emailx  hoặc  emailx , gọi  phonex  nhé"


async def test_latest_decision_per_comment_as_labels_without_emails(
    client: TestClient,
    site_key: str,
    make_site: MakeSite,
    make_staff: MakeStaff,
    db: asyncpg.Connection,
    dsn: str,
    tmp_path: Path,
) -> None:
    lan = await make_staff("lan")
    bodies = [
        f"maybe-spam liên hệ {EMAIL} hoặc 0912 345 678",
        "maybe-spam xem thêm ở vnexpress.net",
        "maybe-spam bài viết tệ quá",
        "maybe-spam chưa ai xem",
    ]
    ids = [(await held(client, site_key, 1, body=body))[0] for body in bodies]
    await decide(client, lan, ids[0], "spam")
    await decide(client, lan, ids[0], "not_spam")  # reinstated: the latest decision wins
    await decide(client, lan, ids[1], "approve")
    await decide(client, lan, ids[2], "reject")
    await decide(client, lan, ids[3], "spam")
    async with create_pool(dsn, 1, 1, 5) as pool:  # then undone on the queue page: no label
        store = Store(pool, 5)
        staff = await store.staff_by_token(hash_key(lan))
        assert staff is not None and await store.undo_decision(
            staff, UUID(ids[3]), 60, "test-model"
        )
    other_key = await make_site("other")
    other = await make_staff("mai", "other")
    [foreign] = await held(client, other_key, 1, body="maybe-spam mua ngay")
    assert (await decide(client, other, foreign, "spam")).status == 200

    done = export(dsn, tmp_path, "--site", "news")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    by_text = {r["text"]: r for r in rows}
    assert len(rows) == 3 and "3 labels" in done.stderr
    assert by_text["maybe-spam liên hệ  emailx  hoặc  phonex "]["action"] == "not_spam"
    assert {(r["spam"], r["abuse"], r["hate"]) for r in rows} == {(0, 0, 0), (0, 1, None)}
    assert {r["site"] for r in rows} == {"news"}
    assert set(rows[0]) == {"text", "spam", "abuse", "hate", "site", "action", "decided_at"}
    assert "@" not in done.stdout and "0912" not in done.stdout and "Nguy" not in done.stdout

    every = export(dsn, tmp_path, "--out", str(tmp_path / "labels.csv"))
    assert every.returncode == 0 and every.stdout == ""
    table = list(csv.DictReader(io.StringIO((tmp_path / "labels.csv").read_text())))
    assert {(r["site"], r["action"], r["spam"], r["abuse"]) for r in table} >= {
        ("other", "spam", "1", ""),
        ("news", "reject", "0", "1"),
    }
    assert len(table) == 4 and "@" not in (tmp_path / "labels.csv").read_text()


async def test_since_keeps_later_decisions_and_unknown_site_fails(
    client: TestClient, site_key: str, make_staff: MakeStaff, dsn: str, tmp_path: Path
) -> None:
    lan = await make_staff("lan")
    [cid] = await held(client, site_key, 1)
    await decide(client, lan, cid, "spam")
    await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert export(dsn, tmp_path, "--since", later).stdout == ""
    earlier = export(dsn, tmp_path, "--since", "2020-01-01", "--format", "csv")
    assert earlier.stdout.splitlines()[0] == "text,spam,abuse,hate,site,action,decided_at"
    assert len(earlier.stdout.splitlines()) == 2
    missing = export(dsn, tmp_path, "--site", "nowhere")
    assert missing.returncode == 1 and "no site" in missing.stderr
    bad = export(dsn, tmp_path, "--since", "yesterday")
    assert bad.returncode == 2
