"""Fixtures of the web pages: staff with passwords, logged-in clients, held comments."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from moderation import admin
from moderation.domain.models import Role
from tests.api.test_queue import held
from tests.conftest import MakeSite

PASSWORD = "mật-khẩu-đủ-dài-1"
MakeLogin = Callable[..., Awaitable[str]]
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def form_csrf(html: str) -> str:
    """The hidden CSRF field of a form."""
    found = _CSRF_FIELD.search(html)
    assert found, html
    return found.group(1)


def page_csrf(html: str) -> str:
    """The session's CSRF token a page carries for its scripts."""
    found = _CSRF_META.search(html)
    assert found and found.group(1), html
    return found.group(1)


async def post_login(client: TestClient, **fields: str) -> ClientResponse:
    """Fetch the login form, then send it with these fields (no redirect followed)."""
    html = await (await client.get("/ui/login")).text()
    data = {"csrf": form_csrf(html), **fields}
    return await client.post("/ui/login", data=data, allow_redirects=False)


@pytest.fixture
def make_person(dsn: str) -> Callable[..., Awaitable[str]]:
    """Factory: a staff member with the test password; their token."""

    async def make(name: str, slug: str = "news", role: Role = "moderator") -> str:
        token = await admin.add_user(dsn, 5, name, slug, role)
        await admin.set_password(dsn, 5, slug, name, PASSWORD)
        return token

    return make


@pytest.fixture
def login(client: TestClient, make_person: Callable[..., Awaitable[str]]) -> MakeLogin:
    """Factory: create a staff member, log the client in as them; the page CSRF token."""

    async def make(name: str = "lan", slug: str = "news", role: Role = "moderator") -> str:
        await make_person(name, slug, role)
        response = await post_login(client, site=slug, username=name, password=PASSWORD)
        assert response.status == 303, await response.text()
        queue = await client.get("/ui/queue")
        assert queue.status == 200
        return page_csrf(await queue.text())

    return make


__all__ = ["MakeSite", "held"]
