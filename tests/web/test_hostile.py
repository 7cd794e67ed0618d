"""Hostile login forms and queue filters are refused with 4xx, never 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient

from tests.api.test_hostile import HOSTILE_CURSORS, _raw
from tests.web.conftest import MakeLogin, form_csrf

MakePerson = Callable[..., Awaitable[str]]


async def test_hostile_login_fields(
    client: TestClient, site_key: str, make_person: MakePerson
) -> None:
    await make_person("lan")
    hostile = (
        {"site": "news\x00", "username": "lan", "password": "x"},
        {"site": "news", "username": "l\x00an", "password": "p\x00w"},
        {"site": "n" * 5000, "username": "u" * 5000, "password": "p" * 5000},
        {"token": "mt_\x00"},
        {"site": "news", "username": "lan", "password": "p" * 60_000},
    )
    for fields in hostile:
        html = await (await client.get("/ui/login")).text()
        data = {"csrf": form_csrf(html), **fields}
        response = await client.post("/ui/login", data=data, allow_redirects=False)
        assert 400 <= response.status < 500, (fields.keys(), response.status)


async def test_undecodable_form_body(client: TestClient, site_key: str) -> None:
    await client.get("/ui/login")
    response = await client.post(
        "/ui/login",
        data=b"csrf=%FF%FE&site=\xff\xfe&username=a",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )
    assert 400 <= response.status < 500


async def test_hostile_queue_filters(client: TestClient, site_key: str, login: MakeLogin) -> None:
    await login()
    for query in ("thread=%00", "reason=a%00b", "cursor=%00", "status=%00", "thread=" + "x" * 3000):
        for path in ("/ui/api/items", "/ui/queue"):
            response = await client.get(f"{path}?{query}", allow_redirects=False)
            assert response.status < 500, (path, query, response.status)


async def test_api_queue_filter_with_nul_is_422(
    client: TestClient, site_key: str, make_staff: Callable[..., Awaitable[str]]
) -> None:
    token = await make_staff("lan")
    response = await client.get(
        "/v1/sites/news/queue?thread=%00", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 422 and (await response.json())["errors"][0]["field"] == "thread"


async def test_hostile_owner_queries_and_headers(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    csrf = await login("hoa", role="owner")
    for path in (
        "/ui/audit?cursor=%00", "/ui/audit?cursor=bm90IGpzb24", "/ui/stats?days=%00",
        "/ui/stats?days=99999999999999999999", "/ui/api/items?cursor=abc&sort=score",
        "/ui/queue?lang=%00",
    ):  # fmt: skip
        response = await client.get(path, allow_redirects=False)
        assert 200 <= response.status < 500 and response.status != 500, path
    for language in ("", ";;;,,,", "vi;q=nan, en;q=inf", "x" * 4000, "vi;q=abc"):
        page = await client.get("/ui/queue", headers={"Accept-Language": language})
        assert page.status == 200, language
    headers = {"X-CSRF-Token": csrf}
    for body in ({"version": 1, "change": {"time_zone": "Mars/Olympus"}},
                 {"version": 1, "change": {"watched_terms": ["\x00"]}},
                 {"version": 1, "change": []}, {"version": "1", "change": {}}):  # fmt: skip
        response = await client.post("/ui/api/policy/preview", json=body, headers=headers)
        assert response.status == 422, body


async def test_credentials_that_are_not_utf8_are_refused_not_500(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login()
    # bytes a header may carry that are not UTF-8: the server decodes them into lone surrogates
    junk = b"\xff\xfe\xed\xa0\x80"
    requests = (
        b"GET /ui/queue HTTP/1.1\r\nHost: x\r\nCookie: mod_session=" + junk + b"\r\n",
        b"GET /ui/login HTTP/1.1\r\nHost: x\r\nCookie: mod_session=" + junk + b"\r\n",
        b"POST /ui/api/release HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nCookie: mod_session=abc\r\nX-CSRF-Token: " + junk + b"\r\n",
        b"POST /ui/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 8\r\nCookie: mod_login=" + junk + b"\r\n",
        b"GET /v1/sites/news/queue HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + junk + b"\r\n",
        b"GET /v1/sites/news/policy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + junk + b"\r\n",
        b"POST /v1/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nAuthorization: Bearer " + junk + b"\r\n",
    )
    for head in requests:
        body = b"csrf=abc" if b"/ui/login" in head and head.startswith(b"POST") else b"{}"
        answer = await _raw(client, head + b"Connection: close\r\n\r\n" + body)
        status = int(answer.split(b" ", 2)[1])
        assert 300 <= status < 500, (head, answer[:200])


async def test_hostile_page_queries_are_4xx(
    client: TestClient, site_key: str, login: MakeLogin
) -> None:
    await login("hoa", role="owner")
    early = HOSTILE_CURSORS["/v1/sites/news/audit"][0]
    queue = HOSTILE_CURSORS["/v1/sites/news/queue"][0]
    for path in (
        "/ui/stats?days=²",
        f"/ui/audit?cursor={early}",
        f"/ui/api/items?cursor={queue}",
        f"/ui/queue?cursor={queue}",
    ):
        response = await client.get(path, allow_redirects=False)
        assert 400 <= response.status < 500, (path, response.status)
