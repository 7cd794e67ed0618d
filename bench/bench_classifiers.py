"""Scoring speed of the shipped model on one core: batches of 256 and single comments.

Run: ``python bench/bench_classifiers.py [--data ../shared/data]``.  Texts are the dev splits
of the Vietnamese and English sets when the data folder is there (a realistic mix of lengths),
otherwise the project's own examples.  Also prints the process's peak RSS after loading.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

from classifiers import load_default
from classifiers.datasets import default_root, load, own_examples


def texts_for_bench(root: Path | None, limit: int) -> list[str]:
    if root is not None:
        texts = [e.text for e in load(root, own=False) if e.split == "dev"]
    else:
        texts = [e.text for e in own_examples()]
    # interleave sources so every batch is a mix
    texts = texts[::3] + texts[1::3] + texts[2::3]
    return (texts * (limit // max(len(texts), 1) + 1))[:limit]


def naive_reference(texts: list[str]) -> tuple[float, float]:
    """The issue's reference point: char n-gram HashingVectorizer + LogisticRegression."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=2**20)
    clf = LogisticRegression().fit(vec.transform(texts[:2000]), [i % 2 for i in range(2000)])
    start = time.perf_counter()
    for i in range(0, 5120, 256):
        clf.predict_proba(vec.transform(texts[i : i + 256]))
    rate = 5120 / (time.perf_counter() - start)
    times = []
    for t in texts[:500]:
        start = time.perf_counter()
        clf.predict_proba(vec.transform([t]))
        times.append(time.perf_counter() - start)
    return rate, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=default_root())
    parser.add_argument("--n", type=int, default=25_600)
    parser.add_argument("--single", type=int, default=3_000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    model = load_default()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    texts = texts_for_bench(args.data, args.n)
    mean_len = statistics.mean(len(t) for t in texts)
    model.score(texts[:256])  # warm up
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for i in range(0, len(texts), 256):
            model.score(texts[i : i + 256])
        best = max(best, len(texts) / (time.perf_counter() - start))
    times = []
    for t in texts[: args.single]:
        start = time.perf_counter()
        model.score([t])
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"model {model.version}; {len(texts)} texts, mean length {mean_len:.0f} chars")
    print(f"batch of 256: {best:,.0f} comments/s (best of 3, one core)")
    print(
        f"single comment: median {statistics.median(times) * 1e3:.3f} ms,"
        f" p99 {times[int(len(times) * 0.99)] * 1e3:.3f} ms"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB after scoring, {rss_mb:.0f} MB after loading")
    rate, single = naive_reference(texts)
    print(
        f"naive reference (one label): {rate:,.0f} comments/s, single median {single * 1e3:.3f} ms"
    )


if __name__ == "__main__":
    main()
