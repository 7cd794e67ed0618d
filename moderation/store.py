"""The only module that runs SQL: named queries, migrations, driver errors translated once."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
import orjson

from moderation import sql
from moderation.dbstate import DatabaseState
from moderation.errors import AlreadyExists, Cause, DatabaseUnavailable, Flooded, NotFound
from moderation.models import (
    STORED,
    CommentOut,
    CommentView,
    Decision,
    Policy,
    ProtectedComment,
    PublicComment,
    Role,
    Signals,
    Site,
)
from moderation.outbox import Attempt, OutboxItem
from moderation.review import (
    Action,
    AuditEntry,
    Decider,
    Event,
    Outcome,
    QueueFilter,
    QueueItem,
    Staff,
)
from moderation.targets import Network
from moderation.web.models import LoginCandidate, LoginFailures, StaffRow, ThreadComment

INSERT_PARAMS = 31  # $1..$31 of insert_comment (CommentRow.params)
# Failures that a retry can outlast. Connection-class first: the server restarts, fails over
# or refuses (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08xxx);
# TargetServerAttributeNotMatched (an InternalClientError) is "no listed host is writable".
_CONNECTION: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a query on a connection the server just killed
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.DatabaseDroppedError,
)
# 25006: a write reached a standby or a server with default_transaction_read_only on.
_READ_ONLY: tuple[type[BaseException], ...] = (asyncpg.exceptions.ReadOnlySQLTransactionError,)
# The database is there but too busy: a timeout (pool exhausted, slow statement), 53xxx
# (too many connections, out of memory or disk), 57014 (statement timeout) and other 57xxx.
_OVERLOAD: tuple[type[BaseException], ...] = (
    TimeoutError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
)
_UNAVAILABLE = _CONNECTION + _READ_ONLY + _OVERLOAD


def unavailable(exc: BaseException, retry_after: int | None = None) -> DatabaseUnavailable | None:
    """The domain error for a driver or network failure a retry can outlast, else None."""
    cause: Cause
    if isinstance(exc, TimeoutError):  # before OSError, its base class
        cause = "overload"
    elif isinstance(exc, _CONNECTION):
        cause = "connection"
    elif isinstance(exc, _READ_ONLY):
        cause = "read-only"
    elif isinstance(exc, _OVERLOAD):
        cause = "overload"
    else:
        return None
    return DatabaseUnavailable(type(exc).__name__, cause, retry_after)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver and network failures into domain errors."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise AlreadyExists(exc.constraint_name or "unique") from None
    except _UNAVAILABLE as exc:
        error = unavailable(exc)
        assert error is not None
        raise error from None


def writable(conn: asyncpg.Connection) -> bool:
    """Whether the server, as it reported itself (PostgreSQL 14+), takes writes: neither a hot
    standby nor read-only by default. Older servers report neither: taken as writable."""
    reported = conn.get_settings()
    return "on" not in (
        getattr(reported, "in_hot_standby", "off"),
        getattr(reported, "default_transaction_read_only", "off"),
    )


async def _init_connection(conn: asyncpg.Connection) -> None:
    """Decode json and jsonb with orjson."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Skip asyncpg's per-release RESET ALL round trip.

    Safe because pooled connections never change session state: every query is one
    autocommit statement (no SET, LISTEN or temp tables). A transaction left open by a
    cancelled request is still rolled back: asyncpg does that before calling this.
    """


class _QuietFloor(logging.Filter):
    """Drop asyncpg's "Failed to restore the pool connection floor" warnings: each carries a
    traceback and comes every few seconds of an outage; DatabaseState logs one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other record."""
        return not str(record.msg).startswith("Failed to restore the pool connection floor")


def _quiet_asyncpg() -> None:
    """Install the filter on asyncpg's pool logger, once."""
    logger = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, _QuietFloor) for f in logger.filters):
        logger.addFilter(_QuietFloor())


def _observed(state: DatabaseState) -> Callable[..., Awaitable[asyncpg.Connection]]:
    """asyncpg.connect, telling `state` of each new connection and each failure to make one
    (the pool reconnects in the background too, where no caller sees the error)."""

    async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
        try:
            conn = await asyncpg.connect(*args, **kwargs)
        except Exception as exc:
            error = unavailable(exc)
            if error is not None:
                state.failed(error.cause, error.args[0])
            raise
        state.succeeded(writable(conn))
        return conn

    return connect


@asynccontextmanager
async def create_pool(
    dsn: str,
    min_size: int,
    max_size: int,
    wait_seconds: float,
    state: DatabaseState | None = None,
    statement_cache_size: int = 100,
) -> AsyncIterator[asyncpg.Pool]:
    """A connection pool whose connections speak orjson; closed on exit.

    `state` hears of every connection made or failed; `statement_cache_size` 0 turns off
    asyncpg's named prepared statements (for PgBouncer in transaction mode before 1.21).
    """
    _quiet_asyncpg()
    with translate_errors():
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=wait_seconds,
            command_timeout=wait_seconds,
            init=_init_connection,
            reset=_no_reset,
            connect=_observed(state or DatabaseState(1)),
            statement_cache_size=statement_cache_size,
            # JIT compiling costs more than these short statements ever run. Generic plans:
            # insert_comment's rules are guarded by parameters, so custom plans (planned on
            # every call, 0.5 ms) would keep winning PostgreSQL's estimate and never be reused.
            server_settings={"jit": "off", "plan_cache_mode": "force_generic_plan"},
        )
    try:
        yield pool
    finally:
        await asyncio.wait_for(pool.close(), wait_seconds)


class Store:
    """Named queries over a pool; every method filters by site."""

    def __init__(
        self, pool: asyncpg.Pool, timeout: float, state: DatabaseState | None = None
    ) -> None:
        self._pool = pool
        self._timeout = timeout
        self.state = state or DatabaseState(1)
        self._queries = sql.load_queries()
        # insert_comment with the history rules' locks: a function migrate() installs
        name = locked_insert_name(insert_text(self._queries))
        slots = ", ".join(f"${n}" for n in range(1, INSERT_PARAMS + 2))  # + the lock keys
        self._locked_insert = f"SELECT * FROM {name}({slots})"  # noqa: S608 - a hash, no input
        # Policy versions never change once written: each is validated once per process
        # (a 1,000-term list takes tens of milliseconds), not on every cache refresh.
        self._policies: dict[int, Policy] = {}

    def query(self, name: str) -> str:
        """The SQL of a named query."""
        return self._queries[name]

    @asynccontextmanager
    async def _connection(self, timeout: float | None = None) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; a failure a retry can outlast, getting it or using it, becomes
        DatabaseUnavailable carrying the Retry-After that DatabaseState derives."""
        wait = timeout or self._timeout
        try:
            conn = await self._pool.acquire(timeout=wait)
        except (asyncpg.PostgresError, *_UNAVAILABLE) as exc:
            raise self._failed(exc, acquiring=True) from None
        try:
            yield conn
        except _UNAVAILABLE as exc:
            error = self._failed(exc, acquiring=False)
            if error.cause == "read-only" and self.state.reresolve_due():
                # the next connections look for a writable host (target_session_attrs)
                await self._pool.expire_connections()
            raise error from None
        else:
            self.state.succeeded(writable(conn))
        finally:
            await self._pool.release(conn)

    def _failed(self, exc: BaseException, acquiring: bool) -> DatabaseUnavailable:
        """The domain error for a failure, told to DatabaseState. A timeout getting a
        connection is the pool exhausted (overload) unless the database is already down."""
        error = unavailable(exc) or DatabaseUnavailable(type(exc).__name__)
        if acquiring and isinstance(exc, TimeoutError) and self.state.down_since is not None:
            error.cause = "connection"
        error.retry_after = self.state.failed(error.cause, error.args[0])
        return error

    async def _fetch(self, name: str, *args: object) -> list[asyncpg.Record]:
        """Run a named query and return its rows."""
        with translate_errors():
            async with self._connection() as conn:
                rows: list[asyncpg.Record] = await conn.fetch(self.query(name), *args)
                return rows

    async def _fetchrow(self, name: str, *args: object) -> asyncpg.Record | None:
        """Run a named query and return its first row."""
        rows = await self._fetch(name, *args)
        return rows[0] if rows else None

    async def database_role(self, timeout: float | None = None) -> Literal["primary", "read-only"]:
        """Whether the server this pool reaches takes writes; DatabaseUnavailable when none
        answers within `timeout` (default the pool's)."""
        with translate_errors():
            async with self._connection(timeout) as conn:
                row = await conn.fetchrow(self.query("database_role"), timeout=timeout)
        assert row is not None
        return "read-only" if row["standby"] or row["read_only"] else "primary"

    async def create_site(self, slug: str, key_hash: bytes, policy: Policy) -> int:
        """Create a site with its first policy version; AlreadyExists when the slug is taken."""
        body = policy.model_dump(mode="json", exclude={"version"})
        row = await self._fetchrow("create_site", slug, key_hash, body)
        assert row is not None
        return int(row["id"])

    async def site_by_key(self, key_hash: bytes) -> Site | None:
        """The site a key belongs to, with its current policy."""
        return self._site(await self._fetchrow("site_by_key", key_hash))

    async def site_by_slug(self, slug: str) -> Site | None:
        """The site with this slug, with its current policy."""
        return self._site(await self._fetchrow("site_by_slug", slug))

    def _site(self, row: asyncpg.Record | None) -> Site | None:
        """A site row (with its latest policy) as a model."""
        if row is None:
            return None
        policy = self._policy(row["id"], row["policy_version"] or 0, row["policy"])
        return Site(id=row["id"], slug=row["slug"], policy=policy)

    def _policy(self, site_id: int, version: int, body: Mapping[str, Any] | None) -> Policy:
        """A site's policy at a version, validated once per process (the body may be None only
        when that version is the one held)."""
        policy = self._policies.get(site_id)
        if policy is None or policy.version != version:
            policy = Policy.model_validate({**(body or {}), "version": version}, context=STORED)
            if len(self._policies) >= 10_000:
                self._policies.clear()
            self._policies[site_id] = policy
        return policy

    async def create_user(self, site_id: int, username: str, role: Role, token_hash: bytes) -> int:
        """Create a staff member of a site; AlreadyExists when the name is taken there."""
        row = await self._fetchrow("create_user", site_id, username, role, token_hash)
        assert row is not None
        return int(row["id"])

    async def rotate_site_key(self, slug: str, key_hash: bytes, old_until: datetime) -> bool:
        """Give a site a new key, the old one valid until `old_until`; False if no such site."""
        return await self._fetchrow("rotate_site_key", slug, key_hash, old_until) is not None

    async def revoke_user(self, slug: str, username: str) -> bool:
        """Revoke a staff member's token and end their web sessions; False when there is no
        such active user."""
        return await self._fetchrow("revoke_user", slug, username) is not None

    async def restore_user(self, slug: str, username: str) -> bool:
        """Lift a staff member's revocation; False when there is no such revoked user."""
        return await self._fetchrow("restore_user", slug, username) is not None

    async def rotate_user_token(self, slug: str, username: str, token_hash: bytes) -> bool | None:
        """Give a staff member a new token, ending the web sessions the old one opened; None
        if unknown, else whether the user stays revoked (rotating never lifts that)."""
        row = await self._fetchrow("rotate_user_token", slug, username, token_hash)
        return bool(row["revoked"]) if row else None

    async def insert_comment(self, args: CommentRow) -> tuple[CommentOut, bool] | None:
        """Store a comment with its event and outbox row; None when the parent is unknown.

        With flood or duplicate rules on, the insert first waits for a transaction-level
        advisory lock on each key it counts (author, IP prefix, text fingerprint), inside one
        function call (install_locked_insert): its statement then sees every comment of that
        key committed before it, so concurrent posts cannot all pass one count. Either way it
        is one autocommit round trip.
        """
        with translate_errors():
            async with self._connection() as conn:
                row = await self.insert_on(conn, args)
        assert row is not None
        if row["flood"] is not None:
            raise Flooded(row["flood"], int(row["retry_after"]))
        if row["id"] is None:
            return None
        out = CommentOut.model_validate(_without(row, "inserted", "flood", "retry_after"))
        return out, bool(row["inserted"])

    async def insert_on(self, conn: asyncpg.Connection, args: CommentRow) -> asyncpg.Record | None:
        """insert_comment's statements on one connection (also timed by the benchmarks)."""
        keys = args.lock_keys()
        if not keys:
            return await conn.fetchrow(self.query("insert_comment"), *args.params())
        return await conn.fetchrow(self._locked_insert, *args.params(), keys)

    async def get_comment(self, site_id: int, comment_id: UUID) -> CommentView:
        """One comment of a site; NotFound otherwise."""
        row = await self._fetchrow("get_comment", site_id, comment_id)
        if row is None:
            raise NotFound("comment")
        return CommentView.model_validate(dict(row))

    async def thread_page(
        self, site_id: int, thread: str, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[PublicComment]:
        """Published comments of a thread after a cursor, oldest first."""
        at, last_id = after if after else (None, None)
        rows = await self._fetch("thread_page", site_id, thread, at, last_id, limit)
        return [PublicComment.model_validate(dict(r)) for r in rows]

    async def erase_author(self, site_id: int, email_hash: bytes) -> int:
        """Delete every comment (with events and outbox rows) of an author; how many."""
        row = await self._fetchrow("erase_author", site_id, email_hash)
        return int(row["erased"]) if row else 0

    async def staff_by_token(self, token_hash: bytes) -> Staff | None:
        """The staff member a personal token belongs to."""
        row = await self._fetchrow("staff_by_token", token_hash)
        return Staff.model_validate(dict(row)) if row else None

    async def queue_page(
        self, site_id: int, want: QueueFilter, after: tuple[Any, UUID] | None, limit: int
    ) -> list[QueueItem]:
        """A keyset page of a site's comments in one status, in the order asked."""
        at, last_id = after if after else (None, None)
        args = (site_id, want.status, at, last_id, limit, want.thread, want.reason)
        if want.sort == "oldest":
            rows = await self._fetch("queue_oldest", *args)
        else:
            rows = await self._fetch("queue_by_score", *args)
        return [QueueItem.model_validate(dict(r)) for r in rows]

    async def claim(self, site_id: int, staff: Staff, limit: int, lease: float) -> list[QueueItem]:
        """Lease up to `limit` unheld pending comments to a staff member, oldest first."""
        args = (site_id, staff.id, limit, lease, staff.username)
        rows = await self._fetch("claim_pending", *args)
        items = [QueueItem.model_validate(dict(r)) for r in rows]
        return sorted(items, key=lambda i: (i.created_at, i.id))

    async def release(self, staff: Staff, ids: list[UUID] | None) -> int:
        """Give back a staff member's claims (all, or those ids); how many were released."""
        row = await self._fetchrow("release_claims", staff.site_id, staff.id, ids)
        return int(row["released"]) if row else 0

    async def decide(
        self,
        by: Decider,
        ids: list[UUID],
        action: Action,
        status: str,
        note: str | None,
        model_version: str,
    ) -> dict[UUID, Outcome]:
        """Apply a decision to comments of the decider's site; the outcome of each one found."""
        args = (by.site_id, ids, by.user_id, status, by.actor, note, action, model_version)
        rows = await self._fetch("decide", *args)
        return {UUID(r["id"]): r["outcome"] for r in rows}

    async def audit_page(
        self, site_id: int, before: tuple[datetime, str, str] | None, limit: int
    ) -> list[AuditEntry]:
        """Decisions, policy versions and staff of a site, newest first, before a cursor."""
        at, kind, ref = before if before else (None, None, None)
        rows = await self._fetch("audit_page", site_id, at, kind, ref, limit)
        return [AuditEntry.model_validate(dict(r)) for r in rows]

    async def events(self, site_id: int, comment_id: UUID) -> list[Event]:
        """A comment's history, oldest first; NotFound when it has none in this site."""
        rows = await self._fetch("comment_events", site_id, comment_id)
        if not rows:
            raise NotFound("comment")
        return [Event.model_validate(dict(r)) for r in rows]

    async def lease_outbox(self, limit: int, lease: float) -> list[OutboxItem]:
        """Take up to `limit` due webhook events of any site for `lease` seconds."""
        rows = await self._fetch("outbox_lease", limit, lease)
        return [OutboxItem.model_validate(dict(r)) for r in rows]

    async def settle_outbox(
        self, item: OutboxItem, attempt: Attempt, retry_in: float, max_age: float
    ) -> str | None:
        """Record an attempt and the event's next state; None when the lease was lost."""
        args = (item.site_id, item.id, attempt.outcome, item.attempts, retry_in)
        log = (attempt.http_status, attempt.error, attempt.duration_ms, max_age)
        row = await self._fetchrow("outbox_settle", *args, *log)
        return str(row["outcome"]) if row else None

    async def webhook_secret(self, slug: str, replace_with: str | None) -> tuple[int, str]:
        """A site's (id, webhook signing secret), replaced first when a new one is given."""
        row = await self._fetchrow("webhook_secret", slug, replace_with)
        if row is None:
            raise NotFound(f"no site {slug!r}")
        return int(row["id"]), str(row["webhook_secret"])

    async def site_webhook_networks(self, site_id: int) -> tuple[Network, ...]:
        """The networks the operator allowed this site's webhooks to reach."""
        row = await self._fetchrow("site_webhook_networks", site_id)
        return tuple(row["webhook_networks"]) if row else ()

    async def set_site_webhook_networks(
        self, slug: str, clear: bool, add: Sequence[Network]
    ) -> tuple[Network, ...]:
        """Empty (when clear) then extend a site's webhook networks; the list now held."""
        row = await self._fetchrow("set_site_webhook_networks", slug, clear, list(add))
        if row is None:
            raise NotFound(f"no site {slug!r}")
        return tuple(row["webhook_networks"])

    async def set_webhook_url(self, site_id: int, url: str, by: str) -> int:
        """Write a policy version with a new webhook_url; the version number."""
        row = await self._fetchrow("set_webhook_url", site_id, url, by)
        assert row is not None
        return int(row["version"])

    async def current_policy(self, site_id: int) -> Policy:
        """A site's latest policy: its version read now, its body validated once per version."""
        held = self._policies.get(site_id)
        row = await self._fetchrow("policy_current", site_id, held.version if held else None)
        if row is not None and row["body"] is None and self._policies.get(site_id) is not held:
            row = await self._fetchrow("policy_current", site_id, None)  # replaced meanwhile
        if row is None:
            raise NotFound("policy")
        return self._policy(site_id, row["version"], row["body"])

    async def save_policy(
        self, site_id: int, version: int, policy: Policy, changes: Mapping[str, object], actor: str
    ) -> int | None:
        """Store a policy as the version after `version`; its number, None when stale."""
        body = policy.model_dump(mode="json", exclude={"version"})
        row = await self._fetchrow("policy_save", site_id, version, body, actor, changes)
        return int(row["version"]) if row else None

    async def preview_rows(self, site_id: int, limit: int) -> list[dict[str, Any]]:
        """A site's most recent comments with their stored scores, signals and statuses."""
        return [dict(r) for r in await self._fetch("policy_preview_rows", site_id, limit)]

    async def stats(self, site_id: int, since: datetime, time_zone: str) -> dict[str, Any]:
        """Volumes, queue and moderators' outcomes of a site's comments since a time."""
        row = await self._fetchrow("site_stats", site_id, since, time_zone)
        assert row is not None
        return dict(row)

    async def staff_for_login(self, slug: str, username: str) -> LoginCandidate | None:
        """An active staff member of a site by name, with their password hash."""
        row = await self._fetchrow("staff_for_login", slug, username)
        if row is None:
            return None
        staff = Staff.model_validate(_without(row, "password_hash"))
        return LoginCandidate(staff=staff, password_hash=row["password_hash"])

    async def set_password(self, slug: str, username: str, password_hash: str) -> bool:
        """Set a staff member's password hash, ending their sessions; False if unknown."""
        return await self._fetchrow("set_password", slug, username, password_hash) is not None

    async def create_session(
        self, id_hash: bytes, staff: Staff, seconds: float, token_hash: bytes | None
    ) -> datetime | None:
        """Open a web session for a staff member, by password or by the token with this hash;
        when it expires, None when the user was revoked or the token replaced meanwhile."""
        args = (id_hash, staff.site_id, staff.id, seconds, token_hash)
        row = await self._fetchrow("session_create", *args)
        return row["expires_at"] if row else None

    async def session_staff(self, id_hash: bytes) -> Staff | None:
        """The staff member of a live session."""
        row = await self._fetchrow("session_staff", id_hash)
        return Staff.model_validate(dict(row)) if row else None

    async def end_session(self, site_id: int, id_hash: bytes) -> None:
        """Delete a web session (logout)."""
        await self._fetch("session_delete", site_id, id_hash)

    async def login_attempt(
        self, site_id: int | None, account: bytes, address: bytes, window: float
    ) -> tuple[int, LoginFailures]:
        """Record an attempt as a failure first, then count the account's and the address's
        failures in the window (this one and every concurrent one included)."""
        row = await self._fetchrow("login_attempt", site_id, account, address, window)
        assert row is not None
        counts = await self._fetchrow("login_failures_count", account, address, window)
        assert counts is not None
        return row["id"], LoginFailures.model_validate(dict(counts))

    async def drop_login_attempt(self, site_id: int | None, attempt: int) -> None:
        """Forget an attempt that was refused before its credentials were checked."""
        await self._fetch("login_attempt_drop", site_id, attempt)

    async def clear_login_failures(self, site_id: int, account: bytes) -> None:
        """Forget an account's failed logins after a successful one."""
        await self._fetch("login_failures_clear", site_id, account)

    async def queue_item(self, site_id: int, comment_id: UUID) -> QueueItem:
        """One comment of a site as a moderator reviews it; NotFound otherwise."""
        row = await self._fetchrow("queue_item", site_id, comment_id)
        if row is None:
            raise NotFound("comment")
        return QueueItem.model_validate(dict(row))

    async def thread_context(self, site_id: int, thread: str, limit: int) -> list[ThreadComment]:
        """The latest comments of a thread, in any status."""
        rows = await self._fetch("thread_context", site_id, thread, limit)
        return [ThreadComment.model_validate(dict(r)) for r in rows]

    async def undo_decision(
        self, staff: Staff, comment_id: UUID, lease: float, model_version: str
    ) -> bool:
        """Put a comment back to pending, claimed by whoever made its last decision."""
        args = (staff.site_id, comment_id, staff.id, staff.username, lease, model_version)
        return await self._fetchrow("undo_decision", *args) is not None

    async def staff_list(self, site_id: int) -> list[StaffRow]:
        """A site's staff, owners first."""
        return [StaffRow.model_validate(dict(r)) for r in await self._fetch("staff_list", site_id)]

    async def label_sites(self, slug: str | None) -> list[tuple[int, str]]:
        """(id, slug) of every site, or of the one named."""
        return [(int(r["id"]), str(r["slug"])) for r in await self._fetch("label_sites", slug)]

    async def decided(self, site_id: int, since: datetime | None) -> list[dict[str, Any]]:
        """Body, action and time of the latest decision on each decided comment of a site."""
        return [dict(r) for r in await self._fetch("export_labels", site_id, since)]

    async def notify(self, channel: str, payload: str) -> None:
        """Send a notification to every connection listening on `channel`."""
        await self._fetch("notify", channel, payload)


class CommentRow:
    """Parameters of insert_comment, in the order the query numbers them."""

    def __init__(
        self,
        site: Site,
        comment: ProtectedComment,
        scores: Mapping[str, float],
        decision: Decision,
        signals: Signals,
        model_version: str,
        fingerprint: bytes | None = None,
    ) -> None:
        self.fingerprint = fingerprint
        self.site = site
        self.comment = comment
        self.scores = dict(scores)
        self.decision = decision
        self.signals = signals
        self.model_version = model_version

    def lock_keys(self) -> list[int]:
        """Advisory lock keys (sorted, so that two inserts never wait on each other in a
        cycle) of what the enabled flood and duplicate rules count; none when they are off."""
        c, p = self.comment, self.site.policy
        counted = []
        if p.flood.per_author is not None:
            counted.append(b"author\0" + c.email_hash)
        if p.flood.per_ip is not None and c.ip_prefix:
            counted.append(b"ip\0" + c.ip_prefix.encode())
        if p.duplicates.max_copies is not None and self.fingerprint is not None:
            counted.append(b"copy\0" + self.fingerprint)
        site = self.site.id.to_bytes(8, "big")
        return sorted(
            int.from_bytes(hashlib.blake2b(site + key, digest_size=8).digest(), "big", signed=True)
            for key in counted
        )

    def params(self) -> tuple[Any, ...]:
        """Positional parameters $1..$31."""
        c, p = self.comment, self.site.policy
        dup, flood = p.duplicates, p.flood
        return (
            self.site.id, c.thread, c.parent_id, c.name, c.email_hash, c.email_domain,
            c.email_masked, c.ip_prefix, c.user_agent, c.author_url, c.permalink, c.body,
            c.public_body,
            self.decision.status, self.scores, list(self.decision.reasons),
            self.signals.model_dump(mode="json"), self.model_version, self.site.policy.version,
            c.idempotency_key, c.form_shown_at,
            self.fingerprint, dup.max_copies, float(dup.window_seconds),
            "spam" if dup.action == "spam" else "pending",
            float(flood.window_seconds), flood.per_author, flood.per_ip,
            p.premoderate_new_authors, p.trust_approved_authors, p.webhook_url is not None,
        )  # fmt: skip


def _without(row: asyncpg.Record, *keys: str) -> dict[str, Any]:
    """A record as a dict minus some keys."""
    return {k: v for k, v in row.items() if k not in keys}


def _site(row: asyncpg.Record | None) -> Site | None:
    """A site row (with its latest policy) as a model."""
    if row is None:
        return None
    body = dict(row["policy"] or {})
    policy = Policy.model_validate({**body, "version": row["policy_version"] or 0}, context=STORED)
    return Site(id=row["id"], slug=row["slug"], policy=policy)


@asynccontextmanager
async def listening(
    dsn: str, channel: str, on_message: Callable[[str], None], on_lost: Callable[[], None]
) -> AsyncIterator[None]:
    """A connection of its own (pooled ones never LISTEN) calling on_message(payload) for
    each notification on `channel`, and on_lost() if the connection drops."""
    with translate_errors():
        conn = await asyncpg.connect(dsn)
    try:
        conn.add_termination_listener(lambda _conn: on_lost())
        with translate_errors():
            await conn.add_listener(channel, lambda _c, _pid, _ch, payload: on_message(payload))
        yield
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            await asyncio.wait_for(conn.close(), 5)


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Apply pending migrations in one transaction under an advisory lock; versions applied."""
    queries = sql.load_queries()
    applied: list[int] = []
    with translate_errors():
        if await _up_to_date(conn, queries):
            return applied  # no write at all: a host can start on a read-only server
        async with conn.transaction():
            await conn.execute(queries["migration_lock"])
            await conn.execute(queries["migration_table"])
            done = {r["version"] for r in await conn.fetch(queries["applied_migrations"])}
            for migration in sql.load_migrations():
                if migration.version not in done:
                    await conn.execute(migration.sql)
                    await conn.execute(queries["record_migration"], *migration[:2])
                    applied.append(migration.version)
            await install_locked_insert(conn, queries)
    return applied


async def _up_to_date(conn: asyncpg.Connection, queries: Mapping[str, str]) -> bool:
    """Every shipped migration applied and this version's locked insert installed (reads only)."""
    if not await conn.fetchval(queries["migrations_table_exists"]):
        return False
    done = {r["version"] for r in await conn.fetch(queries["applied_migrations"])}
    shipped = {m.version for m in sql.load_migrations()}
    name = locked_insert_name(insert_text(queries))
    return shipped <= done and bool(await conn.fetchval(queries["function_exists"], name))


LOCKED_INSERT = "moderation_insert_comment_"


def locked_insert_name(query: str) -> str:
    """The function running this text of insert_comment under the history rules' locks: named
    by a hash of the text, so hosts running different versions each find their own."""
    return LOCKED_INSERT + hashlib.sha256(query.encode()).hexdigest()[:16]


async def install_locked_insert(conn: asyncpg.Connection, queries: Mapping[str, str]) -> None:
    """Create (if missing) the PL/pgSQL function that takes the advisory locks ($32) and then
    runs insert_comment: one round trip, and, as each statement of a volatile function takes a
    new snapshot, the insert sees every comment committed before its locks were granted.
    Parameter and column types are the statement's own, as PostgreSQL infers them."""
    query = insert_text(queries)
    name = locked_insert_name(query)
    if await conn.fetchval(queries["function_exists"], name):
        return  # named by its text's hash: the same text, the same function
    statement = await conn.prepare(query)
    oids = [t.oid for t in statement.get_parameters()]
    oids += [a.type.oid for a in statement.get_attributes()]
    types = [r["name"] for r in await conn.fetch(queries["type_names"], oids)]
    params = types[: len(statement.get_parameters())]
    columns = zip((a.name for a in statement.get_attributes()), types[len(params) :], strict=True)
    await conn.execute(
        f"CREATE FUNCTION {name}({', '.join(params)}, bigint[])\n"
        f"RETURNS TABLE ({', '.join(f'{c} {t}' for c, t in columns)})\n"
        "LANGUAGE plpgsql VOLATILE AS $body$\n#variable_conflict use_column\nBEGIN\n"
        f"    PERFORM pg_advisory_xact_lock(k) FROM unnest(${len(params) + 1}) AS k;\n"
        f"    RETURN QUERY {query};\nEND\n$body$"
    )


def insert_text(queries: Mapping[str, str]) -> str:
    """insert_comment as a function body holds it (no final semicolon)."""
    return queries["insert_comment"].strip().rstrip(";")


async def migrate_dsn(dsn: str) -> list[int]:
    """Connect, migrate, disconnect."""
    with translate_errors():
        conn = await asyncpg.connect(dsn)
    try:
        return await migrate(conn)
    finally:
        await conn.close()
