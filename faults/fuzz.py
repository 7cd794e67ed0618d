"""Fuzz the whole API from its own /openapi.json with schemathesis, as each kind of caller.

    .venv/bin/pip install '.[dev,fuzz]'
    .venv/bin/python -m faults.fuzz [--examples 100]

Starts the service on a throw-away database (DATABASE_URL, default the local server) with a
site, an owner and a moderator, then runs every operation with the site key, the owner's
token, the moderator's token and no credential. Every check runs except
positive_data_acceptance: the service refuses some schema-valid values on purpose (an email
address must have a real domain, which JSON Schema cannot say), and those answers are 422s
naming the field. Exit status 1 when any case fails (a 5xx, a response that breaks the schema,
invalid input accepted, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from faults.common import Service, drop_database, fresh_database, report
from moderation.admin import add_site, add_user

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def run(url: str, token: str, examples: int, seed: int) -> tuple[int, int, str]:
    """One schemathesis run; (cases generated, failures, tail of its output)."""
    command = [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--checks", "all",
               "--exclude-checks", "positive_data_acceptance", "--max-examples", str(examples),
               "--workers", "1", "--seed", str(seed), "--no-color"]  # fmt: skip
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    out = done.stdout + done.stderr
    generated = re.search(r"(\d+) generated", out)
    failures = re.search(r"(\d+) unique failures?", out)
    return (
        int(generated.group(1)) if generated else 0,
        int(failures.group(1)) if failures else (0 if done.returncode == 0 else 1),
        out if done.returncode else out[-400:],
    )


async def main(args: argparse.Namespace) -> int:
    """Fuzz as every caller; 0 when no case failed."""
    dsn = await fresh_database(args.admin_dsn, "faults_fuzz")
    # One fuzzing client from one address is not a reader population: without this, its
    # unauthenticated run would mostly meet the per-address limit (429) instead of the API.
    service = Service(dsn, 1, {"MODERATION_RATE_LIMIT_PER_ADDRESS": "0"})
    totals: dict[str, int | float | str] = {}
    failed = 0
    try:
        callers = {
            "site key": await add_site(dsn, 5, "news"),
            "owner": await add_user(dsn, 5, "chu", "news", "owner"),
            "moderator": await add_user(dsn, 5, "lan", "news", "moderator"),
            "no credential": "",
        }
        service.start()
        await service.wait_ready()
        for n, (who, token) in enumerate(callers.items()):
            cases, failures, output = await asyncio.to_thread(
                run, service.url, token, args.examples, args.seed + n
            )
            totals[f"{who}: cases / failures"] = f"{cases} / {failures}"
            failed += failures
            if failures:
                print(output)
    finally:
        service.stop()
        await drop_database(args.admin_dsn, dsn)
    report("schemathesis", totals)
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dsn = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--admin-dsn", default=default_dsn)
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
