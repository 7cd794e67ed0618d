"""Operator commands that talk to the database (migrate, sites, users)."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from moderation import store, targets
from moderation.credentials import hash_key, new_key
from moderation.embedded import database_url
from moderation.errors import AlreadyExists, NotFound
from moderation.labels import Format, Label, label, render
from moderation.models import Policy, Role
from moderation.outbox import new_secret
from moderation.settings import Settings
from moderation.targets import Network

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def say(message: str) -> None:
    """A message for the operator, on standard error."""
    print(message, file=sys.stderr, flush=True)


@asynccontextmanager
async def open_store(dsn: str, timeout: float) -> AsyncIterator[store.Store]:
    """A migrated database and a one-connection store over it."""
    await store.migrate_dsn(dsn)
    async with store.create_pool(dsn, 1, 1, timeout) as pool:
        yield store.Store(pool, timeout)


async def add_site(dsn: str, timeout: float, slug: str) -> str:
    """Create a site with the default policy; its new key."""
    key = new_key("sk")
    async with open_store(dsn, timeout) as db:
        try:
            await db.create_site(slug, hash_key(key), Policy())
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


def migrate(settings: Settings) -> int:
    """Apply pending migrations and say which."""
    with database_url(settings) as dsn:
        applied = asyncio.run(store.migrate_dsn(dsn))
    say(f"applied migrations: {applied}" if applied else "database is up to date")
    return 0


def create_site(settings: Settings, slug: str) -> int:
    """Print a new site's key alone on standard output."""
    if not SLUG.match(slug):
        say("moderation: a slug is 1-63 characters of a-z, 0-9 and '-', not starting with '-'")
        return 2
    with database_url(settings) as dsn:
        key = asyncio.run(add_site(dsn, settings.db_timeout_seconds, slug))
    say(f"site {slug!r} created; its key is shown only this once:")
    print(key, flush=True)
    return 0


def create_user(
    settings: Settings, username: str, slug: str, role: Role, password: str | None = None
) -> int:
    """Print a new staff member's token alone on standard output; maybe set a password."""
    if not 1 <= len(username) <= 100:
        say("moderation: a username is 1 to 100 characters")
        return 2
    with database_url(settings) as dsn:
        token = asyncio.run(add_user(dsn, settings.db_timeout_seconds, username, slug, role))
        if password is not None:
            asyncio.run(_set_password(dsn, settings.db_timeout_seconds, slug, username, password))
    say(f"{role} {username!r} of {slug!r} created; the token is shown only this once:")
    print(token, flush=True)
    return 0


async def _rotate_key(dsn: str, timeout: float, slug: str, grace: timedelta) -> str:
    """Replace a site's key, the old one accepted for `grace`; the new key."""
    key = new_key("sk")
    async with open_store(dsn, timeout) as db:
        if not await db.rotate_site_key(slug, hash_key(key), datetime.now(UTC) + grace):
            raise NotFound(f"no site {slug!r}")
    return key


def rotate_site_key(settings: Settings, slug: str, grace_hours: float) -> int:
    """Print a site's new key alone on standard output."""
    grace = timedelta(hours=grace_hours)
    with database_url(settings) as dsn:
        key = asyncio.run(_rotate_key(dsn, settings.db_timeout_seconds, slug, grace))
    until = f"for {grace_hours:g} more hours" if grace_hours > 0 else "no longer"
    say(f"site {slug!r} has a new key (shown only this once); the old key works {until}:")
    print(key, flush=True)
    return 0


async def _revoke(dsn: str, timeout: float, slug: str, username: str) -> None:
    """Revoke a staff member's token and end their web sessions; NotFound when there is no
    such active user."""
    async with open_store(dsn, timeout) as db:
        if not await db.revoke_user(slug, username):
            raise NotFound(f"no active user {username!r} on {slug!r}")


def revoke_user(settings: Settings, slug: str, username: str) -> int:
    """Revoke a staff member at once: token, password and web sessions."""
    with database_url(settings) as dsn:
        asyncio.run(_revoke(dsn, settings.db_timeout_seconds, slug, username))
    say(
        f"{username!r} of {slug!r} revoked; their token and password no longer work and their "
        "web sessions have ended (`users restore` lifts this)"
    )
    return 0


async def _restore(dsn: str, timeout: float, slug: str, username: str) -> None:
    """Lift a staff member's revocation; NotFound when there is no such revoked user."""
    async with open_store(dsn, timeout) as db:
        if not await db.restore_user(slug, username):
            raise NotFound(f"no revoked user {username!r} on {slug!r}")


def restore_user(settings: Settings, slug: str, username: str) -> int:
    """Let a revoked staff member in again, with their current token and password."""
    with database_url(settings) as dsn:
        asyncio.run(_restore(dsn, settings.db_timeout_seconds, slug, username))
    say(
        f"{username!r} of {slug!r} restored; their current token and password work again "
        "(rotate the token too if it may have leaked)"
    )
    return 0


async def _new_token(dsn: str, timeout: float, slug: str, username: str) -> tuple[str, bool]:
    """Give a staff member a new token, ending the web sessions the old one opened; the token
    and whether the user stays revoked. NotFound when there is no such user."""
    token = new_key("mt")
    async with open_store(dsn, timeout) as db:
        revoked = await db.rotate_user_token(slug, username, hash_key(token))
    if revoked is None:
        raise NotFound(f"no user {username!r} on {slug!r}")
    return token, revoked


def rotate_user_token(settings: Settings, slug: str, username: str) -> int:
    """Print a staff member's new token alone on standard output."""
    with database_url(settings) as dsn:
        token, revoked = asyncio.run(_new_token(dsn, settings.db_timeout_seconds, slug, username))
    say(
        f"{username!r} of {slug!r} has a new token (shown only this once); the old one is void "
        "and the web sessions it opened have ended"
    )
    if revoked:
        say(f"{username!r} stays revoked: the new token works after `users restore`")
    print(token, flush=True)
    return 0


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


def webhook(
    settings: Settings,
    slug: str,
    url: str | None,
    rotate: bool,
    allow: Sequence[Network] = (),
    clear: bool = False,
) -> int:
    """Print a site's webhook signing secret alone on standard output; maybe set its URL and
    the networks its webhooks may reach besides public addresses."""
    if url is not None:
        try:
            url = str(targets.parse(url))
        except targets.UnsafeTarget as exc:
            say(f"moderation: --url {exc}")
            return 2
    with database_url(settings) as dsn:
        timeout = settings.db_timeout_seconds
        if allow or clear:
            held = asyncio.run(site_networks(dsn, timeout, slug, clear, allow))
            listed = ", ".join(map(str, held)) or "none (public addresses only)"
            say(f"networks the webhooks of {slug!r} may reach: {listed}")
        secret, version = asyncio.run(site_webhook(dsn, timeout, slug, url, rotate))
    if version is not None:
        say(f"webhook_url of {slug!r} set in policy version {version}")
    say("the new signing secret (the old one no longer verifies):" if rotate else "signing secret:")
    print(secret, flush=True)
    return 0


async def _set_password(dsn: str, timeout: float, slug: str, username: str, password: str) -> None:
    """Store an argon2id hash of a staff member's password; NotFound when unknown."""
    from moderation.web.passwords import hash_password

    async with open_store(dsn, timeout) as db:
        if not await db.set_password(slug, username, hash_password(password)):
            raise NotFound(f"no user {username!r} on {slug!r}")


def set_password(settings: Settings, slug: str, username: str, password: str) -> int:
    """Set a staff member's web password (their open web sessions end)."""
    with database_url(settings) as dsn:
        asyncio.run(_set_password(dsn, settings.db_timeout_seconds, slug, username, password))
    say(f"password of {username!r} on {slug!r} set; their web sessions were ended")
    return 0


def read_password() -> str | None:
    """A new password: prompted twice on a terminal, else the first line of standard input."""
    from moderation.web.passwords import password_problem

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            say("moderation: the passwords differ")
            return None
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        say(f"moderation: {problem}")
        return None
    return password


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


def export_labels(
    settings: Settings, slug: str | None, since: datetime | None, out: str | None, fmt: Format
) -> int:
    """Write moderators' decisions as labels to a file (or standard output)."""
    with database_url(settings) as dsn:
        rows = asyncio.run(collect_labels(dsn, settings.db_timeout_seconds, slug, since))
    text = render(rows, fmt)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        with open(out, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    say(f"{len(rows)} labels written to {out or 'standard output'}")
    return 0


def feedback_arguments(settings: Settings, argv: list[str], workdir: Path) -> list[str]:
    """`moderation train` options for the classifiers' trainer, the service's own resolved.

    `--from-db [--site S] [--since T]` exports the decisions into `workdir` and passes the
    file on as `--with-decisions`; training with decisions writes into MODERATION_MODEL_DIR
    unless `--into` or `--out` says where.
    """
    ours = argparse.ArgumentParser(prog="moderation train", add_help=False)
    ours.add_argument("--from-db", action="store_true")
    ours.add_argument("--site")
    ours.add_argument("--since", type=parse_since)
    args, rest = ours.parse_known_args(argv)
    if args.from_db:
        path = workdir / "decisions.jsonl"
        export_labels(settings, args.site, args.since, str(path), "jsonl")
        rest += ["--with-decisions", str(path)]
    elif args.site or args.since:
        ours.error("--site and --since go with --from-db")
    decisions = any(a.startswith("--with-decisions") for a in rest)
    chosen = any(a.startswith(("--into", "--out")) for a in rest)
    if decisions and not chosen and settings.model_dir is not None:
        rest += ["--into", str(settings.model_dir)]
    return rest


def parse_since(value: str) -> datetime:
    """An ISO 8601 date or time; UTC when no offset is given."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
