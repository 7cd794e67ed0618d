"""The micro-batching scorer."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from moderation.runtime.scoring import BatchScorer, import_scorer
from tests.standin import KeywordScorer


async def test_concurrent_requests_share_batches() -> None:
    model = KeywordScorer()
    seen: list[int] = []
    with ThreadPoolExecutor(1) as pool:
        batcher = BatchScorer(model, pool, 16, lambda size, _: seen.append(size))
        texts = [f"comment {i}" for i in range(40)] + ["buy now, casino"]
        results = await asyncio.gather(*(batcher.score(t) for t in texts))
    assert len(results) == 41
    assert results[-1]["spam"] == 0.99
    assert all(r["spam"] == 0.01 for r in results[:-1])
    assert sum(model.batches) == 41
    assert max(model.batches) == 16  # capped, and more than one comment per batch
    assert seen == model.batches


async def test_short_batches_score_on_the_loop_long_ones_in_a_thread() -> None:
    threads: list[int] = []

    class Where(KeywordScorer):
        def score(self, texts: list[str]) -> list[dict[str, float]]:
            threads.append(threading.get_ident())
            return super().score(texts)

    model = Where()
    with ThreadPoolExecutor(1) as pool:
        batcher = BatchScorer(model, pool, 8, inline_chars=100)
        short = await batcher.score("x" * 100)
        long = await batcher.score("casino " + "x" * 100)
    assert (short["spam"], long["spam"]) == (0.01, 0.99)
    loop_thread = threading.get_ident()
    assert threads[0] == loop_thread
    assert threads[1] != loop_thread


@pytest.mark.parametrize("inline_chars", [0, 1000])
async def test_model_failure_reaches_every_waiter(inline_chars: int) -> None:
    class Broken(KeywordScorer):
        def score(self, texts: list[str]) -> list[dict[str, float]]:
            raise RuntimeError("model broke")

    with ThreadPoolExecutor(1) as pool:
        batcher = BatchScorer(Broken(), pool, 8, inline_chars=inline_chars)
        outcomes = await asyncio.gather(
            *(batcher.score("x") for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(o, RuntimeError) for o in outcomes)
        with pytest.raises(RuntimeError, match="model broke"):
            await batcher.score("later")


def test_import_scorer_by_name() -> None:
    factory = import_scorer("tests.standin:load")
    assert factory().version == "standin-keywords-1"
    with pytest.raises(AttributeError):
        import_scorer("tests.standin:nothing")


async def test_wrong_number_of_scores_fails_instead_of_hanging() -> None:
    class Short(KeywordScorer):
        def score(self, texts: list[str]) -> list[dict[str, float]]:
            return super().score(texts)[:-1]

    with ThreadPoolExecutor(1) as pool:
        batcher = BatchScorer(Short(), pool, 8)
        outcomes = await asyncio.gather(
            batcher.score("a"), batcher.score("b"), return_exceptions=True
        )
    assert all(isinstance(o, RuntimeError) for o in outcomes)


async def test_explain_keeps_order_across_executor_jobs() -> None:
    with ThreadPoolExecutor(1) as pool:
        batcher = BatchScorer(KeywordScorer(), pool, 8)
        texts = [f"bình luận {i}" + (" casino" if i % 7 == 0 else "") for i in range(25)]
        found = await batcher.explain(texts, top=2, chunk=4)
    assert len(found) == 25
    assert [i for i, spans in enumerate(found) if spans["spam"]] == [0, 7, 14, 21]
    assert found[7]["spam"][0]["start"] == texts[7].index("casino")
