"""Owners manage their staff on the pages: invitations by one-time link (single use, expiring,
stored hashed) or first password, revocation, restoration, password resets; each audited,
owners only, with the CSRF token."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from moderation.domain.credentials import hash_key
from tests.web.conftest import PASSWORD, MakeLogin, form_csrf, held, post_login
from tests.web.test_newsroom import RAW_KEY, visible
from tests.web.test_pages import send

NEW_PASSWORD = "mật-khẩu-mới-của-mai"


async def invite(client: TestClient, csrf: str, **body: Any) -> ClientResponse:
    """POST /ui/api/staff/invite with the CSRF token."""
    return await client.post("/ui/api/staff/invite", json=body, headers={"X-CSRF-Token": csrf})


async def link_of(client: TestClient, csrf: str, username: str = "mai") -> str:
    """Invite a moderator by link; the link's path."""
    response = await invite(client, csrf, username=username)
    assert response.status == 201, await response.text()
    answer = await response.json()
    assert answer["username"] == username and answer["expires_at"]
    assert answer["expires_shown"].endswith(" UTC")  # the site's time zone
    path: str = answer["path"].split("://", 1)[1].split("/", 1)[1]
    return "/" + path


async def set_password(
    client: TestClient, path: str, password: str = NEW_PASSWORD
) -> ClientResponse:
    """Open a one-time link and send its form."""
    page = await client.get(path)
    assert page.status == 200, await page.text()
    data = {"csrf": form_csrf(await page.text()), "password": password, "again": password}
    return await client.post(path, data=data, allow_redirects=False)


async def test_an_invited_moderator_sets_a_password_once_and_logs_in(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login("chu", role="owner")
    path = await link_of(client, csrf)
    secret = path.rsplit("/", 1)[1]
    # stored only as a hash
    stored = await db.fetchrow("SELECT token_hash, purpose, used_at FROM staff_links")
    assert stored["token_hash"] == hash_key(secret) and stored["purpose"] == "invite"
    assert stored["used_at"] is None
    raw = await db.fetchval("SELECT count(*) FROM staff_links WHERE token_hash::text LIKE $1",
                            f"%{secret}%")  # fmt: skip
    assert raw == 0
    client.session.cookie_jar.clear()
    page = await (await client.get(path, headers={"Accept-Language": "vi"})).text()
    assert "Chào mai, hãy đặt mật khẩu" in page
    assert re.search(r"Liên kết có hiệu lực đến \d{4}-\d\d-\d\d \d\d:\d\d UTC", page)
    answer = await set_password(client, path)
    assert answer.status == 303 and answer.headers["Location"] == "/ui/queue"
    queue = await client.get("/ui/queue")
    assert queue.status == 200 and "mai ·" in await queue.text()
    # single use: the link is dead now, to anyone
    client.session.cookie_jar.clear()
    dead = await client.get(path, headers={"Accept-Language": "vi"})
    assert dead.status == 410 and "Liên kết này không còn dùng được" in await dead.text()
    again = await client.post(path, data={"csrf": "x", "password": "y" * 12, "again": "y" * 12})
    assert again.status in (403, 410)
    # the password works at the login form
    response = await post_login(client, site="news", username="mai", password=NEW_PASSWORD)
    assert response.status == 303


async def test_a_link_refuses_short_or_mismatched_passwords_and_forged_forms(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("chu", role="owner")
    path = await link_of(client, csrf)
    client.session.cookie_jar.clear()
    short = await set_password(client, path, "ngắn")
    assert short.status == 422 and "at least 10 characters" in await short.text()
    page = await client.get(path, headers={"Accept-Language": "vi"})
    data = {"csrf": form_csrf(await page.text()), "password": NEW_PASSWORD, "again": "khác"}
    mismatch = await client.post(path, data=data, headers={"Accept-Language": "vi"})
    assert mismatch.status == 422 and "Hai mật khẩu không khớp nhau." in await mismatch.text()
    forged = await client.post(path, data={"csrf": "0" * 64, "password": NEW_PASSWORD,
                                           "again": NEW_PASSWORD})  # fmt: skip
    assert forged.status == 403
    # none of those used the link
    assert (await set_password(client, path)).status == 303


async def test_an_expired_or_unknown_link_does_nothing(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login("chu", role="owner")
    path = await link_of(client, csrf)
    await db.execute("UPDATE staff_links SET expires_at = now() - interval '1 second'")
    assert (await client.get(path)).status == 410
    assert (await client.get("/ui/welcome/il_nothing-like-this")).status == 410
    assert await db.fetchval("SELECT password_hash FROM users WHERE username = 'mai'") is None


async def test_invite_with_a_first_password_and_refusals_naming_the_field(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("chu", role="owner")
    made = await invite(client, csrf, username="lan", method="password", password="mật-khẩu-đầu")
    assert made.status == 201 and (await made.json())["path"] is None
    client.session.cookie_jar.clear()
    lan = await post_login(client, site="news", username="lan", password="mật-khẩu-đầu")
    assert lan.status == 303
    client.session.cookie_jar.clear()
    csrf = await login("chu2", role="owner")
    for body, field in (
        ({"username": "lan"}, "username"),  # taken
        ({"username": ""}, "username"),
        ({"username": "x", "role": "admin"}, "role"),
        ({"username": "x", "method": "password"}, "password"),
        ({"username": "x", "method": "password", "password": "ngắn"}, "password"),
        ({"username": "x", "password": "mật-khẩu-đầu-dài"}, "password"),
        ({"username": "x", "extra": 1}, "extra"),
    ):
        response = await invite(client, csrf, **body)
        assert response.status == 422, (body, response.status)
        problem = await response.json()
        assert problem["errors"][0]["field"] == field, (body, problem)


async def test_revoke_ends_sessions_and_claims_restore_and_reset(
    client: TestClient,
    site_key: str,
    login: MakeLogin,
    db: asyncpg.Connection,
    aiohttp_client: Any,
    settings: Any,
) -> None:
    from moderation.app import create_app
    from tests.standin import KeywordScorer

    other = await aiohttp_client(create_app(settings, KeywordScorer))
    csrf = await login("chu", role="owner")
    await held(client, site_key, 2)
    # lan (in another browser) claims two comments
    lan_csrf = await _login_other(other, "lan", client, csrf)
    claimed = await send(other, lan_csrf, "/ui/api/claim", {"limit": 5})
    assert claimed["count"] == 2
    await send(client, csrf, "/ui/api/staff/revoke", {"username": "lan"})
    assert (await other.get("/ui/queue", allow_redirects=False)).status == 303
    assert await db.fetchval("SELECT count(*) FROM comments WHERE claimed_by IS NOT NULL") == 0
    assert await db.fetchval("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id"
                             " WHERE u.username = 'lan'") == 0  # fmt: skip
    refused = await post_login(other, site="news", username="lan", password=PASSWORD)
    assert refused.status == 401
    # revoking twice, or someone unknown: 404; oneself: 422
    again = await client.post("/ui/api/staff/revoke", json={"username": "lan"},
                              headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert again.status == 404
    self_revoke = await client.post("/ui/api/staff/revoke", json={"username": "chu"},
                                    headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert self_revoke.status == 422
    await send(client, csrf, "/ui/api/staff/restore", {"username": "lan"})
    assert (await post_login(other, site="news", username="lan", password=PASSWORD)).status == 303
    # reset: the password stops at once, sessions end; the new link sets a new one
    reset = await send(client, csrf, "/ui/api/staff/reset", {"username": "lan"})
    assert (await other.get("/ui/queue", allow_redirects=False)).status == 303
    assert (await post_login(other, site="news", username="lan", password=PASSWORD)).status == 401
    path = "/" + reset["path"].split("://", 1)[1].split("/", 1)[1]
    other.session.cookie_jar.clear()
    assert (await set_password(other, path)).status == 303
    # a reset voids the earlier links
    reset2 = await send(client, csrf, "/ui/api/staff/reset", {"username": "lan"})
    await send(client, csrf, "/ui/api/staff/reset", {"username": "lan"})
    stale = "/" + reset2["path"].split("://", 1)[1].split("/", 1)[1]
    assert (await other.get(stale)).status == 410


async def _login_other(other: TestClient, name: str, owner: TestClient, csrf: str) -> str:
    """Add a moderator by first password from the owner's client, log them in on `other`."""
    made = await invite(owner, csrf, username=name, method="password", password=PASSWORD)
    assert made.status == 201
    response = await post_login(other, site="news", username=name, password=PASSWORD)
    assert response.status == 303
    queue = await (await other.get("/ui/queue")).text()
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', queue)
    assert found
    return found.group(1)


async def test_every_staff_action_is_in_the_audit_in_both_languages(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("chu", role="owner")
    path = await link_of(client, csrf, "mai")
    await invite(client, csrf, username="lan", method="password", password=PASSWORD)
    await send(client, csrf, "/ui/api/staff/revoke", {"username": "lan"})
    await send(client, csrf, "/ui/api/staff/restore", {"username": "lan"})
    await send(client, csrf, "/ui/api/staff/reset", {"username": "lan"})
    owner_cookies = client.session.cookie_jar
    saved = {c.key: c.value for c in owner_cookies}
    owner_cookies.clear()
    assert (await set_password(client, path)).status == 303
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies(saved)
    vi = await (await client.get("/ui/audit?lang=vi")).text()
    for words in (
        "thêm mai làm kiểm duyệt viên, qua liên kết dùng một lần",
        "thêm lan làm kiểm duyệt viên, với mật khẩu ban đầu",
        "thu hồi quyền của lan",
        "khôi phục quyền của lan",
        "đặt lại mật khẩu của lan (liên kết dùng một lần mới)",
        "mai đã tự đặt mật khẩu qua liên kết dùng một lần",
    ):
        assert words in vi, words
    en = await (await client.get("/ui/audit?lang=en")).text()
    english = (
        "mai added as moderator, with a one-time link",
        "lan&#39;s access revoked",
        "lan&#39;s access restored",
        "mai set a password with a one-time link",
    )
    for words in english:
        assert words in en, words
    for html in (vi, en, await (await client.get("/ui/staff?lang=vi")).text()):
        shown = visible(html)
        assert not RAW_KEY.findall(shown), RAW_KEY.findall(shown)
        assert not re.findall(r"\b(?:staff|method|welcome|link)_[a-z_]+", shown)
    # the invited ones show once, as invitations (not also as "added by the operator")
    assert "đã thêm mai" not in vi and "đã thêm lan" not in vi
    assert "đã thêm chu (chủ trang)" in vi


async def test_moderators_are_refused_and_the_csrf_token_is_required(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("lan")
    page = await client.get("/ui/staff")
    assert page.status == 403
    actions = (
        ("invite", {"username": "x"}),
        ("revoke", {"username": "lan"}),
        ("restore", {"username": "lan"}),
        ("reset", {"username": "lan"}),
    )
    for action, body in actions:
        response = await client.post(f"/ui/api/staff/{action}", json=body,
                                     headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert response.status == 403, action
    client.session.cookie_jar.clear()
    owner_csrf = await login("chu", role="owner")
    assert owner_csrf
    no_token = await client.post("/ui/api/staff/invite", json={"username": "x"})
    assert no_token.status == 403
    wrong = await client.post("/ui/api/staff/revoke", json={"username": "lan"},
                              headers={"X-CSRF-Token": "0" * 64})  # fmt: skip
    assert wrong.status == 403


async def test_the_staff_page_offers_the_actions(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("chu", role="owner")
    await invite(client, csrf, username="lan", method="password", password=PASSWORD)
    await invite(client, csrf, username="minh", method="password", password=PASSWORD)
    await send(client, csrf, "/ui/api/staff/revoke", {"username": "minh"})
    html = await (await client.get("/ui/staff?lang=vi")).text()
    lan = html[
        html.index('data-username="lan"') : html.index("</tr>", html.index('data-username="lan"'))
    ]
    assert "Thu hồi quyền" in lan and "Đặt lại mật khẩu" in lan
    minh = html[
        html.index('data-username="minh"') : html.index("</tr>", html.index('data-username="minh"'))
    ]
    assert "Khôi phục quyền" in minh and "Thu hồi quyền" not in minh
    chu = html[
        html.index('data-username="chu"') : html.index("</tr>", html.index('data-username="chu"'))
    ]
    assert "<button" not in chu and "(bạn)" in chu
    assert 'id="invite-form"' in html and "Liên kết dùng một lần để tự đặt mật khẩu" in html
    await invite(client, csrf, username="mai")
    html = await (await client.get("/ui/staff?lang=vi")).text()
    mai = html[html.index('data-username="mai"') :]
    assert '<td class="has-password">chưa (liên kết dùng một lần chưa được dùng)</td>' in mai


async def test_two_uses_of_one_link_at_once_set_one_password(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    import asyncio

    from moderation.keys import OWNING

    csrf = await login("chu", role="owner")
    secret = (await link_of(client, csrf)).rsplit("/", 1)[1]
    owning = client.app[OWNING]
    first, second = await asyncio.gather(
        owning.use_link(secret, "mật-khẩu-thứ-nhất"), owning.use_link(secret, "mật-khẩu-thứ-hai")
    )
    assert [who is not None for who in (first, second)].count(True) == 1
    events = await db.fetchval("SELECT count(*) FROM staff_events WHERE action = 'password_set'")
    assert events == 1
