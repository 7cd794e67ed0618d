"""Variants of the service at saturation, alternating, so the host's drift hits them alike.

    DATABASE_URL=... python bench/compare_variants.py --rounds 3 --seconds 10 \\
        main= old=PYTHONPATH=/path/to/an/old/checkout one=OPENBLAS_NUM_THREADS=1

Each variant is NAME=[VAR=VALUE[,VAR=VALUE...]]: environment variables for its server (a
PYTHONPATH naming another checkout runs that checkout's code; MODERATION_WORKERS its number
of workers; nothing: this one). Every round starts each variant's server afresh (2 workers
unless told, as compare.py; one scratch database and compare.py's 1,000-term policy for
all), warms it 3 s, then runs wrk (64 connections, bench/wrk/comments.lua) and reads the CPU
its processes and PostgreSQL's backends spent (compare.metered).
Prints each run, then each variant's medians. A run of compare.py moves by 10 - 20% with the
host; alternating variants within minutes is how a smaller difference shows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import compare


def variant(text: str) -> tuple[str, dict[str, str]]:
    """NAME=VAR=VALUE,VAR=VALUE -> (NAME, {VAR: VALUE})."""
    name, _, rest = text.partition("=")
    pairs = [p.split("=", 1) for p in rest.split(",") if p]
    if not name or any(len(p) != 2 for p in pairs):
        raise argparse.ArgumentTypeError(f"expected NAME=[VAR=VALUE,...], got {text!r}")
    return name, dict(pairs)


def main() -> None:
    """Run the variants round by round; print each run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", type=variant, nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=8310)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in args.variants}
    url = f"http://127.0.0.1:{args.port}"
    with compare.scratch_site("variants") as scratch:
        os.environ["KEY"] = scratch.key
        for round_ in range(args.rounds):
            for name, extra in args.variants:
                workers = extra.get("MODERATION_WORKERS", "2")
                command = [str(compare.BIN / "moderation"), "serve", "--port", str(args.port),
                           "--workers", workers]  # fmt: skip
                with compare.running(command, {**scratch.env, **extra}) as process:
                    compare.wait_until(lambda: compare.request(url + "/readyz")[0] == 200)
                    if not any(runs.values()):
                        compare.set_policy(url, scratch.token, 1000)
                        time.sleep(1.5)
                    compare.wrk(url, 3, 64, "comments.lua")
                    asyncio.run(compare.analyze(scratch.dsn))
                    figures = compare.metered(url, process.pid, scratch.dsn, args.seconds, 64)
                runs[name].append(figures)
                print(
                    f"round {round_} {name:>10} {figures['rps']:>7,.0f} req/s  HTTP"
                    f" {figures['service_ms']:.3f} ms  PG {figures['pg_ms']:.3f} ms a comment"
                    f"  p99 {figures['p99_ms']:.1f} ms  errors {figures['non2xx']:.0f}",
                    flush=True,
                )
    for name, found in runs.items():
        med = {k: statistics.median(f[k] for f in found) for k in ("rps", "service_ms", "pg_ms")}
        print(
            f"{name:>10}: median {med['rps']:,.0f} req/s, HTTP {med['service_ms']:.3f} ms,"
            f" PG {med['pg_ms']:.3f} ms a comment ({len(found)} runs)"
        )


if __name__ == "__main__":
    main()
