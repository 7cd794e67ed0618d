"""The operator commands, run as a user would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from moderation.domain.credentials import hash_key

ROOT = Path(__file__).resolve().parents[2]


def run(dsn: str, tmp_path: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn, "MODERATION_DATA_DIR": str(tmp_path), **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "moderation", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


async def test_sites_create_prints_only_the_key(dsn: str, tmp_path: Path) -> None:
    done = run(dsn, tmp_path, "sites", "create", "news")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert done.stdout == key + "\n" and key.startswith("sk_") and len(key) > 40
    assert "created" in done.stderr and key not in done.stderr
    conn = await asyncpg.connect(dsn)
    row = await conn.fetchrow("SELECT key_hash FROM sites WHERE slug = 'news'")
    text = await conn.fetchval("SELECT string_agg(t::text, ' ') FROM sites t")
    await conn.close()
    assert row["key_hash"] == hash_key(key)
    assert key not in text


async def test_sites_create_refuses_duplicates_and_bad_slugs(dsn: str, tmp_path: Path) -> None:
    assert run(dsn, tmp_path, "sites", "create", "news").returncode == 0
    again = run(dsn, tmp_path, "sites", "create", "news")
    assert again.returncode == 1 and "already exists" in again.stderr and again.stdout == ""
    bad = run(dsn, tmp_path, "sites", "create", "Bad Slug!")
    assert bad.returncode == 2 and bad.stdout == ""


async def test_users_create_prints_a_token(dsn: str, tmp_path: Path) -> None:
    run(dsn, tmp_path, "sites", "create", "news")
    done = run(dsn, tmp_path, "users", "create", "mai", "--site", "news", "--role", "moderator")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith("mt_")
    conn = await asyncpg.connect(dsn)
    role = await conn.fetchval("SELECT role FROM users WHERE token_hash = $1", hash_key(token))
    await conn.close()
    assert role == "moderator"
    missing = run(dsn, tmp_path, "users", "create", "x", "--site", "nope", "--role", "owner")
    assert missing.returncode == 1 and "no site" in missing.stderr


async def test_migrate_command(dsn: str, tmp_path: Path) -> None:
    done = run(dsn, tmp_path, "migrate")
    assert done.returncode == 0 and "up to date" in done.stderr


async def test_credential_commands_print_secrets_alone(dsn: str, tmp_path: Path) -> None:
    first = run(dsn, tmp_path, "sites", "create", "news").stdout.strip()
    rotated = run(dsn, tmp_path, "sites", "rotate-key", "news", "--grace-hours", "0")
    assert rotated.returncode == 0, rotated.stderr
    key = rotated.stdout.strip()
    assert rotated.stdout == key + "\n" and key.startswith("sk_") and key != first
    assert key not in rotated.stderr and "no longer" in rotated.stderr
    run(dsn, tmp_path, "users", "create", "mai", "--site", "news", "--role", "moderator")
    revoked = run(dsn, tmp_path, "users", "revoke", "mai", "--site", "news")
    assert revoked.returncode == 0 and revoked.stdout == ""
    again = run(dsn, tmp_path, "users", "revoke", "mai", "--site", "news")
    assert again.returncode == 1 and "no active user" in again.stderr
    rotated_token = run(dsn, tmp_path, "users", "rotate-token", "mai", "--site", "news")
    token = rotated_token.stdout.strip()
    assert rotated_token.returncode == 0 and "stays revoked" in rotated_token.stderr
    conn = await asyncpg.connect(dsn)
    row = await conn.fetchrow("SELECT key_hash, previous_key_hash FROM sites")
    user = await conn.fetchrow("SELECT token_hash, revoked_at FROM users")
    # rotating a revoked user's token never lets them back in
    assert user["token_hash"] == hash_key(token) and user["revoked_at"] is not None
    restored = run(dsn, tmp_path, "users", "restore", "mai", "--site", "news")
    assert restored.returncode == 0 and restored.stdout == "", restored.stderr
    assert await conn.fetchval("SELECT revoked_at FROM users") is None
    again = run(dsn, tmp_path, "users", "restore", "mai", "--site", "news")
    assert again.returncode == 1 and "no revoked user" in again.stderr
    await conn.close()
    assert row["key_hash"] == hash_key(key) and row["previous_key_hash"] == hash_key(first)


async def test_sites_webhook_prints_the_secret_and_sets_the_url(dsn: str, tmp_path: Path) -> None:
    run(dsn, tmp_path, "sites", "create", "news")
    shown = run(dsn, tmp_path, "sites", "webhook", "news")
    assert shown.returncode == 0, shown.stderr
    secret = shown.stdout.strip()
    assert shown.stdout == secret + "\n" and secret.startswith("whsec_")
    url = "https://example.vn/wp-json/moderation/v1/webhook"
    done = run(dsn, tmp_path, "sites", "webhook", "news", "--url", url, "--rotate")
    assert done.returncode == 0, done.stderr
    rotated = done.stdout.strip()
    assert rotated != secret and rotated.startswith("whsec_") and secret not in done.stderr
    conn = await asyncpg.connect(dsn)
    stored = await conn.fetchval("SELECT webhook_secret FROM sites WHERE slug = 'news'")
    policy = await conn.fetchval("SELECT body ->> 'webhook_url' FROM policies WHERE version = 2")
    await conn.close()
    assert (stored, policy) == (rotated, url)
    assert run(dsn, tmp_path, "sites", "webhook", "nope").returncode == 1
    assert run(dsn, tmp_path, "sites", "webhook", "news", "--url", "ftp://x").returncode == 2


async def test_sites_create_in_a_time_zone_default_from_the_host(dsn: str, tmp_path: Path) -> None:
    done = run(dsn, tmp_path, "sites", "create", "tin-tuc", "--time-zone", "Asia/Ho_Chi_Minh")
    assert done.returncode == 0, done.stderr
    assert "Asia/Ho_Chi_Minh" in done.stderr
    bad = run(dsn, tmp_path, "sites", "create", "sai", "--time-zone", "Asia/Hanoi-City")
    assert bad.returncode == 2 and "'Asia/Hanoi-City'" in bad.stderr and bad.stdout == ""
    hosted = run(dsn, tmp_path, "sites", "create", "bao", TZ="Asia/Tokyo")
    assert hosted.returncode == 0, hosted.stderr
    conn = await asyncpg.connect(dsn)
    zones = dict(
        await conn.fetch(
            "SELECT s.slug, p.body::jsonb ->> 'time_zone' FROM sites s"
            " JOIN policies p ON p.site_id = s.id"
        )
    )
    await conn.close()
    assert zones == {"tin-tuc": "Asia/Ho_Chi_Minh", "bao": "Asia/Tokyo"}


def test_host_time_zone_reads_tz_then_etc_then_utc(tmp_path: Path) -> None:
    from moderation.cli import host_time_zone

    assert host_time_zone({"TZ": ":Asia/Ho_Chi_Minh"}, tmp_path) == "Asia/Ho_Chi_Minh"
    assert host_time_zone({}, tmp_path) == "UTC"
    (tmp_path / "localtime").symlink_to("/usr/share/zoneinfo/Asia/Bangkok")
    assert host_time_zone({"TZ": "nowhere"}, tmp_path) == "Asia/Bangkok"
    (tmp_path / "timezone").write_text("Europe/Paris\n")
    assert host_time_zone({}, tmp_path) == "Europe/Paris"
