"""The service against ceiling B, in one sitting on the same PostgreSQL (issue 8's figures).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/compare.py

Makes a scratch database next to DATABASE_URL's, then, for each round: ceiling B (validate +
one INSERT, bench/ceiling_b.py) and the service (`moderation serve`, the shipped model, a
policy with a 1,000-term list, flood, duplicate and link rules on, rate limits off) under
`wrk -t2 -cC -dSs` with bench/wrk/comments.lua (a new author, address and text per request).
Then, against the service alone: an open-loop run at a fixed rate (bench/fixed_rate.py), the
public thread listing with and without an ETag hit, and each worker's peak RSS under load.
For both loaded runs it reads the CPU spent per comment by the HTTP processes (psutil) and by
their PostgreSQL backends (/proc/<pid>/stat of the scratch database's connections, so other
databases of a shared server do not count), and for the service the group commit's batch
sizes (moderation_intake_batch_size in /metrics). Prints one line per measurement and a
summary against issue 21's targets; needs wrk (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import asyncpg
import psutil

from moderation.admin import create_database, drop_database, with_database

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
RESULT = re.compile(r"RESULT (.*)")
TERMS_VI = ("lừa đảo", "cá độ", "đánh bạc", "vay nóng", "tín dụng đen", "đồ khốn", "thằng ngu")
TERMS_EN = ("scam", "casino", "payday", "viagra", "loser", "moron", "crypto pump")


scratch_dsn = with_database


async def recreate(base: str, name: str, create: bool = True) -> None:
    """Drop the scratch database and, unless told not to, create it afresh."""
    await drop_database(base, name)
    if create:
        await create_database(base, name)


async def analyze(dsn: str, vacuum: bool = False) -> None:
    """ANALYZE the scratch database (cached plans of the service's connections are redone);
    with ``vacuum``, VACUUM it as well."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
    finally:
        await conn.close()


def cli(env: dict[str, str], *args: str) -> str:
    """A `moderation` command's standard output."""
    done = subprocess.run(
        [str(BIN / "moderation"), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def terms(count: int) -> list[str]:
    """A list of distinct Vietnamese and English terms and phrases, like a real site's."""
    seeds = TERMS_VI + TERMS_EN
    found = list(seeds)
    n = 0
    while len(found) < count:
        found.append(f"{seeds[n % len(seeds)]} kiểu{n}")
        n += 1
    return found[:count]


Answer = tuple[int, dict[str, str], bytes]


def request(url: str, method: str = "GET", body: object = None, **headers: str) -> Answer:
    """One HTTP request: status, headers, body."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until(check: Callable[[], bool], seconds: float = 120) -> None:
    """Poll check() until it is true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not come up")


@contextmanager
def running(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A server process group, stopped at the end."""
    process = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wrk(url: str, seconds: int, connections: int, script: str, *extra: str) -> dict[str, float]:
    """wrk's RESULT line as numbers."""
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "wrk" / script),
         *extra, url],
        capture_output=True, text=True, check=True, env={**os.environ},
    )  # fmt: skip
    match = RESULT.search(done.stdout)
    if not match:
        raise SystemExit(f"wrk printed no RESULT line:\n{done.stdout}\n{done.stderr}")
    return {k: float(v) for k, v in (item.split("=") for item in match.group(1).split())}


def show(label: str, figures: dict[str, float]) -> None:
    """One measurement line."""
    errors = sum(figures[k] for k in figures if k.startswith("errors") or k == "non2xx")
    cpu = ""
    if "pg_ms" in figures:
        cpu = f"  CPU/comment: HTTP {figures['service_ms']:.3f} ms, PG {figures['pg_ms']:.3f} ms"
    print(
        f"{label:<34} {figures['rps']:>8,.0f} req/s  p50 {figures['p50_ms']:6.2f} ms  "
        f"p99 {figures['p99_ms']:6.2f} ms  errors {errors:.0f}{cpu}",
        flush=True,
    )


TICK = os.sysconf("SC_CLK_TCK")


def proc_seconds(pid: int) -> float:
    """CPU seconds (user + system) a process has used, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


async def backend_pids(dsn: str) -> set[int]:
    """The PostgreSQL backends connected to the scratch database (but this one)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return {r["pid"] for r in rows}


class CpuMeter:
    """CPU spent by a server's processes and by its PostgreSQL backends during a load."""

    def __init__(self, root: int, dsn: str) -> None:
        self.root = psutil.Process(root)
        self.dsn = dsn
        self.service: dict[int, float] = {}
        self.backends: dict[int, float] = {}

    def _service(self) -> dict[int, float]:
        found = {}
        for child in [self.root, *self.root.children(recursive=True)]:
            try:
                if "postgres" not in " ".join(child.cmdline()[:3]):
                    found[child.pid] = sum(child.cpu_times()[:2])
            except psutil.Error:
                continue
        return found

    def start(self) -> None:
        """Read the counters before the load."""
        self.service = self._service()
        pids = asyncio.run(backend_pids(self.dsn))
        self.backends = {pid: proc_seconds(pid) for pid in pids}

    def stop(self, comments: float) -> dict[str, float]:
        """ms of CPU per comment since start(): the HTTP processes' and PostgreSQL's."""
        service = self._service()
        pids = asyncio.run(backend_pids(self.dsn)) | set(self.backends)
        pg = sum(proc_seconds(pid) - self.backends.get(pid, 0.0) for pid in pids)
        py = sum(v - self.service.get(pid, 0.0) for pid, v in service.items())
        return {"service_ms": py / comments * 1000, "pg_ms": pg / comments * 1000}


BUCKET = re.compile(r'^moderation_(intake|scoring)_batch_size_bucket\{le="([^"]+)"\} (\S+)$', re.M)


def batch_buckets(url: str, kind: str = "intake") -> dict[str, float]:
    """The cumulative batch-size histogram of /metrics (every worker's): the intake
    statements' (group commit) or, with ``kind="scoring"``, the scoring batches'."""
    _, _, body = request(url + "/metrics")
    return {le: float(v) for k, le, v in BUCKET.findall(body.decode()) if k == kind}


def batch_distribution(
    before: dict[str, float], after: dict[str, float], unit: str = "statements"
) -> str:
    """Batches per size bucket between two scrapes, as shares of the batches."""
    counts = {le: after.get(le, 0) - before.get(le, 0) for le in after}
    order = sorted(counts, key=lambda le: float(le))
    total = counts[order[-1]] if order else 0
    if not total:
        return f"no {unit}"
    parts, below, low = [], 0.0, 1
    for le in order:
        n = counts[le] - below
        below = counts[le]
        high = le if le == "+Inf" else int(float(le))
        if n:
            span = f"{low}" if high == low else f"{low}-{high}"
            parts.append(f"{span}: {n / total:.0%}")
        low = int(float(le)) + 1 if le != "+Inf" else low
    return f"{total:.0f} {unit}; " + ", ".join(parts)


ANSWERED = re.compile(
    r'^moderation_http_request_seconds_bucket\{le="([^"]+)",method="POST",route="/v1/comments"\}'
    r" (\S+)$",
    re.M,
)


def answer_buckets(url: str) -> dict[str, float]:
    """The cumulative histogram of the service's own time answering POST /v1/comments."""
    _, _, body = request(url + "/metrics")
    return {le: float(v) for le, v in ANSWERED.findall(body.decode())}


def answered_within(
    before: dict[str, float],
    after: dict[str, float],
    within: tuple[str, ...] = ("0.01", "0.025", "0.05"),
) -> str:
    """Shares of the comments the service answered within each bound of ``within`` (seconds,
    as /metrics' bucket bounds; 10, 25 and 50 ms by default) between two scrapes: its own
    time, from the request read to the answer written, so a tail here is the service's and
    a tail only in the client's figures is the client's or the machine's."""
    total = after.get("+Inf", 0) - before.get("+Inf", 0)
    if not total:
        return "no comments"
    return ", ".join(
        f"{(after[le] - before.get(le, 0)) / total:.1%} within {float(le) * 1000:g} ms"
        for le in within
        if le in after
    )


class PeakRss:
    """Samples the RSS of a process group's workers while a load runs."""

    def __init__(self, root: int) -> None:
        self.root = psutil.Process(root)
        self.peak: dict[int, int] = {}

    def sample(self) -> None:
        """Record each worker's current RSS."""
        for child in self.root.children(recursive=True):
            try:
                name = " ".join(child.cmdline()[:3])
                if "postgres" in name:
                    continue
                rss = child.memory_info().rss
            except psutil.Error:
                continue
            self.peak[child.pid] = max(self.peak.get(child.pid, 0), rss)


def loaded(label: str, rss: PeakRss, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run a load while sampling RSS in a thread."""

    async def both() -> dict[str, float]:
        task = asyncio.get_running_loop().run_in_executor(None, run)
        while not task.done():
            rss.sample()
            await asyncio.sleep(0.5)
        return await task

    figures = asyncio.run(both())
    show(label, figures)
    return figures


def metered(url: str, pid: int, dsn: str, seconds: int, connections: int) -> dict[str, float]:
    """wrk's figures at saturation, with the CPU a comment of the server's processes (``pid``
    and its children) and of PostgreSQL's backends during the run."""
    meter = CpuMeter(pid, dsn)
    meter.start()
    figures = wrk(url, seconds, connections, "comments.lua")
    figures.update(meter.stop(figures["requests"]))
    return figures


def ceiling(args: argparse.Namespace, dsn: str, key: str) -> dict[str, float]:
    """Ceiling B under wrk."""
    port = args.port + 1
    command = [sys.executable, str(HERE / "ceiling_b.py"), "--dsn", dsn, "--port", str(port),
               "--workers", str(args.workers)]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(command, dict(os.environ)) as process:
        wait_until(lambda: request(url + "/v1/comments", "POST", {})[0] in (400, 422, 500))
        wrk(url, 3, args.connections, "comments.lua")
        figures = metered(url, process.pid, dsn, args.seconds, args.connections)
    show("ceiling B (validate + INSERT)", figures)
    return figures


def service_env(dsn: str, data_dir: str) -> dict[str, str]:
    """The service's environment for the benchmark: rate limits and access log off."""
    return {
        **os.environ,
        "DATABASE_URL": dsn,
        "MODERATION_DATA_DIR": data_dir,
        "MODERATION_SECRET": "bench-secret",
        "MODERATION_RATE_LIMIT_PER_KEY": "0",
        "MODERATION_RATE_LIMIT_PER_ADDRESS": "0",
        "MODERATION_ACCESS_LOG": "false",
        "MODERATION_LOG_LEVEL": "WARNING",
    }


def set_policy(url: str, token: str, count: int) -> int:
    """A realistic policy: a term list of `count`, links, flood and duplicate rules."""
    auth = f"Bearer {token}"
    status, headers, _ = request(url + "/v1/sites/bench/policy", Authorization=auth)
    listed = terms(count)
    body = {
        "blocked_terms": listed[: count // 5],
        "watched_terms": listed[count // 5 :],
        "max_links": 2,
        "flood": {"per_author": 10, "per_ip": 1000, "window_seconds": 60},
        "duplicates": {"max_copies": 3, "window_seconds": 3600, "action": "hold"},
    }
    status, headers, answer = request(
        url + "/v1/sites/bench/policy", "PUT", body, Authorization=auth,
        **{"If-Match": headers["ETag"]},
    )  # fmt: skip
    if status != 200:
        raise SystemExit(f"PUT policy answered {status}: {answer[:300]!r}")
    return int(json.loads(answer)["version"])


def service(
    args: argparse.Namespace, env: dict[str, str], key: str, token: str
) -> dict[str, object]:
    """The service under wrk, then at a fixed rate, then its public listing."""
    url = f"http://127.0.0.1:{args.port}"
    command = [str(BIN / "moderation"), "serve", "--port", str(args.port),
               "--workers", str(args.workers)]  # fmt: skip
    found: dict[str, object] = {}
    with running(command, env) as process:
        wait_until(lambda: request(url + "/readyz")[0] == 200)
        found["policy_version"] = set_policy(url, token, args.terms)
        time.sleep(1.5)  # every worker sees the new policy within a second
        os.environ["KEY"] = key
        # A site has history and its tables statistics: without them the plans cached while
        # the table was empty scan it whole until autovacuum's first ANALYZE, a minute later.
        wrk(url, 5, args.connections, "comments.lua")
        asyncio.run(analyze(env["DATABASE_URL"]))
        time.sleep(1)
        rss = PeakRss(process.pid)
        meter = CpuMeter(process.pid, env["DATABASE_URL"])
        before, scored = batch_buckets(url), batch_buckets(url, "scoring")
        answered = answer_buckets(url)
        meter.start()
        saturation = loaded(
            "service (full pipeline)", rss,
            lambda: wrk(url, args.seconds, args.connections, "comments.lua"),
        )  # fmt: skip
        saturation.update(meter.stop(saturation["requests"]))
        found["saturation"] = saturation
        found["batches"] = batch_distribution(before, batch_buckets(url))
        found["scoring"] = batch_distribution(scored, batch_buckets(url, "scoring"), "batches")
        found["answered"] = answered_within(answered, answer_buckets(url), ("0.025", "0.05", "0.1"))
        found["rss_mb"] = sorted(round(v / 2**20) for v in rss.peak.values())
        # The saturation run's rows are vacuumed now, as autovacuum would do within its next
        # minute: otherwise whether its pass falls inside the fixed-rate run is chance, and on
        # this machine it takes the same two cores the service and client use (on a
        # deployment it runs on the database's own host).
        asyncio.run(analyze(env["DATABASE_URL"], vacuum=True))
        before, answered = batch_buckets(url), answer_buckets(url)
        meter.start()
        found["fixed"] = fixed_rate(url, key, args.rate, args.seconds)
        found["fixed_cpu"] = meter.stop(args.rate * args.seconds)
        found["fixed_batches"] = batch_distribution(before, batch_buckets(url))
        found["fixed_answered"] = answered_within(answered, answer_buckets(url))
        found["listing"] = listing(url, key, args.seconds)
    return found


def sooner() -> None:
    """Run this process ahead of the service on the cores they share (nice -5, where allowed).

    An open-loop client counts each request's latency from when it was due: starved of CPU by
    the service it measures, it sends late, and its own lateness is counted as the service's.
    """
    with contextlib.suppress(PermissionError):
        os.nice(-5)


def fixed_rate(url: str, key: str, rate: int, seconds: int) -> str:
    """bench/fixed_rate.py's RESULT line."""
    done = subprocess.run(
        [sys.executable, str(HERE / "fixed_rate.py"), "--url", url, "--key", key,
         "--rate", str(rate), "--seconds", str(seconds)],
        capture_output=True, text=True, check=True, preexec_fn=sooner,
    )  # fmt: skip
    line = RESULT.search(done.stdout)
    text = line.group(1) if line else done.stdout + done.stderr
    print(f"{'service at a fixed rate':<34} {text}", flush=True)
    return text


def listing(url: str, key: str, seconds: int) -> dict[str, dict[str, float]]:
    """GET a thread of 30 published comments, with and without If-None-Match."""
    for n in range(30):
        request(url + "/v1/comments", "POST",
                {"thread": "listing", "name": "An", "email": f"an{n}@example.vn",
                 "body": f"Cảm ơn tác giả, bài viết rất hữu ích số {n}."},
                Authorization=f"Bearer {key}")  # fmt: skip
    path = url + "/v1/sites/bench/threads/listing/comments"
    _, headers, _ = request(path)
    etag = headers.get("ETag", "")
    figures = {
        "etag": wrk(path, seconds, 64, "get.lua", "-H", f"If-None-Match: {etag}"),
        "full": wrk(path, seconds, 64, "get.lua"),
    }
    show("listing, ETag hit (304)", figures["etag"])
    show("listing, full (200)", figures["full"])
    return figures


def main() -> None:
    """Set up, measure, summarise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8300)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with scratch_site("compare") as site:
        base_figures = ceiling(args, site.dsn, site.key)
        found = service(args, site.env, site.key, site.token)
    summarise(base_figures, found)


class Scratch(NamedTuple):
    """A scratch database with one site: the service's environment, its key, an owner's token."""

    dsn: str
    env: dict[str, str]
    key: str
    token: str


@contextmanager
def scratch_site(label: str) -> Iterator[Scratch]:
    """A database next to DATABASE_URL's, migrated, with a site "bench" and its owner, and a
    data directory for the service; both removed at the end."""
    base = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"bench_{label}_{os.getpid()}"
    asyncio.run(recreate(base, name))
    dsn = scratch_dsn(base, name)
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            env = service_env(dsn, data_dir)
            cli(env, "migrate")
            key = cli(env, "sites", "create", "bench")
            token = cli(env, "users", "create", "owner", "--site", "bench", "--role", "owner")
            yield Scratch(dsn, env, key, token)
    finally:
        asyncio.run(recreate(base, name, create=False))


def summarise(ceiling_b: dict[str, float], found: dict[str, object]) -> None:
    """Ratios against the targets of issues 8 and 21."""
    ours: dict[str, float] = found["saturation"]  # type: ignore[assignment]
    etag_hits: dict[str, float] = found["listing"]["etag"]  # type: ignore[index]
    errors = sum(ours[k] for k in ours if k.startswith("errors") or k == "non2xx")
    bare = ceiling_b["pg_ms"]
    fixed: dict[str, float] = found["fixed_cpu"]  # type: ignore[assignment]
    fixed_cpu = f"{fixed['service_ms']:.3f} / {fixed['pg_ms']:.3f} ms"
    lines = (
        ("throughput service/ceiling B", f"{ours['rps'] / ceiling_b['rps']:.2f}", ">= 0.45"),
        ("errors under saturation", f"{errors:.0f}", "0"),
        ("p99 service/ceiling B", f"{ours['p99_ms'] / ceiling_b['p99_ms']:.2f}", "<= 2"),
        ("PG CPU per comment", f"{ours['pg_ms']:.3f} ms", "<= 0.2 ms"),
        ("HTTP processes' CPU per comment", f"{ours['service_ms']:.3f} ms", "toward 0.25 ms"),
        (
            "  ceiling B's: HTTP / PG",
            f"{ceiling_b['service_ms']:.3f} / {bare:.3f} ms",
            "",
        ),
        ("batch sizes, saturation", str(found["batches"]), ""),
        ("  scoring batches, saturation", str(found["scoring"]), ""),
        ("  answered by the service", str(found["answered"]), ""),
        ("batch sizes, fixed rate", str(found["fixed_batches"]), ""),
        ("fixed rate", str(found["fixed"]), "p99 <= 25 ms"),
        ("  CPU per comment: HTTP / PG", fixed_cpu, ""),
        ("  answered by the service", str(found["fixed_answered"]), ""),
        ("listing with ETag hits", f"{etag_hits['rps']:,.0f} req/s", ">= 5,000"),
        ("peak RSS per process (MB)", str(found["rss_mb"]), "< 400 each"),
    )
    print()
    for label, value, target in lines:
        print(f"{label:<32} {value}" + (f"  (target {target})" if target else ""))


if __name__ == "__main__":
    main()
