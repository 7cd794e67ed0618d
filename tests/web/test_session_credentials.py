"""A web session lives no longer than the credential that opened it: revoking a staff member
ends all their sessions at once, rotating a token ends the sessions that token opened, and
rotating never lifts a revocation (`users restore` does)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestClient

from moderation import admin
from moderation.domain.credentials import hash_key
from moderation.keys import STORE
from tests.conftest import auth
from tests.integration.test_cli import run
from tests.web.conftest import PASSWORD, post_login

MakePerson = Callable[..., Awaitable[str]]
QUEUE = "/ui/queue"


async def open_session(client: TestClient, **fields: str) -> str:
    """Log in with these fields; the session cookie's value (the client's jar is emptied, so
    that each session is sent only where a test says)."""
    response = await post_login(client, **fields)
    assert response.status == 303, await response.text()
    value = response.cookies["mod_session"].value
    client.session.cookie_jar.clear()
    return value


async def status(client: TestClient, session: str) -> int:
    """The queue page's status with this session cookie: 200 live, 303 sent to log in."""
    cookie = {"Cookie": f"mod_session={session}"}
    return (await client.get(QUEUE, headers=cookie, allow_redirects=False)).status


async def test_revoking_ends_every_session_and_rotating_never_revives_them(
    client: TestClient, site_key: str, make_person: MakePerson, dsn: str, db: asyncpg.Connection
) -> None:
    token = await make_person("lan")
    await make_person("mai")  # another staff member's session is not touched
    by_password = await open_session(client, site="news", username="lan", password=PASSWORD)
    by_token = await open_session(client, token=token)
    other = await open_session(client, site="news", username="mai", password=PASSWORD)
    assert [await status(client, s) for s in (by_password, by_token, other)] == [200, 200, 200]
    await admin.revoke(dsn, 5, "news", "lan")
    lan = "SELECT count(*) FROM sessions x JOIN users u ON u.id = x.user_id WHERE username = $1"
    assert await db.fetchval(lan, "lan") == 0 and await db.fetchval(lan, "mai") == 1
    fresh, revoked = await admin.new_token(dsn, 5, "news", "lan")
    assert revoked
    assert await db.fetchval("SELECT revoked_at FROM users WHERE username = 'lan'") is not None
    assert [await status(client, s) for s in (by_password, by_token, other)] == [303, 303, 200]
    # neither the new token nor the password opens a session while revoked
    assert (await post_login(client, token=fresh)).status == 401
    login = {"site": "news", "username": "lan", "password": PASSWORD}
    assert (await post_login(client, **login)).status == 401
    await admin.restore(dsn, 5, "news", "lan")
    assert [await status(client, s) for s in (by_password, by_token)] == [303, 303]
    assert await status(client, await open_session(client, token=fresh)) == 200
    assert await status(client, await open_session(client, **login)) == 200


async def test_rotating_a_token_ends_the_sessions_it_opened(
    client: TestClient, site_key: str, make_person: MakePerson, dsn: str
) -> None:
    token = await make_person("lan")
    by_token = await open_session(client, token=token)
    by_password = await open_session(client, site="news", username="lan", password=PASSWORD)
    fresh, revoked = await admin.new_token(dsn, 5, "news", "lan")
    assert not revoked
    assert await status(client, by_token) == 303
    assert await status(client, by_password) == 200  # the password did not change
    assert (await post_login(client, token=token)).status == 401
    by_fresh = await open_session(client, token=fresh)
    assert await status(client, by_fresh) == 200
    await admin.new_token(dsn, 5, "news", "lan")
    assert await status(client, by_fresh) == 303


async def test_a_token_session_is_checked_against_the_current_token(
    client: TestClient, site_key: str, make_person: MakePerson, db: asyncpg.Connection
) -> None:
    """Defence in depth: even a session row that rotating missed (a login racing it) is
    refused once its token is no longer the user's."""
    token = await make_person("lan")
    by_token = await open_session(client, token=token)
    by_password = await open_session(client, site="news", username="lan", password=PASSWORD)
    await db.execute("UPDATE users SET token_hash = $1", hash_key("mt_replaced"))
    assert await db.fetchval("SELECT count(*) FROM sessions") == 2
    assert [await status(client, s) for s in (by_token, by_password)] == [303, 200]
    await db.execute("UPDATE users SET revoked_at = now()")
    assert await status(client, by_password) == 303


async def test_no_session_opens_for_a_user_revoked_or_a_token_replaced_after_the_check(
    client: TestClient, site_key: str, make_person: MakePerson, dsn: str, db: asyncpg.Connection
) -> None:
    token = await make_person("lan")
    store = client.app[STORE]
    staff = await store.staff_by_token(hash_key(token))
    assert staff is not None  # the login checked the credentials, then:
    await admin.new_token(dsn, 5, "news", "lan")
    assert await store.create_session(hash_key("s1"), staff, 60, hash_key(token)) is None
    await admin.revoke(dsn, 5, "news", "lan")
    assert await store.create_session(hash_key("s2"), staff, 60, None) is None
    assert await db.fetchval("SELECT count(*) FROM sessions") == 0


async def test_the_commands_end_sessions_as_an_operator_runs_them(
    client: TestClient, site_key: str, make_person: MakePerson, dsn: str, tmp_path: Path
) -> None:
    token = await make_person("lan")
    by_token = await open_session(client, token=token)
    by_password = await open_session(client, site="news", username="lan", password=PASSWORD)
    rotated = run(dsn, tmp_path, "users", "rotate-token", "lan", "--site", "news")
    assert rotated.returncode == 0, rotated.stderr
    fresh = rotated.stdout.strip()
    assert [await status(client, s) for s in (by_token, by_password)] == [303, 200]
    assert run(dsn, tmp_path, "users", "revoke", "lan", "--site", "news").returncode == 0
    assert await status(client, by_password) == 303
    assert (await client.get("/v1/sites/news/queue", headers=auth(fresh))).status == 401
    again = run(dsn, tmp_path, "users", "rotate-token", "lan", "--site", "news")
    newest = again.stdout.strip()
    assert again.returncode == 0 and "stays revoked" in again.stderr
    assert (await client.get("/v1/sites/news/queue", headers=auth(newest))).status == 401
    assert run(dsn, tmp_path, "users", "restore", "lan", "--site", "news").returncode == 0
    assert (await client.get("/v1/sites/news/queue", headers=auth(newest))).status == 200
    assert await status(client, by_password) == 303
