"""Instructions per comment, the service against ceiling B: a figure that does not move.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/bench_instructions.py [--comments 300] [--warmup 50]

Wall-clock and CPU-time figures of `compare.py` move by about 15% from one run to the next
on a shared 2-core machine, so a cut of 5% in the service's own code cannot be seen there.
This counts instructions instead (valgrind's callgrind: the same code, inputs and
environment give the same count whatever else runs): one worker of `moderation serve`
(the shipped model, `compare.py`'s policy of 1,000 terms with flood, duplicate and link
rules) and one of ceiling B (`ceiling_b.py`) run under callgrind with counting off while
they start; after a warm-up, counting is switched on for `--comments` comments posted one
after another on one keep-alive connection (`fixed_rate.py`'s comments: a new author,
address and text each), then off, and the worker's count is read. One comment at a time
means batches of one, the service's path below saturation; at saturation batches of 10 -
30 share the per-statement and per-batch work, so there the count per comment is lower.

Instructions are not time (a cache miss costs hundreds of instructions' worth and counts
as one): use it to compare two versions of the code, `compare.py` for what a deployment
gets. Needs valgrind (`apt-get install valgrind`); takes about two minutes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from compare import BIN, HERE, request, running, scratch_site, set_policy, wait_until
from fixed_rate import comment

TOTALS = re.compile(r"^totals:\s+(\d+)", re.M)  # the dump's count (its "summary:" is 0)


def callgrind(out: Path, *command: str) -> list[str]:
    """``command`` under callgrind, counting off until switched on."""
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={out}/callgrind.%p", *command]  # fmt: skip


def control(pid: int, *options: str) -> None:
    """callgrind_control on one process (-i on / -i off / -d)."""
    subprocess.run(["callgrind_control", *options, str(pid)], check=True, capture_output=True)


def post_many(port: int, key: str, first: int, count: int) -> None:
    """Post comments ``first`` .. ``first + count - 1``, one after another, one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    try:
        for n in range(first, first + count):
            conn.request("POST", "/v1/comments", json.dumps(comment(n)), headers)
            answer = conn.getresponse()
            answer.read()
            if answer.status not in (200, 201, 202):
                raise SystemExit(f"comment {n} answered {answer.status}")
    finally:
        conn.close()


def counted(out: Path, pid: int, run: Callable[[], None]) -> int:
    """Instructions the process ``pid`` executes during ``run()``."""
    for old in out.glob(f"callgrind.{pid}*"):
        old.unlink()
    control(pid, "-i", "on")
    run()
    control(pid, "-i", "off")
    control(pid, "-d")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for dump in out.glob(f"callgrind.{pid}.*"):
            found = TOTALS.search(dump.read_text(errors="replace"))
            if found:
                return int(found.group(1))
        time.sleep(0.2)
    raise SystemExit("callgrind wrote no dump")


def measure(
    out: Path, command: list[str], env: dict[str, str], port: int, key: str,
    args: argparse.Namespace, ready: Callable[[], bool],
) -> float:  # fmt: skip
    """Instructions per comment of one server."""
    warmup: int = args.warmup
    comments: int = args.comments
    with running(callgrind(out, *command), env) as process:
        wait_until(ready, 600)
        pid = process.pid  # one worker: both servers serve in the process started
        post_many(port, key, 0, warmup)
        total = counted(out, pid, lambda: post_many(port, key, warmup, comments))
    return total / comments


def main() -> None:
    """Set up a scratch database, count both servers, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8350)
    parser.add_argument("--keep", type=Path, help="keep the callgrind dumps here (for "
                        "callgrind_annotate: which functions the instructions go to)")  # fmt: skip
    args = parser.parse_args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    with scratch_site("instructions") as site, tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        env = {**site.env, "PYTHONHASHSEED": "0"}
        ceiling = measure(
            out,
            [sys.executable, str(HERE / "ceiling_b.py"), "--dsn", site.dsn,
             "--port", str(args.port + 1), "--workers", "1"],
            env, args.port + 1, site.key, args,
            lambda: request(f"http://127.0.0.1:{args.port + 1}/v1/comments", "POST", {})[0]
            in (400, 422, 500),
        )  # fmt: skip
        print(f"ceiling B (validate + INSERT)    {ceiling:>12,.0f} instructions a comment")
        url = f"http://127.0.0.1:{args.port}"
        command = [str(BIN / "moderation"), "serve", "--port", str(args.port), "--workers", "1"]
        with running(command, env):  # the policy first, outside valgrind
            wait_until(lambda: request(url + "/readyz")[0] == 200, 300)
            set_policy(url, site.token, args.terms)
        service = measure(out, command, env, args.port, site.key, args,
                          lambda: request(url + "/readyz")[0] == 200)  # fmt: skip
        print(f"the service (full pipeline)      {service:>12,.0f} instructions a comment")
        print(f"service / ceiling B              {service / ceiling:>12.2f}")


if __name__ == "__main__":
    main()
