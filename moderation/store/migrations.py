"""Migrations from sql/migrations, applied in order under a lock, and the locked insert."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import asyncpg

from moderation.store import sqlfiles as sql
from moderation.store.pool import translate_errors


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
            await install_batch_insert(conn, queries)
    return applied


async def _up_to_date(conn: asyncpg.Connection, queries: Mapping[str, str]) -> bool:
    """Every shipped migration applied and this version's locked insert installed (reads only)."""
    if not await conn.fetchval(queries["migrations_table_exists"]):
        return False
    done = {r["version"] for r in await conn.fetch(queries["applied_migrations"])}
    shipped = {m.version for m in sql.load_migrations()}
    names = (locked_insert_name(insert_text(queries)), batch_insert_name(batch_text(queries)))
    installed = [await conn.fetchval(queries["function_exists"], name) for name in names]
    return shipped <= done and all(installed)


LOCKED_INSERT = "moderation_insert_comment_"


def locked_insert_name(query: str) -> str:
    """The function running this text of insert_comment under the history rules' locks: named
    by a hash of the text, so hosts running different versions each find their own."""
    return LOCKED_INSERT + hashlib.sha256(query.encode()).hexdigest()[:16]


async def install_locked_insert(conn: asyncpg.Connection, queries: Mapping[str, str]) -> None:
    """Create (if missing) the PL/pgSQL function that takes the advisory locks (its last
    parameter) and then runs insert_comment: one round trip, and, as each statement of a
    volatile function takes a new snapshot, the insert sees every comment committed before its
    locks were granted. Parameter and column types are the statement's own, as PostgreSQL
    infers them."""
    query = insert_text(queries)
    await _install(
        conn, queries, locked_insert_name(query), query, ["bigint[]"],
        "PERFORM pg_advisory_xact_lock(k) FROM unnest(${keys}) AS k;",
    )  # fmt: skip


async def install_batch_insert(conn: asyncpg.Connection, queries: Mapping[str, str]) -> None:
    """Create (if missing) the function running insert_comments under try-locks: it tries each
    advisory key ($36, with its row's ordinal in $37), keeps in $37 the rows of the keys it
    could not get (the statement defers them), then runs the statement with a new snapshot
    that sees every comment committed before the locks it got were granted."""
    query = batch_text(queries)
    await _install(conn, queries, batch_insert_name(query), query, [], TRY_LOCKS)


async def _install(
    conn: asyncpg.Connection,
    queries: Mapping[str, str],
    name: str,
    query: str,
    extra: list[str],
    prelude: str,
) -> None:
    """CREATE FUNCTION name(the query's parameters, *extra) running `prelude` then the query
    (${keys} in the prelude: the first extra parameter)."""
    if await conn.fetchval(queries["function_exists"], name):
        return  # named by its text's hash: the same text, the same function
    statement = await conn.prepare(query)
    oids = [t.oid for t in statement.get_parameters()]
    oids += [a.type.oid for a in statement.get_attributes()]
    types = [r["name"] for r in await conn.fetch(queries["type_names"], oids)]
    params = types[: len(statement.get_parameters())]
    columns = zip((a.name for a in statement.get_attributes()), types[len(params) :], strict=True)
    prelude = prelude.replace("${keys}", f"${len(params) + 1}")
    await conn.execute(
        f"CREATE FUNCTION {name}({', '.join(params + extra)})\n"
        f"RETURNS TABLE ({', '.join(f'{c} {t}' for c, t in columns)})\n"
        "LANGUAGE plpgsql VOLATILE AS $body$\n#variable_conflict use_column\nBEGIN\n"
        f"    {prelude}\n    RETURN QUERY {query};\nEND\n$body$"
    )


BATCH_INSERT = "moderation_insert_comments_"
TRY_LOCKS = (
    "$37 := ARRAY(SELECT DISTINCT l.n FROM unnest($36, $37) AS l (k, n)"
    " WHERE NOT pg_try_advisory_xact_lock(l.k));"
)


def batch_insert_name(query: str) -> str:
    """The function running this text of insert_comments under these try-locks (by a hash
    of both)."""
    return BATCH_INSERT + hashlib.sha256((TRY_LOCKS + query).encode()).hexdigest()[:16]


def batch_text(queries: Mapping[str, str]) -> str:
    """insert_comments as a function body holds it (no final semicolon)."""
    return queries["insert_comments"].strip().rstrip(";")


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
