"""Rate limits per credential and per client address, answered 429 with Retry-After."""

from __future__ import annotations

import secrets

import pytest
from aiohttp.test_utils import TestClient

from moderation.domain.review import Staff
from moderation.keys import LIMIT_BY_KEY, STORE
from moderation.store import Store
from tests.conftest import MakeSite, MakeStaff, auth, comment

TIGHT = {"rate_limit_per_key": 0.5, "rate_limit_per_key_burst": 3,
         "rate_limit_per_address": 0.5, "rate_limit_per_address_burst": 3}  # fmt: skip
READ = "/v1/sites/news/threads/t/comments"
QUEUE = "/v1/sites/news/queue"


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


def made_up() -> dict[str, str]:
    """An Authorization header with a token nobody was given."""
    return auth(f"sk_{secrets.token_urlsafe(32)}")


@pytest.mark.parametrize("settings_overrides", [TIGHT], indirect=True)
async def test_made_up_tokens_count_against_the_address_and_add_no_bucket(
    client: TestClient, site_key: str, make_staff: MakeStaff
) -> None:
    staff = await make_staff("lan")
    assert (await client.get(QUEUE, headers=auth(staff))).status == 200  # known from now on
    reads = [(await client.get(READ, headers=made_up())).status for _ in range(6)]
    assert reads == [200, 200, 429, 429, 429, 429]  # the staff request took the first one
    posts = [(await client.post("/v1/comments", json=comment(), headers=made_up())).status
             for _ in range(3)]  # fmt: skip
    assert posts == [429, 429, 429]
    assert len(client.app[LIMIT_BY_KEY]) == 1  # the staff token alone
    assert (await client.get(QUEUE, headers=auth(staff))).status == 200  # its own bucket


@pytest.mark.parametrize("settings_overrides", [TIGHT], indirect=True)
async def test_a_real_credential_refused_by_its_address_is_looked_up_made_up_ones_rarely(
    client: TestClient, site_key: str, make_staff: MakeStaff, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = await make_staff("lan")
    assert [(await client.get(READ)).status for _ in range(4)] == [200, 200, 200, 429]
    # over its limit, an address may still have its credentials checked (at the same rate)
    assert (await client.get(QUEUE, headers=auth(staff))).status == 200
    assert (await client.post("/v1/comments", json=comment(), headers=auth(site_key))).ok
    store = client.app[STORE]
    looked_up = []

    async def counted(digest: bytes) -> Staff | None:
        looked_up.append(digest)
        return await Store.staff_by_token(store, digest)

    monkeypatch.setattr(store, "staff_by_token", counted)
    statuses = [(await client.get(READ, headers=made_up())).status for _ in range(5)]
    assert statuses == [429] * 5
    assert len(looked_up) == 1  # the one check left in the address's allowance
    assert len(client.app[LIMIT_BY_KEY]) == 2


@pytest.mark.parametrize(
    "settings_overrides",
    [{"rate_limit_per_key": 0, "rate_limit_per_address": 0.5, "rate_limit_per_address_burst": 3}],
    indirect=True,
)
async def test_with_no_key_limit_a_made_up_token_still_counts_against_its_address(
    client: TestClient, site_key: str
) -> None:
    assert [(await client.get(READ, headers=made_up())).status for _ in range(4)][-1] == 429
    answers = [(await client.post("/v1/comments", json=comment(), headers=auth(site_key))).status
               for _ in range(5)]  # fmt: skip
    assert answers == [201] * 5
