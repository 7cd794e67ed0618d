"""Shared by the fault scripts: a service under test, a load that remembers what was acked,
and the checks against the database."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from moderation import admin
from moderation.admin import free_port, open_store, site_webhook
from moderation.domain import previews as preview
from moderation.domain.models import Duplicates, Flood

ROOT = Path(__file__).resolve().parents[1]
WORDS = [
    "bài",
    "viết",
    "rất",
    "hay",
    "cảm",
    "ơn",
    "tác",
    "giả",
    "tôi",
    "không",
    "đồng",
    "ý",
    "với",
    "ý",
    "kiến",
    "này",
    "thông",
    "tin",
    "hữu",
    "ích",
    "great",
    "article",
    "thanks",
    "for",
    "sharing",
    "I",
    "disagree",
    "with",
    "the",
    "author",
    "mua",
    "ngay",
    "giảm",
    "giá",
]


async def history_rules_on(dsn: str, slug: str) -> None:
    """Flood and duplicate rules on, with limits the load never reaches: every insert then
    takes its locked path (one function call: the advisory locks, then the insert)."""
    async with open_store(dsn, 5) as db:
        site = await db.site_by_slug(slug)
        assert site is not None
        current = await db.current_policy(site.id)
        rules = {
            "flood": Flood(per_author=1000, per_ip=100_000, window_seconds=60),
            "duplicates": Duplicates(max_copies=1000),
        }
        candidate = current.model_copy(update=rules)
        changes = preview.changes(current, candidate)
        await db.save_policy(site.id, current.version, candidate, changes, "faults")


def comment(key: str) -> dict[str, str]:
    """A new comment from a new author, its idempotency key being `key`."""
    rng = random.Random(key)
    n = rng.randint(0, 2**24)
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 30)))
    return {
        "thread": f"bai-viet-{n % 20}",
        "name": f"Bạn đọc {n}",
        "email": f"reader{n}.{key[:8]}@example.vn",
        "body": f"{body} ({key[:8]})",
        "author_ip": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}",
        "idempotency_key": key,
    }


class Service:
    """`moderation serve` in its own process group, restartable."""

    def __init__(
        self, dsn: str, workers: int, env: dict[str, str] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.dsn = dsn
        self.workers = workers
        self.host = host
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": dsn,
            "MODERATION_ACCESS_LOG": "false",
            # one site key carries the whole load here; its rate limit would only add 429s
            "MODERATION_RATE_LIMIT_PER_KEY": "0",
            # the signing webhook receiver listens on loopback, which is refused by default
            "MODERATION_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = open(ROOT / "faults" / f"service-{self.port}.log", "ab")  # noqa: SIM115

    def start(self) -> None:
        """Start the service (returns at once; see wait_ready)."""
        command = [sys.executable, "-m", "moderation", "serve", "--port", str(self.port)]
        command += ["--host", self.host, "--workers", str(self.workers)]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=self.log, stderr=self.log, start_new_session=True
        )

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the serving process)."""
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    async def wait_workers(self, timeout: float = 30) -> float:
        """Seconds until the server runs its full count of workers again."""
        started = time.monotonic()
        while len(self.worker_pids()) < self.workers:
            if time.monotonic() - started > timeout:
                raise TimeoutError("workers were not replaced")
            await asyncio.sleep(0.05)
        return time.monotonic() - started

    def kill_all(self) -> None:
        """kill -9 the whole service: server and workers at once."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Stop gracefully."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)

    async def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until /healthz answers."""
        started = time.monotonic()
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - started < timeout:
                try:
                    async with session.get(f"{self.url}/healthz") as answer:
                        if answer.status == 200:
                            return time.monotonic() - started
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"service on {self.url} not ready in {timeout} s")


@dataclass
class Ledger:
    """What the load saw: acknowledged ids by idempotency key, and every status."""

    acked: dict[str, str] = field(default_factory=dict)
    unacked: set[str] = field(default_factory=set)
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    false_success: int = 0
    no_retry_after: int = 0
    retry_after: collections.Counter[str] = field(default_factory=collections.Counter)

    def record(self, key: str, status: int | str, body: dict[str, object] | None) -> None:
        """Remember one answer; a 2xx must carry an id, and a retried key the same one."""
        self.statuses[str(status)] += 1
        if isinstance(status, int) and 200 <= status < 300:
            cid = str((body or {}).get("id", ""))
            if not cid or self.acked.get(key, cid) != cid:
                self.false_success += 1
            self.acked[key] = cid
            self.unacked.discard(key)
        elif key not in self.acked:
            self.unacked.add(key)


async def post(
    session: aiohttp.ClientSession, url: str, site_key: str, key: str, ledger: Ledger
) -> int | str:
    """Post one comment and record the answer (connection errors included); its status."""
    headers = {"Authorization": f"Bearer {site_key}"}
    try:
        async with session.post(f"{url}/v1/comments", json=comment(key), headers=headers) as answer:
            body = await answer.json(content_type=None) if answer.status < 300 else None
            ledger.record(key, answer.status, body)
            if answer.status == 503:
                wait = answer.headers.get("Retry-After", "")
                ledger.retry_after[wait] += 1
                ledger.no_retry_after += not wait.isdigit()
            return answer.status
    except (TimeoutError, aiohttp.ClientError) as exc:
        ledger.record(key, type(exc).__name__, None)
        return type(exc).__name__


async def load(
    url: str, site_key: str, ledger: Ledger, stop: asyncio.Event, concurrency: int
) -> None:
    """New comments from `concurrency` clients until `stop`; failed keys are retried."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def client() -> None:
            while not stop.is_set():
                retry = ledger.unacked.pop() if ledger.unacked and random.random() < 0.3 else None
                await post(session, url, site_key, retry or uuid.uuid4().hex, ledger)
                if retry is None and ledger.statuses.get("503"):
                    await asyncio.sleep(0.01)

        await asyncio.gather(*(client() for _ in range(concurrency)))


async def settle(url: str, site_key: str, ledger: Ledger, rounds: int = 20) -> None:
    """Retry every unacknowledged key until each is acknowledged (the service is back)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for _ in range(rounds):
            if not ledger.unacked:
                return
            for key in list(ledger.unacked):
                await post(session, url, site_key, key, ledger)
            await asyncio.sleep(0.5)


async def verify(dsn: str, ledger: Ledger) -> dict[str, int]:
    """Compare the acknowledged comments with what the database holds."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            """SELECT c.idempotency_key, c.id::text AS id,
                      (SELECT count(*) FROM comment_events e
                       WHERE e.site_id = c.site_id AND e.comment_id = c.id) AS events,
                      (SELECT count(*) FROM outbox o
                       WHERE o.site_id = c.site_id AND o.comment_id = c.id) AS outbox
               FROM comments c"""
        )
    finally:
        await conn.close()
    stored = {r["idempotency_key"]: r for r in rows}
    keys = collections.Counter(r["idempotency_key"] for r in rows)
    return {
        "acknowledged": len(ledger.acked),
        "stored": len(rows),
        "acked but missing": sum(1 for k in ledger.acked if k not in stored),
        "acked with another id": sum(
            1 for k, cid in ledger.acked.items() if k in stored and stored[k]["id"] != cid
        ),
        "stored without event": sum(1 for r in rows if r["events"] < 1),
        "stored without outbox row": sum(1 for r in rows if r["outbox"] < 1),
        "duplicate keys": sum(n - 1 for n in keys.values() if n > 1),
        "never acknowledged": len(ledger.unacked),
        "false successes": ledger.false_success,
        "5xx other than 503": sum(
            n for s, n in ledger.statuses.items() if s.startswith("5") and s != "503"
        ),
        "503 without Retry-After": ledger.no_retry_after,
    }


class Receiver:
    """A website's webhook endpoint: checks each signature and remembers what arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.secret = ""
        self.events: collections.Counter[str] = collections.Counter()
        self.created: set[str] = set()
        self.bad_signatures = 0
        self._runner: web.AppRunner | None = None

    async def start(self, dsn: str, slug: str) -> None:
        """Listen, and make it the site's webhook_url."""
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.secret, _ = await site_webhook(dsn, 5, slug, self.url, rotate=False)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        """Verify, record, acknowledge."""
        body = await request.read()
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Moderation-Signature", "")):
            self.bad_signatures += 1
            return web.Response(status=401)
        event = json.loads(body)
        self.events[event["event_id"]] += 1
        if event["event"] == "comment.created":
            self.created.add(event["comment"]["id"])
        return web.Response(status=204)


async def delivered(
    dsn: str, receiver: Receiver, ledger: Ledger, timeout: float = 180
) -> dict[str, int]:
    """Wait until the outbox is drained (or the timeout), then compare it with what arrived."""
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(dsn)
    try:
        while time.monotonic() < deadline:
            if not await conn.fetchval("SELECT count(*) FROM outbox WHERE state = 'pending'"):
                break
            await asyncio.sleep(1)
        rows = await conn.fetch("SELECT event_id::text AS event_id, state FROM outbox")
    finally:
        await conn.close()
    return {
        "webhook events": len(rows),
        "events not delivered": sum(1 for r in rows if r["state"] != "delivered"),
        "events never received": sum(1 for r in rows if r["event_id"] not in receiver.events),
        "acked comments without their event": sum(
            1 for cid in ledger.acked.values() if cid not in receiver.created
        ),
        "events received twice": sum(1 for n in receiver.events.values() if n > 1),
        "bad signatures": receiver.bad_signatures,
    }


async def fresh_database(admin_dsn: str, prefix: str) -> str:
    """Create an empty database; its DSN."""
    return await admin.create_database(admin_dsn, f"{prefix}_{uuid.uuid4().hex[:8]}")


async def drop_database(admin_dsn: str, dsn: str) -> None:
    """Drop a database made by fresh_database."""
    await admin.drop_database(admin_dsn, dsn.rpartition("/")[2])


def report(title: str, figures: dict[str, int | float | str]) -> None:
    """Print the figures, one per line."""
    print(f"\n{title}")
    for name, value in figures.items():
        print(f"  {name:28} {value}")
