"""Fixtures: a real PostgreSQL (DATABASE_URL or embedded), a fresh database per test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from ipaddress import ip_network
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from moderation import admin
from moderation.app import create_app
from moderation.domain.models import Role
from moderation.keys import STORE
from moderation.settings import Settings
from moderation.store import migrate_dsn
from moderation.store.embedded import database_url
from tests.standin import KeywordScorer

SECRET = "test-deployment-secret"
MakeSite = Callable[[str], Awaitable[str]]
MakeStaff = Callable[..., Awaitable[str]]


@pytest.fixture(scope="session")
def admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DATABASE_URL when set, else an embedded server for the session."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    settings = Settings(database_url=None, data_dir=tmp_path_factory.mktemp("embedded"))
    with database_url(settings) as dsn:
        yield dsn


@pytest.fixture(scope="session")
def template_db(admin_dsn: str) -> Iterator[str]:
    """A migrated database that each test copies."""
    name = f"tmpl_{uuid.uuid4().hex[:12]}"
    asyncio.run(migrate_dsn(asyncio.run(admin.create_database(admin_dsn, name))))
    yield name
    asyncio.run(admin.drop_database(admin_dsn, name))


@pytest.fixture
async def dsn(admin_dsn: str, template_db: str) -> AsyncIterator[str]:
    """A fresh migrated database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield await admin.create_database(admin_dsn, name, template_db)
    await admin.drop_database(admin_dsn, name)


@pytest.fixture
async def db(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the test database, for assertions."""
    conn = await asyncpg.connect(dsn)
    yield conn
    await conn.close()


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    """Extra settings for one test: parametrize it with indirect=True."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(dsn: str, tmp_path: Path, settings_overrides: dict[str, object]) -> Settings:
    """Settings pointing at the test database."""
    return Settings(
        database_url=dsn,
        secret=SecretStr(SECRET),
        data_dir=tmp_path,
        site_cache_seconds=0,
        **{
            "db_timeout_seconds": 3,
            # the tests' webhook receivers listen on loopback, which production refuses
            "webhook_allowed_networks": [ip_network("127.0.0.0/8")],
            **settings_overrides,
        },  # type: ignore[arg-type]
    )


@pytest.fixture
def scorer() -> KeywordScorer:
    """The deterministic stand-in scorer."""
    return KeywordScorer()


@pytest.fixture
def intake_statement() -> str:
    """Which statement stores a lone comment: "single" (insert_comment, as served) or
    "batched" (insert_comments on one row). Modules that test intake's rules ask for both
    (``both_intake_statements``), so the two statements cannot drift apart."""
    return "single"


both_intake_statements = pytest.fixture(params=["single", "batched"], name="intake_statement")(
    lambda request: request.param
)


@pytest.fixture
async def client(
    settings: Settings,
    scorer: KeywordScorer,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    intake_statement: str,
) -> AsyncIterator[TestClient]:
    """A test client of the whole application (closed before its database is dropped)."""
    app = create_app(settings, lambda: scorer)
    started = await aiohttp_client(app)
    app[STORE].batches.lone_statement = intake_statement == "single"
    yield started
    # a batched statement that failed is retried row by row by the single one, unseen
    assert app[STORE].batches.retried_alone == 0


@pytest.fixture
def make_site(dsn: str) -> MakeSite:
    """Factory: create a site by slug, get its key."""

    async def make(slug: str) -> str:
        return await admin.add_site(dsn, 5, slug)

    return make


@pytest.fixture
def make_staff(dsn: str) -> MakeStaff:
    """Factory: a staff member of a site (default "news", moderator), their token."""

    async def make(name: str, slug: str = "news", role: Role = "moderator") -> str:
        return await admin.add_user(dsn, 5, name, slug, role)

    return make


@pytest.fixture
async def site_key(make_site: MakeSite) -> str:
    """The key of a site called "news"."""
    return await make_site("news")


def auth(key: str) -> dict[str, str]:
    """Authorization header for a site key."""
    return {"Authorization": f"Bearer {key}"}


def comment(**overrides: object) -> dict[str, object]:
    """A valid comment body, with overrides."""
    base: dict[str, object] = {
        "thread": "bai-viet-1",
        "name": "Nguyễn Văn An",
        "email": "an.nguyen@example.com",
        "body": "Bài viết rất hay, cảm ơn tác giả!",
    }
    base.update(overrides)
    return base
