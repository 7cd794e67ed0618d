"""Open-loop load at a fixed rate: latency below saturation, without coordinated omission.

    python bench/fixed_rate.py --url http://127.0.0.1:8000 --key sk_... --rate 1000 --seconds 20

Request i is due at start + i/rate whether or not earlier ones have answered; its latency is
counted from when it was due, so a stalled server shows up in the figures instead of slowing
the load down. Every request is a new author (email, author_ip) and a new text.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import time

import aiohttp
import uvloop

SENTENCES = (
    "Bài viết rất hay, cảm ơn tác giả đã chia sẻ thông tin hữu ích.",
    "Tôi không đồng ý với quan điểm này, cần xem xét thêm nhiều mặt.",
    "bai viet hay qua, cam on ban nhieu nhe",
    "ko biet dc bao gio moi xong du an nay nua",
    "Great article, thanks for sharing these details.",
    "I disagree with the author, the data tells a different story.",
    "Nhận làm thẻ tín dụng, vay tiền nhanh, liên hệ zalo ngay hôm nay.",
    "Cheap casino bonus, visit our site now for free spins!",
    "đồ ngu như bò, viết bài như shit",
    "Mong chính quyền sớm sửa lại con đường này, đi lại rất khó khăn.",
)


def word(n: int) -> str:
    """A made-up word unique to n (consonant-vowel syllables: no digits, no doubled letters).

    Duplicate detection ignores digits, case and stretched letters, so a number alone would
    not make a text new."""
    syllables = []
    while True:
        n, rest = divmod(n, 80)
        syllables.append("bcdghklmnpqrstvx"[rest // 5] + "aeiou"[rest % 5])
        if n == 0:
            return "".join(syllables)


def comment(n: int) -> dict[str, str]:
    """Comment number n: a new author and a new text."""
    rng = random.Random(n)
    body = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 3)))
    return {
        "thread": f"bai-viet-{n % 500}",
        "name": f"Bạn đọc {n % 1000}",
        "email": f"reader{n}@example.vn",
        "body": f"{body} ({word(n)})",
        "author_ip": address(n),
    }


def address(n: int) -> str:
    """A new address for request n, in another /24 than the requests just before and after.

    Real comments come from many networks; a counter's consecutive addresses would put
    hundreds of requests in a row behind one /24, which the per-IP flood limit serialises.
    Multiplying by an odd number is a bijection modulo 2**24: unique among 16M requests."""
    p = (n * 40503) % (1 << 24)
    return f"10.{p >> 16}.{(p >> 8) & 255}.{p & 255}"


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


async def run(args: argparse.Namespace) -> None:
    """Send at the fixed rate, then print the figures."""
    latencies: list[float] = []
    statuses: collections.Counter[str] = collections.Counter()
    headers = {"Authorization": f"Bearer {args.key}"}
    total = int(args.rate * args.seconds)
    offset = random.randint(0, 10**9)
    connector = aiohttp.TCPConnector(limit=args.connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int, due: float) -> None:
            try:
                async with session.post(
                    f"{args.url}/v1/comments", json=comment(offset + i), headers=headers
                ) as answer:
                    await answer.read()
                    statuses[str(answer.status)] += 1
            except aiohttp.ClientError as exc:
                statuses[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.1
        tasks = []
        for i in range(total):
            due = start + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        lag = time.perf_counter() - (start + total / args.rate)
    print(
        f"RESULT rate={args.rate:.0f}/s sent={total} p50_ms={percentile(latencies, 50):.2f} "
        f"p99_ms={percentile(latencies, 99):.2f} max_ms={1000 * max(latencies):.1f} "
        f"finished_late_s={lag:.2f} statuses={dict(statuses)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=256)
    uvloop.run(run(parser.parse_args()))
