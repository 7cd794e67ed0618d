"""The pool's connections come back clean: no transaction left open by a cancelled request."""

from __future__ import annotations

from moderation.store import create_pool


async def test_a_transaction_left_open_is_rolled_back_on_release(dsn: str) -> None:
    async with create_pool(dsn, 1, 1, 5) as pool:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("SELECT pg_advisory_xact_lock(42)")
            backend = await conn.fetchval("SELECT pg_backend_pid()")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") == backend  # the same one
            assert not conn.is_in_transaction()
            held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = $1"
            assert await conn.fetchval(held, backend) == 0


async def test_statement_cache_size_zero_leaves_no_prepared_statements(dsn: str) -> None:
    """What PgBouncer in transaction mode (before 1.21) needs: no named statements kept on a
    server connection that the next transaction may not get."""
    count = "SELECT count(*) FROM pg_prepared_statements"
    async with create_pool(dsn, 1, 1, 5, statement_cache_size=0) as pool, pool.acquire() as conn:
        await conn.fetchval("SELECT $1::int", 1)
        assert await conn.fetchval(count) == 0
    async with create_pool(dsn, 1, 1, 5) as pool, pool.acquire() as conn:
        await conn.fetchval("SELECT $1::int", 1)
        assert await conn.fetchval(count) > 0
