"""Abuse of the pages: brute force throttled in the database, CSRF refused, CSP, escaping."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.settings import Settings
from moderation.web.sessions import LOGIN_COOKIE
from tests.conftest import auth, comment
from tests.standin import KeywordScorer
from tests.web.conftest import PASSWORD, MakeLogin, form_csrf, held, post_login

MakePerson = Callable[..., Awaitable[str]]
XSS_BODY = 'maybe-spam <script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_NAME = "<b onmouseover=alert(2)>Kẻ xấu</b>"


async def test_failed_logins_per_account_get_429_with_retry_after_even_with_the_password(
    client: TestClient, site_key: str, make_person: MakePerson, db: asyncpg.Connection
) -> None:
    await make_person("lan")
    for _ in range(5):
        wrong = await post_login(client, site="news", username="lan", password="guess-guess")
        assert wrong.status == 401
    throttled = await post_login(client, site="news", username="lan", password=PASSWORD)
    assert throttled.status == 429
    retry = int(throttled.headers["Retry-After"])
    assert 1 <= retry <= 900
    assert "Too many failed logins" in await throttled.text()
    # only keyed hashes are stored: neither the name nor the address
    rows = await db.fetch("SELECT account_hash, address_hash FROM login_failures")
    assert len(rows) == 5
    assert all(b"lan" not in r[0] and b"127.0.0.1" not in r[1] for r in rows)
    # another account from the same address is not locked out by lan's failures
    await make_person("mai")
    other = await post_login(client, site="news", username="mai", password=PASSWORD)
    assert other.status == 303


async def test_the_lockout_is_shared_by_every_process(
    client: TestClient,
    site_key: str,
    make_person: MakePerson,
    settings: Settings,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    await make_person("lan")
    for _ in range(5):
        await post_login(client, site="news", username="lan", password="guess-guess")
    # a second application (another process or host) over the same database
    second = await aiohttp_client(create_app(settings, KeywordScorer))
    response = await post_login(second, site="news", username="lan", password=PASSWORD)
    assert response.status == 429 and "Retry-After" in response.headers


@pytest.mark.parametrize(
    "settings_overrides", [{"login_max_failures_per_address": 3}], indirect=True
)
async def test_failed_logins_per_address_get_429(
    client: TestClient, site_key: str, make_person: MakePerson
) -> None:
    await make_person("lan")
    for name in ("a", "b", "c"):
        wrong = await post_login(client, site="news", username=name, password="guess-guess")
        assert wrong.status == 401
    response = await post_login(client, site="news", username="lan", password=PASSWORD)
    assert response.status == 429 and int(response.headers["Retry-After"]) >= 1


async def test_a_good_login_clears_the_accounts_failures(
    client: TestClient, site_key: str, make_person: MakePerson, db: asyncpg.Connection
) -> None:
    await make_person("lan")
    for _ in range(4):
        await post_login(client, site="news", username="lan", password="guess-guess")
    assert (await post_login(client, site="news", username="lan", password=PASSWORD)).status == 303
    assert await db.fetchval("SELECT count(*) FROM login_failures") == 0


async def test_parallel_guesses_cannot_pass_one_count(
    client: TestClient, site_key: str, make_person: MakePerson, db: asyncpg.Connection
) -> None:
    await make_person("lan")
    form = await client.get("/ui/login")
    data = {"csrf": form_csrf(await form.text()), "site": "news", "username": "lan"}
    nonce = form.cookies[LOGIN_COOKIE].value
    # no cookie jar: every guess carries the one form's nonce, all sent at once
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:

        async def guess(n: int) -> int:
            async with session.post(
                client.make_url("/ui/login"),
                data={**data, "password": f"guess-{n:04d}-guess"},
                headers={"Cookie": f"{LOGIN_COOKIE}={nonce}"},
                allow_redirects=False,
            ) as response:
                return response.status

        statuses = await asyncio.gather(*(guess(n) for n in range(24)))
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= 5 and statuses.count(429) >= 19
    assert await db.fetchval("SELECT count(*) FROM login_failures") == statuses.count(401)


async def test_a_good_token_login_leaves_no_failure_behind(
    client: TestClient, site_key: str, make_person: MakePerson, db: asyncpg.Connection
) -> None:
    token = await make_person("lan")
    for _ in range(4):
        assert (await post_login(client, token=token)).status == 303
        client.session.cookie_jar.clear()  # logged out, to log in again
    assert await db.fetchval("SELECT count(*) FROM login_failures") == 0
    assert (await post_login(client, token=token + "x")).status == 401
    assert await db.fetchval("SELECT count(*) FROM login_failures WHERE site_id IS NULL") == 1


async def test_state_changes_without_the_csrf_token_are_refused(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    csrf = await login()
    [cid] = await held(client, site_key, 1)
    body = {"id": cid, "action": "approve"}
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": csrf[:-1]}):
        refused = await client.post("/ui/api/decision", json=body, headers=headers)
        assert refused.status == 403
    for path, payload in (
        ("/ui/api/claim", {"limit": 1}),
        ("/ui/api/bulk", {"ids": [cid], "action": "spam"}),
        ("/ui/api/undo", {"id": cid}),
        ("/ui/api/release", {}),
    ):
        assert (await client.post(path, json=payload)).status == 403
    assert (await client.post("/ui/logout", data={"csrf": "nope"})).status == 403
    assert await db.fetchval("SELECT status FROM comments") == "pending"
    accepted = await client.post("/ui/api/decision", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status == 200


async def test_login_form_needs_its_csrf_token(
    client: TestClient, site_key: str, make_person: MakePerson
) -> None:
    await make_person("lan")
    await client.get("/ui/login")
    data = {"site": "news", "username": "lan", "password": PASSWORD, "csrf": "forged"}
    response = await client.post("/ui/login", data=data, allow_redirects=False)
    assert response.status == 403


async def test_pages_forbid_inline_script_and_carry_none(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login("hoa", role="owner")
    await held(client, site_key, 2)
    for path in ("/ui/login", "/ui/queue", "/ui/policy", "/ui/stats", "/ui/audit", "/ui/staff"):
        response = await client.get(path)
        assert response.status == 200, path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = await response.text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son\w+=", html), path
        assert " style=" not in html, path


async def test_comment_text_is_escaped_everywhere(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login()
    posted = await client.post(
        "/v1/comments", json=comment(body=XSS_BODY, name=XSS_NAME), headers=auth(site_key)
    )
    cid = (await posted.json())["id"]
    queue = await (await client.get("/ui/queue")).text()
    claimed = (
        await (
            await client.post("/ui/api/claim", json={"limit": 5}, headers={"X-CSRF-Token": csrf})
        ).json()
    )["html"]
    history = await (await client.get(f"/ui/comments/{cid}")).text()
    for html in (queue, claimed, history):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<b onmouseover" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;b onmouseover=alert(2)&gt;Kẻ xấu&lt;/b&gt;" in html


async def test_an_ended_session_gets_401_json_from_the_scripts_endpoints(
    client: TestClient, site_key: str, login: MakeLogin, db: asyncpg.Connection
) -> None:
    await login()
    assert (await client.get("/ui/api/items")).status == 200
    await db.execute("DELETE FROM sessions")
    answer = await client.get("/ui/api/items", allow_redirects=False)
    assert answer.status == 401 and answer.content_type == "application/problem+json"
    page = await client.get("/ui/queue", allow_redirects=False)  # a page still redirects
    assert page.status == 303 and page.headers["Location"] == "/ui/login"
