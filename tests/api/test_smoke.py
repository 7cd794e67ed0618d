"""Quick end-to-end check of the intake path."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import auth, comment


async def test_published_comment_answers_201(client: TestClient, site_key: str) -> None:
    response = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert response.status == 201
    body = await response.json()
    assert body["status"] == "published"
    assert set(body) == {"id", "status", "scores", "reasons", "model_version"}
