"""Cost of matching a site's word lists against one comment (moderation.terms), one core.

Run: ``python bench/bench_terms.py [--terms 5000] [--data ../shared/data] [--hostile]``.
Comments are the dev splits of the Vietnamese and English sets when the data folder is there,
otherwise generated sentences. Terms are rarer words and two- and three-syllable phrases from
the same texts (see term_lists), half blocked, half watched. Prints the compile time, the
mean and p99 per comment with the syllable memo warm (steady state) and cold (every comment
seen through a fresh memo), and the hit rate.

``--hostile`` instead times the lists of a hostile review against a normal list of the same
size, each on a hostile body and on normal comments joined to the same 10,000 characters
(CPU ms, best of 5): 2 x 5,000 phrases sharing their first two words ("mua ban x0001", ...)
with the body "mua ban " * 1250, and 200 realistic phrases starting "mua bán" with the body
"mua bán " * 1250. The ratio is the worst hostile time over the normal list on normal text:
the target is 5 or less.
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from moderation.domain.terms import Terms, syllables

_SENTENCE = (
    "bài viết rất hay cảm ơn tác giả mình ở hà nội đồ ngu không biết gì hoà bình thủy "
    "giảm giá sốc liên hệ ngay mua bán nhà đất quận huyện thành phố người dân chính phủ "
    "great article thanks for sharing buy now cheap casino idiot stupid you are"
)
_WORDS = _SENTENCE.split()


def comments(root: Path | None, limit: int) -> list[str]:
    """Real dev comments when available, else generated ones."""
    if root is not None and root.exists():
        from classifiers.datasets import load

        texts = [e.text for e in load(root, own=False) if e.split == "dev"]
        random.Random(1).shuffle(texts)
        return texts[:limit]
    rng = random.Random(1)
    return [" ".join(rng.choices(_WORDS, k=rng.randint(5, 40))) for _ in range(limit)]


def term_lists(texts: list[str], count: int) -> tuple[list[str], list[str]]:
    """`count` distinct terms from the texts' vocabulary, split blocked / watched.

    Real lists hold slurs and spam words, not "là" or "the": one in ten terms is a word
    ranked 2,000th or lower in the texts, the others two- or three-syllable phrases of
    words from the 3,000 commonest (a few occur in the texts, most do not).
    """
    rng = random.Random(2)
    words = [w.lower() for t in texts[:3000] for _, _, w in syllables(t) if len(w) > 1]
    ranked = [w for w, _ in Counter(words).most_common()]
    found = set(ranked[2000 : 2000 + count // 10])
    while len(found) < count:
        found.add(" ".join(rng.sample(ranked[:3000], rng.choice((2, 3)))))
    terms = sorted(found)
    rng.shuffle(terms)
    return terms[: count // 2], terms[count // 2 :]


def per_comment(terms: Terms, texts: list[str], cold: bool) -> list[float]:
    """Seconds per comment."""
    out = []
    for text in texts:
        if cold:
            terms._memo.clear()  # measure the worst case
        start = time.process_time()  # CPU time: other jobs share this machine's cores
        terms.find(text)
        out.append(time.process_time() - start)
    return out


_GOODS = ["nhà", "đất", "chung", "cư", "căn", "hộ", "giá", "rẻ", "quận", "huyện", "xe", "máy",
          "điện", "thoại", "sim", "số", "đẹp", "vàng", "bạc", "ô", "tô", "đồng", "hồ"]  # fmt: skip


def hostile_lists() -> dict[str, tuple[list[str], list[str], str]]:
    """The hostile review's lists, each with the body that made it stall."""
    rng = random.Random(3)
    phrases: set[str] = set()
    while len(phrases) < 200:
        phrases.add("mua bán " + " ".join(rng.sample(_GOODS, rng.randint(1, 3))))
    shared = (
        [f"mua ban x{i:04d}" for i in range(5000)],
        [f"mua ban y{i:04d}" for i in range(5000)],
        "mua ban " * 1250,
    )
    return {
        "2 x 5,000 sharing 'mua ban'": shared,
        "200 starting 'mua bán'": (sorted(phrases), [], "mua bán " * 1250),
    }


def best_ms(step: Callable[[], object], repeat: int = 5) -> float:
    """Best CPU milliseconds of `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        step()
        best = min(best, time.process_time() - start)
    return best * 1000


def timed_list(lists: tuple[list[str], list[str]], bodies: list[str]) -> list[float]:
    """Compile CPU ms, then find() CPU ms on each body."""
    start = time.process_time()
    terms = Terms(*lists)
    out = [(time.process_time() - start) * 1000]
    for body in bodies:
        out.append(best_ms(functools.partial(terms.find, body)))
    return out


def hostile_report(texts: list[str]) -> None:
    """The hostile lists and bodies beside normal lists and text of the same sizes."""
    rng = random.Random(4)
    normal_body = ""
    while len(normal_body) < 10_000:
        normal_body += rng.choice(texts) + " "
    normal_body = normal_body[:10_000]
    print("list                          terms  compile ms  hostile body  normal body  ratio")
    for name, (blocked, watched, body) in hostile_lists().items():
        size = len(blocked) + len(watched)
        normal = timed_list(term_lists(texts, size), [body, normal_body])
        hostile = timed_list((blocked, watched), [body, normal_body])
        for label, row in ((name, hostile), ("  normal list, same size", normal)):
            ratio = max(row[1:]) / normal[2]
            cells = f"{row[0]:12.0f}{row[1]:14.2f}{row[2]:13.2f}{ratio:7.1f}"
            print(f"{label:28s}{size:7d}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terms", type=int, default=5000)
    parser.add_argument("--comments", type=int, default=20000)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--hostile", action="store_true")
    args = parser.parse_args()
    texts = comments(args.data, args.comments)
    if args.hostile:
        hostile_report(texts)
        return
    blocked, watched = term_lists(texts, args.terms)
    start = time.perf_counter()
    terms = Terms(blocked, watched)
    compiled = time.perf_counter() - start
    mean_len = statistics.mean(len(t) for t in texts)
    print(f"{len(texts)} comments, mean {mean_len:.0f} chars; {terms.size} terms")
    print(f"compile: {compiled * 1000:.1f} ms")
    per_comment(terms, texts, cold=False)  # warm the memo
    for label, cold in (("warm", False), ("cold", True)):
        times = sorted(per_comment(terms, texts, cold))
        p99 = times[int(len(times) * 0.99)]
        mean = statistics.mean(times)
        print(f"{label}: mean {mean * 1e6:.1f} us, p50 {times[len(times) // 2] * 1e6:.1f} us,"
              f" p99 {p99 * 1e6:.1f} us per comment")  # fmt: skip
    hits = sum(1 for t in texts if terms.find(t))
    print(f"comments with a hit: {hits / len(texts):.1%}")


if __name__ == "__main__":
    main()
