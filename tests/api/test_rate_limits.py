"""Rate limits per credential and per client address, answered 429 with Retry-After."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import MakeSite, auth, comment

TIGHT = {"rate_limit_per_key": 0.5, "rate_limit_per_key_burst": 3,
         "rate_limit_per_address": 0.5, "rate_limit_per_address_burst": 3}  # fmt: skip


@pytest.mark.parametrize("settings_overrides", [TIGHT], indirect=True)
async def test_a_site_key_is_limited_by_key_not_by_address(
    client: TestClient, site_key: str, make_site: MakeSite
) -> None:
    answers = [
        (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).status
        for _ in range(4)
    ]
    assert answers[:3] == [201, 201, 201]
    refused = await client.post("/v1/comments", json=comment(), headers=auth(site_key))
    assert refused.status == 429 and refused.headers["Retry-After"] == "2"
    assert refused.content_type == "application/problem+json"
    other = await make_site("other")  # same address, another key: not limited
    assert (await client.post("/v1/comments", json=comment(), headers=auth(other))).status == 201


@pytest.mark.parametrize("settings_overrides", [TIGHT], indirect=True)
async def test_readers_are_limited_by_address_and_probes_never(
    client: TestClient, site_key: str
) -> None:
    url = "/v1/sites/news/threads/t/comments"
    statuses = [(await client.get(url)).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    probes = [(await client.get("/healthz")).status for _ in range(10)]
    assert probes == [200] * 10
    # a credential is its own bucket, whatever the address
    assert (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).ok


@pytest.mark.parametrize(
    "settings_overrides", [{**TIGHT, "trust_forwarded_for": True}], indirect=True
)
async def test_behind_a_trusted_proxy_the_forwarded_address_counts(client: TestClient) -> None:
    url = "/v1/sites/news/threads/t/comments"
    for _ in range(3):
        assert (await client.get(url, headers={"X-Forwarded-For": "1.2.3.4"})).status == 404
    assert (await client.get(url, headers={"X-Forwarded-For": "1.2.3.4"})).status == 429
    assert (await client.get(url, headers={"X-Forwarded-For": "9.9.9.9, 5.6.7.8"})).status == 404
