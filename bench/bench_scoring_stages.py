"""Where the shipped model's time goes, per batch size (issue 21's lean path).

    python bench/bench_scoring_stages.py [--sizes 1 2 4 16 256] [--rounds 500]

Times `Model.score` on batches of the benchmark's comments (bench/fixed_rate.py's, about 100
characters) and each stage of its numpy reference: normalisation into the two channels, the
prefix hashes, word and character n-grams, the values (IDF at unit length), the product with
the weights and the experts' mixture (since session 14 `Model.score` runs the normalisation
and then `classifiers/compiled.py`'s pass, so its total is no longer the stages' sum).
Microseconds of CPU per batch, best of three rounds (the same texts each round,
so the weights they touch are in cache); then one new comment at a time after an idle gap
of 0, 1, 5 and 20 ms, as a service below saturation scores them; then each batch size with
the caches cold (`--cold`: 64 MB of other memory written before each batch, as the service's
workers, PostgreSQL and the client do between two of a worker's batches). Run it pinned to one
core (`taskset -c 1`) on a quiet machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from bench_hostile_bodies import timed
from fixed_rate import comment

from classifiers import load_default
from classifiers.features import _NUL, Spans
from classifiers.model import Model, project
from classifiers.normalize import channels


def per_call(run: Callable[[], object], rounds: int) -> float:
    """Microseconds of CPU a call: the best of three rounds of `rounds` calls."""
    return timed(lambda: [run() for _ in range(rounds)], 3) / rounds * 1e6


def line(model: Model, size: int, rounds: int) -> str:
    """One batch size's figures."""
    featurizer, experts = model.featurizer, len(model.experts)
    texts = [comment(n)["body"] for n in range(size)]
    marked, plain = channels(texts)
    spans = Spans.of(np.concatenate((marked, _NUL, plain)))
    hits = featurizer.hits(texts)
    values = model.weighting.values(hits)
    z = model.linear(texts)
    stages = {
        "channels": lambda: channels(texts),
        "spans": lambda: Spans.of(np.concatenate((marked, _NUL, plain))),
        "words": lambda: spans.words(featurizer.fold, size),
        "chars": lambda: spans.chars(featurizer.orders, marked.size + 1),
        "values": lambda: model.weighting.values(hits),
        "product": lambda: project(model.weights, hits, values),
        "mixture": lambda: model.mixture.apply(z[:, :experts], z[:, experts:], 3),
    }
    whole = per_call(lambda: model.score(texts), rounds)
    parts = "  ".join(f"{name} {per_call(run, rounds):.0f}" for name, run in stages.items())
    return f"{size:>5} {whole:>7.0f}us {whole / size:>7.1f}us  {parts}"


def after_idle(model: Model, gaps_ms: list[float], calls: int = 300) -> None:
    """One new comment at a time after each idle gap: microseconds a call (wall clock)."""
    texts = [comment(n)["body"] for n in range(calls)]
    print("one new comment after an idle gap (a service below saturation):")
    for gap in gaps_ms:
        spent = 0.0
        for text in texts:
            time.sleep(gap / 1000)
            start = time.perf_counter()
            model.score([text])
            spent += time.perf_counter() - start
        print(f"  gap {gap:>4.0f} ms: {spent / calls * 1e6:>5.0f} us a comment", flush=True)


def cold(model: Model, sizes: list[int], batches: int = 200) -> None:
    """Microseconds a comment (median of ``batches`` batches of new comments), with the caches
    warm and with 64 MB written before each batch."""
    other = np.ones(64 * 2**20 // 8)
    print("new comments, caches warm / cold (us a comment, median batch):")
    for size in sizes:
        texts = [comment(n)["body"] for n in range(size * batches)]
        figures = []
        for evict in (False, True):
            spent = []
            for start in range(0, len(texts), size):
                if evict:
                    other[::8] += 1  # one write a cache line
                began = time.perf_counter()
                model.score(texts[start : start + size])
                spent.append(time.perf_counter() - began)
            figures.append(float(np.median(spent)) / size * 1e6)
        print(f"  {size:>5} texts: {figures[0]:>6.1f} / {figures[1]:>6.1f}", flush=True)


def main() -> None:
    """Print one line per batch size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 16, 256])
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--idle-gaps", type=float, nargs="*", default=[0, 1, 5, 20],
                        help="ms of idleness before each comment (none: skip)")  # fmt: skip
    parser.add_argument("--cold", action="store_true", help="also time with the caches cold")
    args = parser.parse_args()
    model = load_default()
    print(f"{'texts':>5} {'score':>9} {'per text':>9}  stages (us a batch)")
    for size in args.sizes:
        print(line(model, size, max(5, args.rounds * 4 // (size + 3))), flush=True)
    if args.idle_gaps:
        after_idle(model, args.idle_gaps)
    if args.cold:
        cold(model, args.sizes)


if __name__ == "__main__":
    main()
