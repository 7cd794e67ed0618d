"""The JSON answers the pages' scripts read (/ui/api/*), pinned byte for byte: key order,
spacing and types, whatever builds them."""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeLogin, held


async def raw(client: TestClient, csrf: str, path: str, body: Any = None) -> bytes:
    """The bytes of a 200 JSON answer to a GET (no body) or a POST with the CSRF token."""
    if body is None:
        response = await client.get(path)
    else:
        response = await client.post(path, json=body, headers={"X-CSRF-Token": csrf})
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "application/json"
    return await response.read()


def html(answer: bytes) -> str:
    """The HTML fragment an answer carries."""
    fragment = orjson.loads(answer)["html"]
    assert isinstance(fragment, str) and fragment.strip()
    return fragment


async def test_queue_answers(client: TestClient, site_key: str, login: MakeLogin) -> None:
    csrf = await login()
    first, second = await held(client, site_key, 2)
    items = await raw(client, csrf, "/ui/api/items")
    assert items == orjson.dumps({"html": html(items), "count": 2, "next_cursor": None})
    page = await raw(client, csrf, "/ui/api/items?sort=score")
    assert page.endswith(b'","count":2,"next_cursor":null}')
    claimed = await raw(client, csrf, "/ui/api/claim", {"limit": 1})
    assert claimed == orjson.dumps({"html": html(claimed), "count": 1})
    decided = await raw(client, csrf, "/ui/api/decision", {"id": first, "action": "approve"})
    assert decided == f'{{"id":"{first}","outcome":"changed","status":"published"}}'.encode()
    bulk = await raw(client, csrf, "/ui/api/bulk", {"ids": [second, first], "action": "spam"})
    assert (
        bulk
        == (
            f'{{"items":[{{"id":"{second}","outcome":"changed"}},'
            f'{{"id":"{first}","outcome":"changed"}}],"status":"spam"}}'
        ).encode()
    )
    undone = await raw(client, csrf, "/ui/api/undo", {"id": first})
    assert undone == orjson.dumps({"html": html(undone)})
    released = await raw(client, csrf, "/ui/api/release", {})
    assert re.fullmatch(rb'\{"released":[0-9]+\}', released), released


async def test_policy_answers(client: TestClient, site_key: str, login: MakeLogin) -> None:
    csrf = await login("hoa", role="owner")
    await held(client, site_key, 2)
    change = {"thresholds": {"spam": {"hold": 0.5, "reject": 0.55}}}
    preview = await raw(client, csrf, "/ui/api/policy/preview", {"version": 1, "change": change})
    assert preview == orjson.dumps({"html": html(preview), "changed": 2, "comments": 2})
    saved = await raw(client, csrf, "/ui/api/policy", {"version": 1, "change": change})
    assert saved == b'{"version":2,"changed":true}'
    again = await raw(client, csrf, "/ui/api/policy", {"version": 2, "change": change})
    assert again == b'{"version":2,"changed":false}'
