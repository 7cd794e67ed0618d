"""Load POST /v1/comments with varied traffic; report req/s, latency and event-loop stalls.

python bench/intake_load.py --url http://127.0.0.1:8000 --key sk_... [--concurrency 64]

Each request is a new author (email, IP) and a new text. While it runs, a probe calls
/healthz every 20 ms: its latency shows how long the server's event loop was blocked.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import statistics
import time

import aiohttp

VOCABULARY = (
    "bài viết rất hay cảm ơn tác giả tôi không đồng ý với ý kiến này thông tin hữu ích "
    "great article thanks for sharing I disagree with the author interesting point of view "
    "mua ngay giảm giá sốc click here buy now cheap casino đồ ngu you idiot"
)
WORDS = VOCABULARY.split()


def payload(i: int) -> dict[str, str]:
    """A new comment from a new author."""
    rng = random.Random(i)
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
    return {
        "thread": f"bai-viet-{i % 50}",
        "name": f"Người dùng {i}",
        "email": f"user{i}@example.com",
        "body": f"{body} #{i}",
        "author_ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
    }


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


async def worker(
    session: aiohttp.ClientSession,
    args: argparse.Namespace,
    counter: list[int],
    latencies: list[float],
    statuses: collections.Counter[int],
    stop: float,
) -> None:
    """Post comments back to back until the deadline."""
    headers = {"Authorization": f"Bearer {args.key}"}
    while time.monotonic() < stop:
        counter[0] += 1
        started = time.perf_counter()
        async with session.post(
            f"{args.url}/v1/comments", json=payload(counter[0]), headers=headers
        ) as response:
            await response.read()
        latencies.append(time.perf_counter() - started)
        statuses[response.status] += 1


async def probe(session: aiohttp.ClientSession, url: str, stop: float, out: list[float]) -> None:
    """Time /healthz every 20 ms."""
    while time.monotonic() < stop:
        started = time.perf_counter()
        async with session.get(f"{url}/healthz") as response:
            await response.read()
        out.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)


async def main(args: argparse.Namespace) -> None:
    """Run the load and print the figures."""
    latencies: list[float] = []
    health: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    connector = aiohttp.TCPConnector(limit=args.concurrency + 1)
    async with aiohttp.ClientSession(connector=connector) as session:
        stop = time.monotonic() + args.seconds
        begun = time.perf_counter()
        counter = [args.offset]  # shared: every request is a new author and text
        await asyncio.gather(
            probe(session, args.url, stop, health),
            *(
                worker(session, args, counter, latencies, statuses, stop)
                for _ in range(args.concurrency)
            ),
        )
        elapsed = time.perf_counter() - begun
    rate = len(latencies) / elapsed
    print(f"requests {len(latencies)}  {rate:.0f} req/s  statuses {dict(statuses)}")
    print(
        f"POST latency ms  p50 {percentile(latencies, 50):.1f}  p99 {percentile(latencies, 99):.1f}"
    )
    p50, p99 = percentile(health, 50), percentile(health, 99)
    worst, mean = 1000 * max(health, default=0), 1000 * statistics.fmean(health or [0])
    print(
        f"/healthz during load ms  p50 {p50:.1f}  p99 {p99:.1f}  max {worst:.1f}  mean {mean:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--offset", type=int, default=random.randint(0, 10**9))
    asyncio.run(main(parser.parse_args()))
