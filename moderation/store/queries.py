"""The Store: every named query of sql/queries.sql as a method; every method filters by site."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from moderation.domain.credentials import hash_key, new_key
from moderation.domain.desk import (
    AuthorCounts,
    AuthorOut,
    AuthorRule,
    AuthorRuleEvent,
    AuthorRuleState,
    Search,
    like_pattern,
    undecorated,
)
from moderation.domain.errors import DatabaseUnavailable, Flooded, NotFound, ReportsFlooded
from moderation.domain.models import (
    STORED,
    CommentOut,
    CommentView,
    Policy,
    PublicComment,
    ReportOut,
    Role,
    Site,
)
from moderation.domain.outbox import Attempt, OutboxItem
from moderation.domain.pages import (
    LinkState,
    LoginCandidate,
    LoginFailures,
    QueueCounts,
    StaffRow,
    ThreadChoice,
    ThreadComment,
)
from moderation.domain.review import (
    Action,
    AuditEntry,
    Decider,
    Event,
    Outcome,
    QueueFilter,
    QueueItem,
    Staff,
)
from moderation.domain.site_models import AdapterVersion, NewAdapter
from moderation.domain.targets import Network
from moderation.store import sqlfiles as sql
from moderation.store.batches import GroupCommit, Waiting
from moderation.store.dbstate import DatabaseState
from moderation.store.migrations import (
    batch_insert_name,
    batch_text,
    insert_text,
    locked_insert_name,
)
from moderation.store.pool import UNAVAILABLE, translate_errors, unavailable, writable
from moderation.store.rows import BATCH_PARAMS, INSERT_PARAMS, CommentRow, without

STATUSES = ("published", "pending", "rejected", "spam")


class Store:
    """Named queries over a pool; every method filters by site."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        timeout: float,
        state: DatabaseState | None = None,
        intake_statements: int = 1,
    ) -> None:
        self._pool = pool
        self._timeout = timeout
        self.state = state or DatabaseState(1)
        self._queries = sql.load_queries()
        # insert_comment with the history rules' locks: a function migrate() installs
        name = locked_insert_name(insert_text(self._queries))
        slots = ", ".join(f"${n}" for n in range(1, INSERT_PARAMS + 2))  # + the lock keys
        self._locked_insert = f"SELECT * FROM {name}({slots})"  # noqa: S608 - a hash, no input
        # insert_comments under try-locks (install_batch_insert), for batches counting keys
        name = batch_insert_name(batch_text(self._queries))
        slots = ", ".join(f"${n}" for n in range(1, BATCH_PARAMS + 1))
        self._locked_batch = f"SELECT * FROM {name}({slots})"  # noqa: S608 - a hash, no input
        self.batches = GroupCommit(self._insert_one, self._insert_many, flushes=intake_statements)
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
        except (asyncpg.PostgresError, *UNAVAILABLE) as exc:
            raise self._failed(exc, acquiring=True) from None
        try:
            yield conn
        except UNAVAILABLE as exc:
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
        return Site(id=row["id"], slug=row["slug"], policy=policy, adapter=row["adapter"])

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
        """Store a comment with its event and outbox row (and its thread's title and address
        when sent); None when the parent is unknown.

        Alone, or with the comments this process has waiting for the same site and policy
        version in one statement (GroupCommit); answered only once its transaction committed.
        With flood or duplicate rules on, the insert first takes a transaction-level advisory
        lock on each key it counts (author, IP prefix, text fingerprint) inside one function
        call (install_locked_insert, install_batch_insert): its statement then sees every
        comment of that key committed before it, so concurrent posts cannot all pass one count.
        """
        row = await self.batches.store(args)
        if row["flood"] is not None:
            raise Flooded(row["flood"], int(row["retry_after"]))
        if row["id"] is None:
            return None
        out = CommentOut.model_validate(
            without(row, "inserted", "flood", "retry_after", "n", "deferred")
        )
        return out, bool(row["inserted"])

    async def _insert_one(self, args: CommentRow) -> asyncpg.Record:
        """insert_comment for one comment, in a round trip of its own."""
        with translate_errors():
            async with self._connection() as conn:
                row = await self.insert_on(conn, args)
        assert row is not None
        return row

    async def _insert_many(self, batch: Sequence[Waiting]) -> list[asyncpg.Record]:
        """insert_comments for a batch: one statement, one transaction; rows in batch order."""
        with translate_errors():
            async with self._connection() as conn:
                rows = await self.insert_many_on(conn, batch)
        return sorted(rows, key=lambda r: int(r["n"]))

    async def insert_many_on(
        self, conn: asyncpg.Connection, batch: Sequence[Waiting]
    ) -> list[asyncpg.Record]:
        """insert_comments' statement on one connection (also timed by the benchmarks)."""
        first = batch[0].row
        columns = list(zip(*(w.row.batch_values(w.id) for w in batch), strict=True))
        keys = [k for w in batch for k in w.keys]
        owners = [n for n, w in enumerate(batch, 1) for _ in w.keys]
        args = (first.site.id, first.site.policy.version, *columns, *first.batch_policy())
        query = self.query("insert_comments") if not keys else self._locked_batch
        rows: list[asyncpg.Record] = await conn.fetch(query, *args, keys, owners)
        return rows

    async def insert_on(self, conn: asyncpg.Connection, args: CommentRow) -> asyncpg.Record | None:
        """insert_comment's statements on one connection (also timed by the benchmarks)."""
        keys = args.lock_keys()
        if not keys:
            return await conn.fetchrow(self.query("insert_comment"), *args.params())
        return await conn.fetchrow(self._locked_insert, *args.params(), keys)

    async def report_comment(
        self,
        site_id: int,
        comment_id: UUID,
        reason: str,
        reader: bytes | None,
        threshold: int,
        per_hour: int,
    ) -> ReportOut:
        """Count a reader's report (once per reader and comment); hold the comment when its
        reports reach the threshold; NotFound, or ReportsFlooded past `per_hour`."""
        args = (site_id, comment_id, reason, reader, threshold, per_hour)
        row = await self._fetchrow("report_comment", *args)
        if row is None:
            raise NotFound("comment")
        if row["limited"] and not row["counted"]:
            raise ReportsFlooded("reader", 3600)
        return ReportOut.model_validate(dict(row))

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

    # Per-author view and rules, search, redaction (issue 19)

    async def author(self, site_id: int, email_hash: bytes) -> AuthorOut:
        """An author of a site with their counts and rule; NotFound without a comment here."""
        row = await self._fetchrow("author_summary", site_id, email_hash)
        if row is None:
            raise NotFound("author")
        rule = None
        if row["rule"] is not None:
            rule = AuthorRuleState(
                rule=row["rule"], set_by=row["set_by"], set_at=row["set_at"], note=row["note"]
            )
        return AuthorOut(
            id=email_hash.hex(), name=row["name"], names=list(row["names"]),
            counts=AuthorCounts.model_validate({s: row[s] for s in STATUSES}),
            first_at=row["first_at"], last_at=row["last_at"], rule=rule,
        )  # fmt: skip

    async def author_comments(
        self, site_id: int, email_hash: bytes, before: tuple[datetime, UUID] | None, limit: int
    ) -> list[QueueItem]:
        """A page of an author's comments in any status, newest first, before a position."""
        at, last_id = before if before else (None, None)
        rows = await self._fetch("author_comments", site_id, email_hash, at, last_id, limit)
        return [QueueItem.model_validate(dict(r)) for r in rows]

    async def set_author_rule(
        self,
        site_id: int,
        email_hash: bytes,
        rule: AuthorRule | None,
        actor: str,
        note: str | None,
    ) -> AuthorRule | None:
        """Set or lift an author's rule (an event when it changes); the rule before. NotFound
        when the author has no comment on the site."""
        row = await self._fetchrow("author_rule_set", site_id, email_hash, rule, actor, note)
        if row is None or not row["ok"]:
            raise NotFound("author")
        previous: AuthorRule | None = row["previous"]
        return previous

    async def author_rule_history(
        self, site_id: int, email_hash: bytes, limit: int
    ) -> list[AuthorRuleEvent]:
        """The changes of an author's rule, newest first."""
        rows = await self._fetch("author_rule_history", site_id, email_hash, limit)
        return [AuthorRuleEvent.model_validate(dict(r)) for r in rows]

    async def with_authors(self, site_id: int, items: list[QueueItem]) -> list[QueueItem]:
        """The items with their author's id and rule, and whether their public copy was edited."""
        if not items:
            return items
        rows = await self._fetch("item_authors", site_id, [UUID(i.id) for i in items])
        found = {r["id"]: without(r, "id") for r in rows}
        return [i.model_copy(update=found.get(i.id, {})) for i in items]

    async def search(
        self,
        site_id: int,
        want: Search,
        span: tuple[datetime | None, datetime | None],
        before: tuple[datetime, UUID] | None,
        limit: int,
        scan: int,
    ) -> tuple[list[QueueItem], tuple[datetime, UUID] | None]:
        """Up to limit + 1 matching comments, newest first, among at most `scan` rows before a
        position; with where that walk stopped when it used its whole bound."""
        at, last_id = before if before else (None, None)
        text = like_pattern(want.text) if want.text else None
        name = like_pattern(want.name) if want.name else None
        args = (
            site_id, want.status, want.thread, span[0], span[1], at, last_id, text, name, scan,
            limit + 1, want.reason, undecorated(want.text or ""), undecorated(want.name or ""),
        )  # fmt: skip
        rows = await self._fetch("queue_search", *args)
        items = [
            QueueItem.model_validate(without(r, "scan_at", "scan_id", "scan_full"))
            for r in rows
            if r["id"] is not None
        ]
        stop = rows[0] if rows else None
        walked = None
        if stop is not None and stop["scan_full"]:
            walked = (stop["scan_at"], UUID(stop["scan_id"]))
        return items, walked

    async def redact(
        self, staff: Staff, comment_id: UUID, public_body: str, note: str | None
    ) -> Literal["changed", "unchanged", "conflict"]:
        """Replace a comment's public copy (the original stays, the edit is kept); NotFound."""
        args = (staff.site_id, comment_id, staff.id, staff.username, public_body, note)
        row = await self._fetchrow("redact_comment", *args)
        if row is None:
            raise NotFound("comment")
        outcome: Literal["changed", "unchanged", "conflict"] = row["outcome"]
        return outcome

    async def staff_by_token(self, token_hash: bytes) -> Staff | None:
        """The staff member a personal token belongs to."""
        row = await self._fetchrow("staff_by_token", token_hash)
        return Staff.model_validate(dict(row)) if row else None

    async def queue_page(
        self, site_id: int, want: QueueFilter, after: tuple[Any, UUID] | None, limit: int
    ) -> list[QueueItem]:
        """A keyset page of a site's comments in one status, in the order asked."""
        at, last_id = after if after else (None, None)
        if want.order == "reports":
            found = await self._fetch("queue_reported", site_id, at, last_id, limit, want.thread)
            return [QueueItem.model_validate(dict(r)) for r in found]
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
        with translate_errors():
            async with self._connection() as conn, conn.transaction():
                # the rows locked first, in a statement of their own: decide's snapshot is
                # then taken after any decision that held them committed, so it sees that
                # decision's event (a repeat of it records nothing)
                await conn.execute(self.query("lock_comments"), by.site_id, ids)
                rows = await conn.fetch(self.query("decide"), *args)
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
        staff = Staff.model_validate(without(row, "password_hash"))
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

    async def adapter_training(self, site_id: int) -> list[tuple[str, Action, str]]:
        """(body, action, actor) of the latest decision on each decided comment of a site."""
        rows = await self._fetch("adapter_training", site_id)
        return [(r["body"], r["action"], r["actor"]) for r in rows]

    @asynccontextmanager
    async def adapter_lock(self, site_id: int) -> AsyncIterator[bool]:
        """Try the site's training lock (across processes and hosts); whether it was got."""
        async with self._connection() as conn:
            got = bool(await conn.fetchval(self.query("adapter_lock"), site_id))
            try:
                yield got
            finally:
                if got:
                    await conn.fetchval(self.query("adapter_unlock"), site_id)

    async def insert_adapter(self, site_id: int, new: NewAdapter) -> tuple[int, datetime]:
        """Store a site's next adapter version (current when adopted); (version, time)."""
        args = (
            site_id, new.decisions, new.actor, new.base_version, new.digest, new.arrays,
            new.figures, new.adopted,
        )  # fmt: skip
        row = await self._fetchrow("adapter_insert", *args)
        assert row is not None
        return int(row["version"]), row["created_at"]

    async def adapter_blob(self, site_id: int, version: int) -> bytes | None:
        """The stored arrays of one adapter version of a site."""
        row = await self._fetchrow("adapter_blob", site_id, version)
        return None if row is None else bytes(row["arrays"])

    async def adapter_state(self, site_id: int) -> dict[str, Any]:
        """The site's adapter pointers and how many decisions came since its last training."""
        row = await self._fetchrow("adapter_state", site_id)
        if row is None:
            raise NotFound("site")
        return dict(row)

    async def adapter_history(self, site_id: int, limit: int) -> list[AdapterVersion]:
        """The site's adapter versions, newest first."""
        rows = await self._fetch("adapter_history", site_id, limit)
        return [AdapterVersion.model_validate(dict(r)) for r in rows]

    async def choose_adapter(
        self, site_id: int, pinned: int | None, enabled: bool, actor: str
    ) -> bool:
        """Pin a version (or follow the latest), switch on or off; False: no such version."""
        return await self._fetchrow("adapter_choose", site_id, pinned, enabled, actor) is not None

    async def adapter_due_sites(self, decisions: int, seconds: float) -> list[int]:
        """Sites due for background training."""
        return [int(r["id"]) for r in await self._fetch("adapter_due_sites", decisions, seconds)]

    async def queue_counts(
        self, site_id: int, cap: int, since: datetime | None, want: QueueFilter
    ) -> QueueCounts:
        """Comments per status and reported (each up to `cap`), and how many matching the
        page's filters came after `since`."""
        reported = want.order == "reports"
        args = (site_id, cap, since, want.status, want.thread, want.reason, reported)
        row = await self._fetchrow("queue_counts", *args)
        assert row is not None
        return QueueCounts.model_validate(dict(row))

    async def thread_choices(self, site_id: int, limit: int) -> list[ThreadChoice]:
        """Articles for the thread filter: those with pending comments, then recent ones."""
        rows = await self._fetch("thread_choices", site_id, limit)
        return [ThreadChoice.model_validate(dict(r)) for r in rows]

    async def invite_staff(
        self,
        site_id: int,
        username: str,
        role: Role,
        actor: str,
        password_hash: str | None,
        link: tuple[bytes, float] | None,
    ) -> datetime | None:
        """Add a staff member with a password or a one-time link (hash, seconds valid), and
        the audit event; the link's expiry. AlreadyExists when the name is taken."""
        link_hash, seconds = link if link else (None, 0.0)
        unusable = hash_key(new_key("mt"))  # a token nobody holds: they use a password
        args = (site_id, username, role, actor, unusable, password_hash, link_hash, seconds)
        row = await self._fetchrow("staff_invite", *args)
        assert row is not None
        expires: datetime | None = row["expires_at"]
        return expires

    async def revoke_staff(self, site_id: int, username: str, actor: str) -> bool:
        """Revoke a staff member (sessions end, claims go back), audited; False when there
        is no such active user."""
        return await self._fetchrow("staff_revoke", site_id, username, actor) is not None

    async def restore_staff(self, site_id: int, username: str, actor: str) -> bool:
        """Lift a revocation, audited; False when there is no such revoked user."""
        return await self._fetchrow("staff_restore", site_id, username, actor) is not None

    async def reset_staff(
        self, site_id: int, username: str, actor: str, link_hash: bytes, seconds: float
    ) -> datetime | None:
        """Clear an active staff member's password, end their sessions, make a new one-time
        link, audited; its expiry, None when there is no such active user."""
        row = await self._fetchrow("staff_reset", site_id, username, actor, link_hash, seconds)
        return row["expires_at"] if row else None

    async def staff_link(self, link_hash: bytes) -> LinkState | None:
        """A one-time link that still works, by its hash."""
        row = await self._fetchrow("staff_link", link_hash)
        return LinkState.model_validate(dict(row)) if row else None

    async def use_staff_link(self, link_hash: bytes, password_hash: str) -> Staff | None:
        """Set a password through a one-time link, once; the staff member, None when the link
        is used, expired or its user revoked."""
        row = await self._fetchrow("staff_link_use", link_hash, password_hash)
        return Staff.model_validate(dict(row)) if row else None
