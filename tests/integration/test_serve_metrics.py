"""/metrics of `moderation serve --workers 2`: the sums over both workers on every scrape."""

from __future__ import annotations

import http.client
import re
import signal
from pathlib import Path

from tests.integration.test_serve import (
    Service,
    _kill_a_worker_and_see_it_replaced,
    call,
    free_port,
)

HEALTHZ = re.compile(
    r'^moderation_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$', re.M
)


def get(port: int, path: str) -> tuple[int, str]:
    """One request on a new connection (so the kernel may hand it to either worker)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def healthz_count(port: int) -> float:
    """What one scrape says about GET /healthz."""
    status, text = get(port, "/metrics")
    assert status == 200
    found = HEALTHZ.search(text)
    return float(found.group(1)) if found else 0.0


def test_counters_add_up_over_workers_and_never_go_back(dsn: str, tmp_path: Path) -> None:
    port = free_port()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {
        "DATABASE_URL": dsn, "MODERATION_DATA_DIR": str(tmp_path), "MODERATION_SECRET": "s",
        "MODERATION_ACCESS_LOG": "false", "TMPDIR": str(temp),
    }  # fmt: skip
    service = Service(["--port", str(port), "--workers", "2"], env)
    try:
        service.wait_for("Serving on")
        assert call(f"http://127.0.0.1:{port}/readyz")[0] == 200  # waits for the port to open
        made = 0
        seen: list[float] = []
        for _ in range(4):
            for _ in range(15):
                assert get(port, "/healthz")[0] == 200
                made += 1
            # several scrapes, each on a new connection: whichever worker answers, the total
            for _ in range(6):
                seen.append(healthz_count(port))
                assert seen[-1] == made
        assert seen == sorted(seen)
        assert [p.name.startswith("moderation-metrics-") for p in temp.iterdir()] == [True]
        # a worker that dies takes none of its counts with it
        _kill_a_worker_and_see_it_replaced(service.proc.pid, port)
        assert all(healthz_count(port) == made for _ in range(6))
    finally:
        assert service.stop(signal.SIGTERM) == 0
    assert list(temp.iterdir()) == []  # the metrics directory is gone with the server
