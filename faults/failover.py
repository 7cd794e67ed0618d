"""Failover: two service hosts, a PostgreSQL primary and its streaming standby; kill -9 a host,
then stop the primary and promote the standby under load, with synchronous and asynchronous
replication.

    python -m faults.failover [--modes sync,async] [--rate 200] [--before 5] [--between 3]
                              [--after 5] [--short]

Builds both servers in a temporary folder with Debian's PostgreSQL binaries
(/usr/lib/postgresql/*/bin, run as the postgres user when this runs as root) on free loopback
ports, and runs `moderation serve` on 127.0.0.2 and 127.0.0.3 with DATABASE_URL listing both
servers and target_session_attrs=read-write. New comments go through both hosts at --rate, as
a balancer sends them (a host refusing connections is skipped for a second); unacknowledged
ones are retried with their idempotency key. A third host pointed at the standby alone must
answer writes 503 with Retry-After. Prints acknowledged / stored / lost / duplicated, the
seconds from the promotion to the first 2xx, and the statuses seen. Exit status 1 when a rule
breaks: with synchronous replication nothing acknowledged is lost and the first 2xx comes
within 1 s of the promotion (--answer-within); always, no duplicate, no 5xx but 503, no 503
without Retry-After. Exit status 77 (skipped) without PostgreSQL's binaries.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import pwd
import random
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from faults.common import (
    Ledger,
    Receiver,
    Service,
    delivered,
    free_port,
    history_rules_on,
    post,
    report,
    settle,
    verify,
)
from moderation.admin import add_site
from moderation.store import migrate_dsn

SKIPPED = 77
HOSTS = ("127.0.0.2", "127.0.0.3")
BAD = ("acked with another id", "stored without event", "duplicate keys", "never acknowledged",
       "false successes", "stored without outbox row", "5xx other than 503",
       "503 without Retry-After", "bad signatures")  # fmt: skip
LOST = ("acked but missing", "acked comments without their event")


def binaries() -> Path | None:
    """The newest of Debian's PostgreSQL binary folders."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    return max(found, key=lambda p: int(p.parent.name), default=None)


def missing() -> str | None:
    """Why this cannot run here, or None."""
    if binaries() is None:
        return "no PostgreSQL binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _postgres_user()):
        return "running as root needs runuser and a postgres user (PostgreSQL refuses root)"
    return None


def _postgres_user() -> bool:
    """Whether a postgres system user exists."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


class Server:
    """One PostgreSQL data directory and its server, on a free loopback port."""

    def __init__(self, bindir: Path, folder: Path, name: str, fsync: bool) -> None:
        self.bindir, self.folder, self.fsync = bindir, folder, fsync
        self.data, self.log = folder / name, folder / f"{name}.log"
        self.port = free_port()
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/moderation"

    def run(self, tool: str, *args: str) -> None:
        """A PostgreSQL tool, as the postgres user when this runs as root."""
        user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*user, str(self.bindir / tool), *args], check=True, capture_output=True)

    def configure(self) -> None:
        """Its own port and socket folder; appended, so these lines win."""
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n")
            conf.write(f"unix_socket_directories = '{self.folder}'\nwal_keep_size = '1GB'\n")
            # off: nothing here outlives its process, but the OS keeps what was written; it
            # spares the short run the flushes of setting up (not a figure of the full run)
            conf.write(f"fsync = {'on' if self.fsync else 'off'}\n")

    def initdb(self) -> None:
        """A new cluster that trusts loopback (replication included)."""
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--no-sync")  # fmt: skip
        self.configure()

    def clone(self, primary: Server) -> None:
        """A streaming standby of `primary` (standby.signal and primary_conninfo: -R)."""
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                 "-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
        self.configure()

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop; "immediate" is a crash as far as clients can tell."""
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def crash(self) -> None:
        """kill -9 the server and all its processes at once, as if its machine died."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        for pid in (postmaster, *map(int, children)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def promote(self) -> None:
        """Make the standby a primary; returns once it takes writes."""
        self.run("pg_ctl", "-D", str(self.data), "-w", "promote")


async def replicating(primary: Server, sync: bool) -> None:
    """Set the replication mode on the primary and wait for the standby to stream in it.

    Set after the base backup, so the standby does not inherit synchronous_standby_names: a
    promoted server waiting for a synchronous standby it does not have would hang every commit.
    """
    conn = await asyncpg.connect(primary.dsn)
    try:
        await conn.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{'*' if sync else ''}'")
        await conn.execute("SELECT pg_reload_conf()")
        want = "sync" if sync else "async"
        query = (
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = $1"
        )
        for _ in range(300):
            if await conn.fetchval(query, want):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"the standby is not streaming ({want})")
    finally:
        await conn.close()


async def lag_bytes(primary: Server) -> int:
    """WAL the primary wrote that the standby has not flushed yet."""
    conn = await asyncpg.connect(primary.dsn)
    try:
        query = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn) FROM pg_stat_replication"
        return int(await conn.fetchval(query) or 0)
    finally:
        await conn.close()


async def sender_pid(primary: Server) -> int:
    """The primary's WAL sender process (pausing the standby's receiver would not do: the
    sender keeps filling the socket's buffers, megabytes on loopback)."""
    conn = await asyncpg.connect(primary.dsn)
    try:
        return int(await conn.fetchval("SELECT pid FROM pg_stat_replication"))
    finally:
        await conn.close()


@dataclass
class Answer:
    """One answer of the load: when, from which host, what."""

    at: float
    host: int
    status: int | str


class Balancer:
    """Each request to the next host; one that refused a connection is skipped for a second."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.down_until = [0.0] * len(urls)
        self.turn = 0

    def pick(self) -> int:
        """The next host in rotation."""
        for _ in self.urls:
            self.turn = (self.turn + 1) % len(self.urls)
            if time.monotonic() >= self.down_until[self.turn]:
                break
        return self.turn

    def failed(self, host: int) -> None:
        """Take a host out of rotation for a second."""
        self.down_until[host] = time.monotonic() + 1


async def drive(
    balancer: Balancer, site_key: str, ledger: Ledger, answers: list[Answer], stop: asyncio.Event,
    rate: float, concurrency: int,
) -> None:  # fmt: skip
    """Comments at `rate` a second (30% retries of unacknowledged keys while there are any),
    at most `concurrency` in flight, until `stop`."""
    gate, tasks = asyncio.Semaphore(concurrency), set[asyncio.Task[None]]()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:

        def done(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            gate.release()

        async def one(key: str) -> None:
            host = balancer.pick()
            status = await post(session, balancer.urls[host], site_key, key, ledger)
            answers.append(Answer(time.monotonic(), host, status))
            if isinstance(status, str):
                balancer.failed(host)

        due = time.monotonic()
        while not stop.is_set():
            await gate.acquire()
            retry = ledger.unacked.pop() if ledger.unacked and random.random() < 0.3 else None
            task = asyncio.create_task(one(retry or uuid.uuid4().hex))
            tasks.add(task)
            task.add_done_callback(done)
            due = max(due + 1 / rate, time.monotonic() - 1)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        await asyncio.gather(*tasks)


async def standby_host(standby: Server, site_key: str) -> tuple[dict[str, str], bool]:
    """A host pointed at the standby alone: what it answered, and whether every write was
    503 with Retry-After and /readyz?require=primary 503 (not ready for writes)."""
    service = Service(standby.dsn, 1, host="127.0.0.4")
    readiness: dict[str, str] = {}
    try:
        service.start()
        await service.wait_ready()
        ledger = Ledger()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            for _ in range(5):
                await post(session, service.url, site_key, uuid.uuid4().hex, ledger)
            for path in ("/readyz", "/readyz?require=primary"):
                async with session.get(f"{service.url}{path}") as answer:
                    role = (await answer.json())["database"]["role"]
                    readiness[path] = f"{answer.status}, role {role}"
    finally:
        service.stop()
    waits = ",".join(sorted(ledger.retry_after))
    held = set(ledger.statuses) == {"503"} and not ledger.no_retry_after
    held &= readiness["/readyz?require=primary"].startswith("503")
    return {"writes": str(dict(ledger.statuses)), "Retry-After": waits, **readiness}, held


def first_2xx(answers: list[Answer], since: float, host: int | None = None) -> float | None:
    """Seconds from `since` to the first 2xx answered after it (by `host`, if given)."""
    times = [
        a.at
        for a in answers
        if a.at >= since and isinstance(a.status, int) and a.status < 300
        and (host is None or a.host == host)
    ]  # fmt: skip
    return min(times) - since if times else None


def log_lines(services: list[Service], offsets: list[int]) -> dict[str, int]:
    """What the hosts logged during the run: outage lines, recovery lines, tracebacks."""
    text = "".join(
        Path(s.log.name).read_bytes()[offset:].decode(errors="replace")
        for s, offset in zip(services, offsets, strict=True)
    )
    return {
        "'database unavailable' lines": text.count('"msg":"database unavailable"'),
        "'available again' lines": text.count('"msg":"database available again"'),
        "asyncpg floor warnings": text.count("Failed to restore the pool connection floor"),
        "tracebacks": text.count("Traceback"),
    }


async def run_mode(bindir: Path, folder: Path, sync: bool, args: argparse.Namespace) -> int:
    """One failover under load; 0 when every rule held."""
    primary = Server(bindir, folder, "primary", args.fsync)
    standby = Server(bindir, folder, "standby", args.fsync)
    primary.initdb()
    primary.start()
    conn = await asyncpg.connect(primary.dsn.replace("/moderation", "/postgres"))
    await conn.execute("CREATE DATABASE moderation")
    await conn.close()
    await migrate_dsn(primary.dsn)
    site_key = await add_site(primary.dsn, 5, "failover")
    await history_rules_on(primary.dsn, "failover")
    standby.clone(primary)
    standby.start()
    await replicating(primary, sync)
    hosts = f"127.0.0.1:{primary.port},127.0.0.1:{standby.port}"
    url = f"postgresql://postgres@{hosts}/moderation?target_session_attrs=read-write"
    receiver = Receiver()
    await receiver.start(primary.dsn, "failover")
    env = {"MODERATION_WEBHOOK_TIMEOUT_SECONDS": str(args.webhook_timeout)}
    services = [Service(url, args.workers, env, host=h) for h in HOSTS]
    offsets = [s.log.tell() for s in services]
    ledger, answers, stop = Ledger(), list[Answer](), asyncio.Event()
    try:
        for service in services:
            service.start()
        standby_check, standby_held = await standby_host(standby, site_key)  # as those start
        for service in services:
            await service.wait_ready()
        balancer = Balancer([s.url for s in services])
        load = asyncio.create_task(
            drive(balancer, site_key, ledger, answers, stop, args.rate, args.concurrency)
        )
        await asyncio.sleep(args.before)
        services[0].kill_all()
        killed = time.monotonic()
        services[0].start()  # as a supervisor would
        await services[0].wait_ready()
        host_back = time.monotonic() - killed
        await asyncio.sleep(args.between)
        if args.stall:  # the standby falls behind, as over a slow or broken network
            os.kill(await sender_pid(primary), signal.SIGSTOP)
            await asyncio.sleep(args.stall)
        lag = await lag_bytes(primary)
        stopped = time.monotonic()
        if args.stall:
            primary.crash()  # the paused sender must not send what it holds
        else:
            primary.stop("immediate")
        await asyncio.sleep(args.detect)  # a failover manager's detection time
        standby.promote()
        promoted = time.monotonic()
        await asyncio.sleep(args.after)
        stop.set()
        await load
        await settle(services[1].url, site_key, ledger)
        figures = await verify(url, ledger)
        # events whose delivery could not be recorded wait out their lease (3 x the webhook
        # timeout + 5 s) and are sent again
        figures |= await delivered(url, receiver, ledger, timeout=60)
    finally:
        stop.set()
        for service in services:
            service.stop()
        await receiver.stop()
        for server in (primary, standby):
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                server.stop("immediate")
    window = collections.Counter(str(a.status) for a in answers if stopped <= a.at < promoted)
    first = first_2xx(answers, promoted)
    per_host = [first_2xx(answers, promoted, h) for h in range(len(HOSTS))]
    report(f"failover, {'synchronous' if sync else 'asynchronous'} replication", {
        "comments sent (answers)": len(answers),
        "host killed: back in seconds": f"{host_back:.2f}",
        "standby lag at the stop (bytes)": lag,
        "stop to promoted (seconds)": f"{promoted - stopped:.2f}",
        "promoted to first 2xx (seconds)": "none" if first is None else f"{first:.3f}",
        "per host": ", ".join("none" if t is None else f"{t:.3f}" for t in per_host),
        "answers stop..promoted": str(dict(window)),
        "answers": str(dict(ledger.statuses.most_common())),
        "Retry-After seen on 503": str(dict(ledger.retry_after)),
        **{f"standby-only host: {k}": v for k, v in standby_check.items()},
        **figures,
        **log_lines(services, offsets),
    })  # fmt: skip
    broken = any(figures[name] for name in BAD)
    broken |= not standby_held
    if sync:
        late = first is None or (args.answer_within > 0 and first > args.answer_within)
        broken |= any(figures[name] for name in LOST) or late
    return 1 if broken else 0


async def main(args: argparse.Namespace) -> int:
    """Each replication mode in turn, each on new servers."""
    if reason := missing():
        print(f"skipped: {reason}")
        return SKIPPED
    bindir = binaries()
    assert bindir is not None
    failed = 0
    for mode in args.modes.split(","):
        folder = Path(tempfile.mkdtemp(prefix="failover-"))
        try:
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres", "postgres")
            failed |= await run_mode(bindir, folder, mode == "sync", args)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return failed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="sync,async", help="sync, async or both")
    parser.add_argument("--rate", type=float, default=200, help="comments a second")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument("--workers", type=int, default=1, help="processes per host")
    parser.add_argument("--before", type=float, default=5, help="seconds before the host kill")
    parser.add_argument("--between", type=float, default=3, help="then until the primary stops")
    parser.add_argument("--detect", type=float, default=0.5, help="then until the promotion")
    parser.add_argument("--after", type=float, default=5, help="load after the promotion")
    parser.add_argument(
        "--answer-within",
        type=float,
        default=1,
        help="seconds to a 2xx after the promotion "
        "(sync; 0: any 2xx after it will do, for tests that must not assert timings)",
    )
    parser.add_argument(
        "--stall",
        type=float,
        default=0,
        help="seconds the standby's WAL receiver is paused "
        "(SIGSTOP of the primary's WAL sender) before the primary is killed (-9): what a "
        "lagging standby loses (async) or holds up (sync)",
    )
    parser.add_argument("--webhook-timeout", type=float, default=10, help="seconds (leases)")
    parser.add_argument("--no-fsync", dest="fsync", action="store_false", help="fsync = off")
    parser.add_argument(
        "--short", action="store_true", help="CI: sync only, 50/s, 1-2 s phases, fsync off"
    )
    arguments = parser.parse_args()
    if arguments.short:
        arguments.modes, arguments.rate, arguments.fsync = "sync", 50, False
        arguments.before, arguments.between, arguments.after = 1.5, 1.0, 1.5
        arguments.webhook_timeout = 1
    raise SystemExit(asyncio.run(main(arguments)))
