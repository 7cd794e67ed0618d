"""Isolation matrix: every /v1 endpoint, with every credential that must not reach site A.

Routes are read from the application itself, so an endpoint added later is covered without
editing this file; only the public ones are named here. Each case must answer 401 or 404 (as
API.md says: other sites' credentials get 404, never 403, so sites cannot be discovered) and
no body may carry anything of site A's comment.
"""

from __future__ import annotations

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation import admin
from tests.conftest import MakeSite, MakeStaff, auth, comment

SECRET_BODY = "Bình luận riêng của trang A, mã bí mật 7fa3c1"
THREAD = "chuyen-muc-a/bai-viet-bi-mat"
NAME = "Trần Thị Bí Mật"
# Readable by anyone: health, metrics, the API description and published comments.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/sites/{site}/threads/{thread}/comments"),
}
# A site key may legitimately use these for its own site (site B posting its own comment, or
# erasing its own authors: nothing of site A may be touched, which the second test checks).
OWN_SITE_WRITES = {("POST", "/v1/comments"), ("POST", "/v1/authors/erase"), ("GET", "/v1/site")}
EMAIL = "an.nguyen@example.com"  # the author of site A's comment


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """The matrix sends many requests from one address: a burst for all of them (a 429 would
    hide what the credential alone gets)."""
    return {"rate_limit_per_address_burst": 2000}


async def _site_a(client: TestClient, make_site: MakeSite) -> tuple[str, str]:
    """Site A ("news") with one held comment; its key and the comment id."""
    key = await make_site("news")
    body = comment(body=f"maybe-spam {SECRET_BODY}", thread=THREAD, name=NAME)
    answer = await client.post("/v1/comments", json=body, headers=auth(key))
    assert answer.status == 202
    return key, str((await answer.json())["id"])


async def _outsiders(dsn: str, make_site: MakeSite, make_staff: MakeStaff) -> dict[str, str]:
    """Every credential that must get nothing of site A, by name ("" = no header)."""
    other_key = await make_site("other")
    revoked = await make_staff("gone", "news", "owner")
    await admin.revoke(dsn, 5, "news", "gone")
    return {
        "none": "",
        "garbage": "sk_not-a-real-key",
        "other site key": other_key,
        "other site moderator": await make_staff("lan", "other", "moderator"),
        "other site owner": await make_staff("hoa", "other", "owner"),
        "revoked owner of A": revoked,
    }


def _routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every /v1 route, with the {x:regex} parts simplified."""
    found = set()
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path") or ""
        if route.method in ("GET", "POST", "PUT", "PATCH", "DELETE") and path.startswith("/v1/"):
            found.add((route.method, path))
    return sorted(found)


def _body(path: str, comment_id: str) -> dict[str, object]:
    """A valid body for the route, so that only the credential can be what is refused."""
    if path.endswith("/decision"):
        return {"action": "spam"}
    if path.endswith("/decisions"):
        return {"ids": [comment_id], "action": "spam"}
    if path.endswith("/claim"):
        return {"limit": 5}
    if path.endswith("/release"):
        return {"ids": [comment_id]}
    if path.endswith("/erase"):
        return {"email": EMAIL}
    if path.endswith("/report"):
        return {"reason": "spam"}
    if path.endswith("/redaction"):
        return {"public_body": "changed by an outsider"}
    if path.endswith("/rule"):
        return {"rule": "ban"}
    return {}


def _fill(path: str, comment_id: str, author: str = "") -> str:
    """A concrete URL of site A for a route template ({author}: the comment's author)."""
    path = path.replace("{site}", "news").replace("{thread}", THREAD).replace("{id}", comment_id)
    return path.replace("{author}", author)


async def _author(dsn: str, comment_id: str) -> str:
    """The author id (hex of the keyed email hash) of site A's comment."""
    conn = await asyncpg.connect(dsn)
    try:
        found = await conn.fetchval(
            "SELECT encode(email_hash, 'hex') FROM comments WHERE id = $1::uuid", comment_id
        )
    finally:
        await conn.close()
    return str(found)


async def test_other_credentials_get_nothing_of_site_a(
    client: TestClient, dsn: str, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    _, comment_id = await _site_a(client, make_site)
    outsiders = await _outsiders(dsn, make_site, make_staff)
    routes = [r for r in _routes(client) if r not in PUBLIC | OWN_SITE_WRITES]
    assert len(routes) >= 8, routes  # the matrix really covers the API
    failures = []
    author = await _author(dsn, comment_id)
    for method, template in routes:
        url = _fill(template, comment_id, author)
        for who, credential in outsiders.items():
            headers = auth(credential) if credential else {}
            body = _body(template, comment_id)
            answer = await client.request(method, url, json=body, headers=headers)
            text = await answer.text()
            leaked = [s for s in (comment_id, SECRET_BODY, NAME) if s in text]
            if answer.status not in (401, 404) or leaked:
                failures.append(f"{method} {template} as {who}: {answer.status} {leaked}")
    assert not failures, "\n".join(failures)


async def test_nothing_changed_in_site_a(
    client: TestClient, dsn: str, make_site: MakeSite, make_staff: MakeStaff
) -> None:
    """The matrix above must not have had side effects: run it, then look at the rows."""
    _, comment_id = await _site_a(client, make_site)
    outsiders = await _outsiders(dsn, make_site, make_staff)
    author = await _author(dsn, comment_id)
    for method, template in _routes(client):
        if (method, template) in PUBLIC or method == "GET":
            continue
        for credential in outsiders.values():
            headers = auth(credential) if credential else {}
            body = {
                "ids": [comment_id],
                "action": "spam",
                "limit": 5,
                "email": "an.nguyen@example.com",
                "public_body": "changed by an outsider",
                "rule": "ban",
            }
            url = _fill(template, comment_id, author)
            await client.request(method, url, json=body, headers=headers)
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT status, claimed_by FROM comments WHERE id = $1::uuid", comment_id
        )
        events = await conn.fetchval(
            "SELECT count(*) FROM comment_events WHERE comment_id = $1::uuid", comment_id
        )
        public = await conn.fetchval(
            "SELECT public_body FROM comments WHERE id = $1::uuid", comment_id
        )
        rules = await conn.fetchval("SELECT count(*) FROM author_rules")
        edits = await conn.fetchval("SELECT count(*) FROM comment_redactions")
    finally:
        await conn.close()
    assert row is not None, "site A's comment was erased by another site"
    assert (row["status"], row["claimed_by"], events) == ("pending", None, 1)
    assert SECRET_BODY in public and (rules, edits) == (0, 0)


@pytest.mark.parametrize("who", ["other site moderator", "other site owner"])
async def test_public_listing_shows_only_published(
    client: TestClient, dsn: str, make_site: MakeSite, make_staff: MakeStaff, who: str
) -> None:
    _, comment_id = await _site_a(client, make_site)
    credential = (await _outsiders(dsn, make_site, make_staff))[who]
    url = _fill("/v1/sites/{site}/threads/{thread}/comments", comment_id)
    answer = await client.get(url, headers=auth(credential))
    assert answer.status == 200 and (await answer.json())["items"] == []
