"""`moderation serve` end to end: a real process, a real port, a real database."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import psutil

from moderation.admin import free_port
from moderation.runtime.scoring import DEFAULT_SCORER, import_scorer

ROOT = Path(__file__).resolve().parents[2]
BENIGN = "Bài viết rất hay, cảm ơn tác giả đã chia sẻ thông tin hữu ích."
COMMENT = {"thread": "hello", "name": "An", "email": "an@example.com", "body": BENIGN}


def scorer_env() -> dict[str, str]:
    """Serve with the real model when it loads here, else with the keyword stand-in."""
    try:
        import_scorer(DEFAULT_SCORER)()
    except Exception:
        return {"MODERATION_SCORER": "tests.standin:load"}
    return {}


class Service:
    """A `moderation serve` subprocess whose stdout lines are collected in the background."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moderation", "serve", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
            env={**os.environ, **scorer_env(), **env},
        )  # fmt: skip
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 60) -> list[str]:
        """Every line up to and including the first one starting with prefix."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while not seen or not seen[-1].startswith(prefix):
            seen.append(self.lines.get(timeout=max(0.1, deadline - time.monotonic())))
        return seen

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self.pump.join(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return code


def call(url: str, data: dict[str, str] | None = None, key: str | None = None) -> tuple[int, Any]:
    """Status and JSON body of a request, retrying while the port is not yet open."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except HTTPError as error:
            return error.code, json.loads(error.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def cli(env: dict[str, str], *args: str) -> str:
    """Run a CLI command with the service's environment; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "moderation", *args],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=60,
        check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_zero_config_start_with_embedded_postgres(tmp_path: Path) -> None:
    env = {"MODERATION_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = Service(["--port", str(port)], env)
    try:
        lines = service.wait_for("Serving on")
        key = lines[lines.index(next(x for x in lines if x.startswith("Demo site"))) + 1].strip()
        assert key.startswith("sk_")
        assert call(f"{base}/healthz")[0] == 200
        status, body = call(f"{base}/v1/comments", COMMENT, key)
        assert (status, body["status"]) == (201, "published")
        assert call(f"{base}/v1/comments", COMMENT, "sk_wrong")[0] == 401
        other = cli(env, "sites", "create", "other")  # same embedded server, while it runs
        assert call(f"{base}/v1/comments", COMMENT, other)[0] == 201
        assert service.proc.poll() is None
    finally:
        assert service.stop() == 0
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()  # the database stopped too
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    assert cli(env, "sites", "create", "offline").startswith("sk_")  # starts it for the command
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()

    again = Service(["--port", str(port)], env)
    try:
        lines = again.wait_for("Serving on")
        assert not any(x.startswith("Demo site") for x in lines)  # created only the first time
        status, page = call(f"{base}/v1/sites/demo/threads/hello/comments")
        assert status == 200 and [c["body"] for c in page["items"]] == [BENIGN]
    finally:
        assert again.stop(signal.SIGTERM) == 0


def test_serve_with_database_url_and_two_workers(dsn: str, tmp_path: Path) -> None:
    import asyncio

    from moderation import admin

    key = asyncio.run(admin.add_site(dsn, 5, "news"))
    port = free_port()
    env = {"DATABASE_URL": dsn, "MODERATION_DATA_DIR": str(tmp_path), "MODERATION_SECRET": "s"}
    service = Service(["--port", str(port), "--workers", "2"], env)
    try:
        lines = service.wait_for("Serving on")
        assert not any(x.startswith("Demo site") for x in lines)
        ids = set()
        for i in range(6):
            posted = {**COMMENT, "body": f"{BENIGN} ({i})"}
            status, body = call(f"http://127.0.0.1:{port}/v1/comments", posted, key)
            assert status == (201 if body["status"] == "published" else 202)
            ids.add(body["id"])
        assert len(ids) == 6
        assert call(f"http://127.0.0.1:{port}/readyz")[0] == 200
        _kill_a_worker_and_see_it_replaced(service.proc.pid, port)
        status, _ = call(f"http://127.0.0.1:{port}/v1/comments", COMMENT, key)
        assert status in (201, 202)
    finally:
        assert service.stop(signal.SIGTERM) == 0


def _workers(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(c) for c in children}


def _listening(pids: set[int], port: int) -> bool:
    """Whether each of these processes listens on the port (a worker listens only once its
    model has loaded and its scoring paths are compiled)."""
    for pid in pids:
        try:
            sockets = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            return False
        if not any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in sockets):
            return False
    return True


def _kill_a_worker_and_see_it_replaced(server: int, port: int) -> None:
    """A worker killed with SIGKILL is replaced by a new process, which then serves. Both
    workers serve before the kill: a request right after it must find the other one."""
    deadline = time.monotonic() + 60
    while not (len(before := _workers(server)) == 2 and _listening(before, port)):
        assert time.monotonic() < deadline, f"workers {before} not all listening on {port}"
        time.sleep(0.05)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not (len(now := _workers(server)) == 2 and victim not in now and _listening(now, port)):
        assert time.monotonic() < deadline, f"workers {now} after killing {victim} of {before}"
        time.sleep(0.05)
