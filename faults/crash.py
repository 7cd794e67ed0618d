"""Crash test: kill -9 service processes under load; every acknowledged comment must be stored
and its webhook event delivered.

    python -m faults.crash [--seconds 40] [--kills 6] [--workers 2] [--concurrency 32]

Uses DATABASE_URL (default the local server) to create a throw-away database. Alternates
between killing one worker (the server starts a new one) and killing the whole service at once
(restarted here, as a supervisor would). Clients retry what was not acknowledged with the same
idempotency key, so the check also covers duplicates from retries. Exit status 1 on any loss.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import time

from faults.common import (
    Ledger,
    Receiver,
    Service,
    delivered,
    drop_database,
    fresh_database,
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


async def killer(service: Service, kills: int, interval: float, log: list[str]) -> list[float]:
    """Kill a worker or the whole service every `interval` seconds; recovery times."""
    recoveries: list[float] = []
    for n in range(kills):
        await asyncio.sleep(interval * random.uniform(0.6, 1.4))
        workers = service.worker_pids()
        if n % 2 == 0 and service.workers > 1 and workers:
            os.kill(random.choice(workers), signal.SIGKILL)
            log.append("worker")
            recoveries.append(await service.wait_workers())
        else:
            service.kill_all()
            log.append("service")
            started = time.monotonic()
            service.start()
            await service.wait_ready()
            recoveries.append(time.monotonic() - started)
    return recoveries


async def main(args: argparse.Namespace) -> int:
    """Run the crash test; 0 when nothing acknowledged was lost or duplicated."""
    dsn = await fresh_database(args.admin_dsn, "faults_crash")
    service = Service(dsn, args.workers)
    receiver = Receiver()
    try:
        site_key = await add_site(dsn, 5, "crash")
        await history_rules_on(dsn, "crash")
        await receiver.start(dsn, "crash")
        service.start()
        await service.wait_ready()
        ledger, stop, kinds = Ledger(), asyncio.Event(), list[str]()
        runner = asyncio.create_task(load(service.url, site_key, ledger, stop, args.concurrency))
        recoveries = await killer(service, args.kills, args.seconds / args.kills, kinds)
        await asyncio.sleep(2)
        stop.set()
        await runner
        await settle(service.url, site_key, ledger)
        figures = await verify(dsn, ledger)
        figures |= await delivered(dsn, receiver, ledger)
    finally:
        service.stop()
        await receiver.stop()
        await drop_database(args.admin_dsn, dsn)
    report("crash test", {
        "kills": f"{kinds.count('worker')} worker, {kinds.count('service')} whole service",
        "recovery seconds (max)": f"{max(recoveries, default=0):.2f}",
        "answers": str(dict(ledger.statuses.most_common())), **figures,
    })  # fmt: skip
    return 1 if any(figures[name] for name in BAD) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dsn = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--admin-dsn", default=default_dsn)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
