"""Operations on a database by its DSN, for the command line, `moderation serve`, the tests,
faults/ and bench/: sites, staff, keys, webhooks, labels; scratch databases and free ports."""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from moderation import store
from moderation.domain.credentials import hash_key, new_key
from moderation.domain.errors import AlreadyExists, NotFound
from moderation.domain.labels import Label, label
from moderation.domain.models import Policy, Role
from moderation.domain.outbox import new_secret
from moderation.domain.targets import Network


def say(message: str) -> None:
    """A message for the operator, on standard error."""
    print(message, file=sys.stderr, flush=True)


@asynccontextmanager
async def open_store(dsn: str, timeout: float) -> AsyncIterator[store.Store]:
    """A migrated database and a one-connection store over it."""
    await store.migrate_dsn(dsn)
    async with store.create_pool(dsn, 1, 1, timeout) as pool:
        yield store.Store(pool, timeout)


async def add_site(dsn: str, timeout: float, slug: str, time_zone: str = "UTC") -> str:
    """Create a site with the default policy in its time zone; its new key."""
    key = new_key("sk")
    async with open_store(dsn, timeout) as db:
        try:
            await db.create_site(slug, hash_key(key), Policy(time_zone=time_zone))
        except AlreadyExists:
            raise AlreadyExists(f"site {slug!r} already exists") from None
    return key


async def add_user(dsn: str, timeout: float, username: str, slug: str, role: Role) -> str:
    """Create a staff member of a site; their new token."""
    token = new_key("mt")
    async with open_store(dsn, timeout) as db:
        site = await db.site_by_slug(slug)
        if site is None:
            raise NotFound(f"no site {slug!r}")
        try:
            await db.create_user(site.id, username, role, hash_key(token))
        except AlreadyExists:
            raise AlreadyExists(f"user {username!r} already exists on {slug!r}") from None
    return token


async def rotate_key(dsn: str, timeout: float, slug: str, grace: timedelta) -> str:
    """Replace a site's key, the old one accepted for `grace`; the new key."""
    key = new_key("sk")
    async with open_store(dsn, timeout) as db:
        if not await db.rotate_site_key(slug, hash_key(key), datetime.now(UTC) + grace):
            raise NotFound(f"no site {slug!r}")
    return key


async def revoke(dsn: str, timeout: float, slug: str, username: str) -> None:
    """Revoke a staff member's token and end their web sessions; NotFound when there is no
    such active user."""
    async with open_store(dsn, timeout) as db:
        if not await db.revoke_user(slug, username):
            raise NotFound(f"no active user {username!r} on {slug!r}")


async def restore(dsn: str, timeout: float, slug: str, username: str) -> None:
    """Lift a staff member's revocation; NotFound when there is no such revoked user."""
    async with open_store(dsn, timeout) as db:
        if not await db.restore_user(slug, username):
            raise NotFound(f"no revoked user {username!r} on {slug!r}")


async def new_token(dsn: str, timeout: float, slug: str, username: str) -> tuple[str, bool]:
    """Give a staff member a new token, ending the web sessions the old one opened; the token
    and whether the user stays revoked. NotFound when there is no such user."""
    token = new_key("mt")
    async with open_store(dsn, timeout) as db:
        revoked = await db.rotate_user_token(slug, username, hash_key(token))
    if revoked is None:
        raise NotFound(f"no user {username!r} on {slug!r}")
    return token, revoked


async def site_webhook(
    dsn: str, timeout: float, slug: str, url: str | None, rotate: bool
) -> tuple[str, int | None]:
    """A site's webhook secret (a new one when rotating) and the policy version a URL made."""
    async with open_store(dsn, timeout) as db:
        site_id, secret = await db.webhook_secret(slug, new_secret() if rotate else None)
        version = await db.set_webhook_url(site_id, url, "operator") if url else None
    return secret, version


async def site_networks(
    dsn: str, timeout: float, slug: str, clear: bool, add: Sequence[Network]
) -> tuple[Network, ...]:
    """Change the networks one site's webhooks may reach (the operator's alone); the list."""
    async with open_store(dsn, timeout) as db:
        return await db.set_site_webhook_networks(slug, clear, add)


async def set_password(dsn: str, timeout: float, slug: str, username: str, password: str) -> None:
    """Store an argon2id hash of a staff member's password; NotFound when unknown."""
    from moderation.domain.passwords import hash_password

    async with open_store(dsn, timeout) as db:
        if not await db.set_password(slug, username, hash_password(password)):
            raise NotFound(f"no user {username!r} on {slug!r}")


async def collect_labels(
    dsn: str, timeout: float, slug: str | None, since: datetime | None
) -> list[Label]:
    """The latest decision on each decided comment, of one site or of all, as labels."""
    async with open_store(dsn, timeout) as db:
        sites = await db.label_sites(slug)
        if slug is not None and not sites:
            raise NotFound(f"no site {slug!r}")
        return [
            label(site, row["body"], row["action"], row["decided_at"])
            for site_id, site in sites
            for row in await db.decided(site_id, since)
        ]


def with_database(dsn: str, name: str) -> str:
    """The same server, another database."""
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


async def create_database(admin_dsn: str, name: str, template: str | None = None) -> str:
    """Create a database (empty, or a copy of a template) on admin_dsn's server; its DSN."""
    copy = f" TEMPLATE {template}" if template else ""
    await store.execute_once(admin_dsn, f"CREATE DATABASE {name}{copy}")
    return with_database(admin_dsn, name)


async def drop_database(admin_dsn: str, name: str) -> None:
    """Drop a database, closing its connections."""
    await store.execute_once(admin_dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
