"""Hostile path parameters (NUL, control characters, huge values) get a 4xx problem naming the
parameter, never a 500, on every route: the API, the pages, their scripts' endpoints, static
files. Routes are read from the application, so one added later is covered too."""

from __future__ import annotations

import re

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from moderation import admin
from moderation.api import openapi
from moderation.domain.passwords import hash_password
from moderation.http.params import PATH_LIMIT, PATH_LIMITS
from tests.conftest import MakeSite, auth, comment
from tests.web.conftest import post_login

PARAMETER = re.compile(r"\{(\w+)\}")
# Percent-encoded as they travel; each holds a character no path parameter may hold.
CONTROL = ["a%00b", "%00", "x%01y", "%1F", "%7F", "%0A", "a%0D%0Ab", "%C2%85", "%E2%80%AE"]
# Odd but harmless: handlers answer them as they see fit, but never with a 500.
ODD = ["%FF", "%C0%AF", "..", "Vi%E1%BB%87t", "%F0%9F%98%80", "a%20b"]
PROBLEM = "application/problem+json"
NO_LIMITS = {"rate_limit_per_key": 0, "rate_limit_per_address": 0}
OWNER_PASSWORD = "mật-khẩu-đủ-dài-1"


def templates(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every route with a parameter in its path."""
    found = set()
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or (info["prefix"] + "/{filename}" if "prefix" in info else "")
        if PARAMETER.search(path):
            found.add((route.method, path))
    return sorted(found)


def fill(template: str, hostile: str, value: str, comment_id: str) -> str:
    """The path with one parameter hostile and the others as a real request has them."""
    sane = {"site": "news", "thread": "bai-viet-1", "id": comment_id, "filename": "app.css",
            "author": "0" * 64}  # fmt: skip
    return PARAMETER.sub(lambda m: value if m[1] == hostile else sane[m[1]], template)


async def _setup(client: TestClient, dsn: str, make_site: MakeSite) -> tuple[str, str, str]:
    """A site with a held comment, its owner logged in on the client: (key, token, id)."""
    key = await make_site("news")
    token = await admin.add_user(dsn, 5, "hoa", "news", "owner")
    async with admin.open_store(dsn, 5) as db:
        await db.set_password("news", "hoa", hash_password(OWNER_PASSWORD))
    login = await post_login(client, site="news", username="hoa", password=OWNER_PASSWORD)
    assert login.status == 303
    held = await client.post("/v1/comments", json=comment(body="maybe-spam"), headers=auth(key))
    assert held.status == 202
    return key, token, str((await held.json())["id"])


async def outcome(answer: ClientResponse) -> tuple[int, str, list[str]]:
    """Status, content type and the fields a problem names."""
    fields = []
    if answer.content_type == PROBLEM and answer.method != "HEAD":
        body = await answer.json(content_type=None)
        fields = [e["field"] for e in body.get("errors", [])]
    return answer.status, answer.content_type, fields


@pytest.mark.parametrize("settings_overrides", [NO_LIMITS], indirect=True)
async def test_every_path_parameter_refuses_control_characters_by_name(
    client: TestClient, dsn: str, make_site: MakeSite
) -> None:
    key, token, comment_id = await _setup(client, dsn, make_site)
    routes = templates(client)
    assert len(routes) >= 20  # /v1 and /ui routes and the static files, HEAD included
    wrong = []
    for method, template in routes:
        for name in PARAMETER.findall(template):
            too_long = "a" * (PATH_LIMITS.get(name, PATH_LIMIT) + 1)
            for n, value in enumerate([*CONTROL, too_long]):
                path = fill(template, name, value, comment_id)
                headers = auth(token if n % 2 else key)
                answer = await client.request(method, path, headers=headers, allow_redirects=False)
                expected = (422, PROBLEM, [] if method == "HEAD" else [name])
                if name == "thread" and "%0A" in value:
                    # the route's pattern (.+) stops at a line break: no route, no parameter
                    expected = (404, PROBLEM, [])
                if (got := await outcome(answer)) != expected:
                    wrong.append(f"{method} {path[:70]}: {got}")
    assert wrong == []


@pytest.mark.parametrize("settings_overrides", [NO_LIMITS], indirect=True)
async def test_odd_path_parameters_never_get_a_500(
    client: TestClient, dsn: str, make_site: MakeSite
) -> None:
    key, token, comment_id = await _setup(client, dsn, make_site)
    for method, template in templates(client):
        for name in PARAMETER.findall(template):
            longest = "a" * PATH_LIMITS.get(name, PATH_LIMIT)
            for n, value in enumerate([*ODD, longest]):
                path = fill(template, name, value, comment_id)
                headers = auth(token if n % 2 else key)
                answer = await client.request(method, path, headers=headers, allow_redirects=False)
                assert answer.status < 500, f"{method} {path}"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/sites/news/threads/a%00b/comments", "thread"),
        ("/v1/sites/a%00/threads/x/comments", "site"),
        ("/v1/sites/news/threads/" + "t" * 501 + "/comments", "thread"),
        ("/v1/comments/%00/events", "id"),
        ("/ui/comments/a%00b", "id"),
    ],
)
async def test_the_reported_paths_name_their_parameter(
    client: TestClient, site_key: str, path: str, field: str
) -> None:
    answer = await client.get(path)
    assert answer.status == 422 and answer.content_type == "application/problem+json"
    body = await answer.json(content_type=None)
    assert body["errors"] == [{"field": field, "message": body["errors"][0]["message"]}]
    assert "Traceback" not in await answer.text()


async def test_sane_parameters_still_reach_the_handlers(client: TestClient, site_key: str) -> None:
    thread = "/v1/sites/news/threads/chuy%C3%AAn-m%E1%BB%A5c/b%C3%A0i-vi%E1%BA%BFt/comments"
    assert (await client.get(thread)).status == 200
    assert (await client.get("/v1/sites/nowhere/threads/x/comments")).status == 404
    assert (await client.get("/v1/sites/news/threads/" + "t" * 500 + "/comments")).status == 200


def test_the_api_description_says_path_parameters_may_get_422() -> None:
    paths = openapi.document()["paths"]
    checked = [
        (path, method)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if any(p["in"] == "path" for p in operation.get("parameters", []))
    ]
    assert len(checked) >= 14
    assert [c for c in checked if "422" not in paths[c[0]][c[1]]["responses"]] == []
