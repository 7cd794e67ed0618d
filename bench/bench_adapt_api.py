"""How long the on-demand POST /v1/sites/{site}/model/adapt takes for N decisions.

    DATABASE_URL=... python bench/bench_adapt_api.py [--decisions 1000] [--abuse 0] [--runs 3]

On a real database (DATABASE_URL, else the embedded server) and the real service with the
shipped model (in this process, on a free port): a new site; N comments of ViSpamReviews'
train split posted with its site key and decided spam / not_spam by a moderator through
``POST /v1/sites/{site}/decisions`` (and, with ``--abuse M``, M comments of ViHSD's train
split decided reject / approve, a second label to train); then the owner calls
``POST /v1/sites/{site}/model/adapt`` ``--runs`` times and the wall-clock time of each answer
is printed with the training CPU the answer reports. Target (issue 22): <= 30 s for 1,000
decisions.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from feedback_demo import Api, served  # noqa: E402  (the same calls as a site, moderator, owner)

from classifiers.datasets import default_root  # noqa: E402
from moderation.settings import Settings  # noqa: E402
from moderation.store.embedded import database_url  # noqa: E402

CHUNK = 100  # ids per bulk decision (the API's limit)


def rows(path: Path, text: str, label: str, n: int, seed: int) -> list[tuple[str, bool]]:
    """n random (text, positive) rows of a CSV, both kinds present."""
    with path.open(encoding="utf-8", newline="") as f:
        found = [(r[text], r[label] not in ("0", "")) for r in csv.DictReader(f) if r[text]]
    return random.Random(seed).sample(found, n)


async def decide(
    api: Api, slug: str, key: str, moderator: str, items: list[tuple[str, bool]],
    actions: tuple[str, str], offset: int,
) -> None:  # fmt: skip
    """Post each comment with the site key; decide them in bulk (positive, negative)."""
    ids: dict[str, list[str]] = {actions[0]: [], actions[1]: []}
    for i, (text, positive) in enumerate(items):
        n = offset + i
        posted = await api.post(key, f"t{n % 50}", text[:5000], n)
        ids[actions[0] if positive else actions[1]].append(posted["id"])
    for action, chosen in ids.items():
        for start in range(0, len(chosen), CHUNK):
            body = {"ids": chosen[start : start + CHUNK], "action": action}
            await api.call("POST", f"/v1/sites/{slug}/decisions", moderator, body)


async def bench(dsn: str, data: Path, args: argparse.Namespace, workdir: Path) -> None:
    async with served(dsn, workdir, "adapt-bench") as site:
        api, slug = site.api, site.api.slug
        started = time.perf_counter()
        spam = rows(data / "vispamreviews" / "train.csv", "Comment", "Label", args.decisions, 1)
        await decide(api, slug, site.key, site.moderator, spam, ("spam", "not_spam"), 0)
        if args.abuse:
            abuse = rows(data / "vihsd" / "train.csv", "free_text", "label_id", args.abuse, 2)
            await decide(api, slug, site.key, site.moderator, abuse, ("reject", "approve"), 10**6)
        took = time.perf_counter() - started
        print(f"site {slug}: {args.decisions:,} spam decisions, {args.abuse:,} abuse "
              f"decisions posted in {took:.0f} s", flush=True)  # fmt: skip
        times = []
        for run in range(args.runs):
            started = time.perf_counter()
            out = await api.call("POST", f"/v1/sites/{slug}/model/adapt", site.owner)
            times.append(time.perf_counter() - started)
            labels = {
                name: f"{f['base_auc']} -> {f['adapted_auc']}"
                for name, f in out["labels"].items()
                if f["trained"]
            }
            print(f"  adapt {run + 1}: {times[-1]:.2f} s (training CPU "
                  f"{out['cpu_seconds']} s), version {out['version']}, "
                  f"{out['decisions']} decisions, adopted {out['adopted']}, "
                  f"out-of-fold AUC {labels}", flush=True)  # fmt: skip
        print(f"POST /v1/sites/{{site}}/model/adapt, {args.decisions + args.abuse:,} "
              f"decisions: median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s over {len(times)} runs")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_root(), help="../shared/data")
    parser.add_argument("--decisions", type=int, default=1000, help="spam decisions")
    parser.add_argument("--abuse", type=int, default=0, help="abuse decisions too")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.data is None or not (args.data / "CARD.md").exists():
        parser.error("no data folder: pass --data (the shared data sets)")
    with (
        tempfile.TemporaryDirectory(prefix="adapt-bench-") as tmp,
        database_url(Settings(data_dir=Path(tmp))) as dsn,
    ):
        asyncio.run(bench(dsn, args.data, args, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
