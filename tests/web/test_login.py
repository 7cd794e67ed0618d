"""Staff log in with a password or token; sessions are cookies whose hash alone is stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from moderation.domain.credentials import hash_key
from moderation.domain.passwords import verify_password
from tests.web.conftest import PASSWORD, MakeLogin, form_csrf, post_login

MakePerson = Callable[..., Awaitable[str]]


def cookie_header(response: ClientResponse, name: str) -> str:
    """The Set-Cookie header that sets one cookie."""
    found = [h for h in response.headers.getall("Set-Cookie", []) if h.startswith(f"{name}=")]
    assert found, response.headers
    return found[0]


async def test_password_login_sets_a_strict_httponly_cookie_and_stores_only_its_hash(
    client: TestClient, site_key: str, make_person: MakePerson, db: asyncpg.Connection
) -> None:
    await make_person("lan")
    stored = await db.fetchval("SELECT password_hash FROM users WHERE username = 'lan'")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "x")
    response = await post_login(client, site="news", username="lan", password=PASSWORD)
    assert response.status == 303 and response.headers["Location"] == "/ui/queue"
    header = cookie_header(response, "mod_session")
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/ui" in header
    assert "Secure" not in header  # plain HTTP here; see the proxy test
    session_id = header.split(";")[0].split("=", 1)[1]
    row = await db.fetchrow("SELECT id_hash, expires_at FROM sessions")
    assert row["id_hash"] == hash_key(session_id)
    assert session_id.encode() not in row["id_hash"]
    assert row["expires_at"] > datetime.now(UTC)
    page = await client.get("/ui/queue")
    assert page.status == 200 and "lan" in await page.text()


async def test_wrong_password_unknown_user_and_unknown_site_are_refused_alike(
    client: TestClient, site_key: str, make_person: MakePerson
) -> None:
    await make_person("lan")
    for fields in (
        {"site": "news", "username": "lan", "password": "wrong password!"},
        {"site": "news", "username": "nobody", "password": PASSWORD},
        {"site": "nowhere", "username": "lan", "password": PASSWORD},
        {"site": "news", "username": "lan", "password": ""},
    ):
        response = await post_login(client, **fields)
        assert response.status == 401
        assert "Wrong site, name or password." in await response.text()
    assert (await client.get("/ui/queue", allow_redirects=False)).status == 303


async def test_token_login_and_revoked_user(
    client: TestClient, site_key: str, make_person: MakePerson, dsn: str
) -> None:
    token = await make_person("lan")
    assert (await post_login(client, token=token)).status == 303
    assert (await client.get("/ui/queue", allow_redirects=False)).status == 200
    conn = await asyncpg.connect(dsn)
    await conn.execute("UPDATE users SET revoked_at = now()")
    await conn.close()
    # a revoked user's session ends at once, and their token no longer logs in
    assert (await client.get("/ui/queue", allow_redirects=False)).status == 303
    assert (await post_login(client, token=token)).status == 401


async def test_logout_ends_the_session(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login()
    response = await client.post("/ui/logout", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/ui/login"
    assert await db.fetchval("SELECT count(*) FROM sessions") == 0
    assert (await client.get("/ui/queue", allow_redirects=False)).status == 303


async def test_expired_session_is_sent_to_login(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login()
    await db.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    page = await client.get("/ui/queue", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/ui/login"
    claim = await client.post("/ui/api/claim", json={"limit": 1}, headers={"X-CSRF-Token": csrf})
    assert claim.status == 401


async def test_new_password_ends_open_sessions(
    client: TestClient, site_key: str, login: MakeLogin, dsn: str, db: asyncpg.Connection
) -> None:
    from moderation import admin

    await login()
    await admin.set_password(dsn, 5, "news", "lan", "another long password")
    assert await db.fetchval("SELECT count(*) FROM sessions") == 0
    assert (await client.get("/ui/queue", allow_redirects=False)).status == 303


@pytest.mark.parametrize("settings_overrides", [{"trust_forwarded_proto": True}], indirect=True)
async def test_cookie_is_secure_behind_a_trusted_tls_proxy(
    client: TestClient, site_key: str, make_person: MakePerson
) -> None:
    await make_person("lan")
    https = {"X-Forwarded-Proto": "https"}
    form = await client.get("/ui/login", headers=https)
    nonce = cookie_header(form, "mod_login")
    assert "Secure" in nonce
    # the test client talks plain HTTP, so it would not send a Secure cookie back by itself
    sent = {**https, "Cookie": nonce.split(";")[0]}
    data = {"csrf": form_csrf(await form.text()), "site": "news", "username": "lan"}
    response = await client.post(
        "/ui/login", data={**data, "password": PASSWORD}, headers=sent, allow_redirects=False
    )
    assert response.status == 303
    assert "Secure" in cookie_header(response, "mod_session")


async def test_forwarded_proto_is_ignored_unless_trusted(
    client: TestClient, site_key: str, make_person: MakePerson
) -> None:
    await make_person("lan")
    https = {"X-Forwarded-Proto": "https"}
    html = await (await client.get("/ui/login", headers=https)).text()
    data = {"csrf": form_csrf(html), "site": "news", "username": "lan", "password": PASSWORD}
    response = await client.post("/ui/login", data=data, headers=https, allow_redirects=False)
    assert "Secure" not in cookie_header(response, "mod_session")


async def test_a_failed_login_keeps_site_and_name_never_the_password(
    client: TestClient, site_key: str, make_person: MakePerson
) -> None:
    await make_person("lan")
    secret = "sai-mật-khẩu-9"
    response = await post_login(client, site="news", username="lan", password=secret)
    html = await response.text()
    assert response.status == 401
    assert 'id="site" autocomplete="organization" maxlength="63" value="news"' in html
    assert 'value="lan"' in html and secret not in html
    hostile = await post_login(client, site='"><b>x', username="lan", password=secret)
    assert 'value="&#34;&gt;&lt;b&gt;x"' in await hostile.text()  # escaped, never markup
