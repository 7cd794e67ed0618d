"""`moderation users create --password` and `moderation users password` set argon2id hashes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from moderation.domain.passwords import verify_password

ROOT = Path(__file__).resolve().parents[2]


def run(dsn: str, tmp_path: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn, "MODERATION_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "moderation", *args], input=stdin,
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


async def test_create_with_password_then_change_it(dsn: str, tmp_path: Path) -> None:
    assert run(dsn, tmp_path, "", "sites", "create", "news").returncode == 0
    made = run(
        dsn, tmp_path, "mật khẩu thật dài\n",
        "users", "create", "lan", "--site", "news", "--role", "owner", "--password",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("mt_") and "mật khẩu" not in made.stdout + made.stderr
    conn = await asyncpg.connect(dsn)
    first = await conn.fetchval("SELECT password_hash FROM users WHERE username = 'lan'")
    assert verify_password(first, "mật khẩu thật dài")
    changed = run(dsn, tmp_path, "another-long-one\n", "users", "password", "lan", "--site", "news")
    assert changed.returncode == 0, changed.stderr and changed.stdout == ""
    second = await conn.fetchval("SELECT password_hash FROM users WHERE username = 'lan'")
    await conn.close()
    assert verify_password(second, "another-long-one") and not verify_password(second, "x")


async def test_short_password_and_unknown_user_refused(dsn: str, tmp_path: Path) -> None:
    run(dsn, tmp_path, "", "sites", "create", "news")
    short = run(
        dsn, tmp_path, "short\n",
        "users", "create", "lan", "--site", "news", "--role", "owner", "--password",
    )  # fmt: skip
    assert short.returncode == 2 and "at least 10" in short.stderr and short.stdout == ""
    unknown = run(dsn, tmp_path, "long enough pw\n", "users", "password", "x", "--site", "news")
    assert unknown.returncode == 1 and "no user" in unknown.stderr
