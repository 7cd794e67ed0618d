"""The micro-batching scorer."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from moderation.runtime.scoring import Adapted, BatchScorer, import_scorer, score_batch
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


@pytest.fixture(scope="module")
def real_model() -> Any:
    from classifiers import load_default

    return load_default()


def base_passes(model: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the base passes (``Model.scoring_pass``) ``model`` makes from now on."""
    passes: list[int] = []
    scoring_pass = type(model).scoring_pass

    def counted(self: Any, batch: list[str]) -> Any:
        passes.append(len(batch))
        return scoring_pass(self, batch)

    monkeypatch.setattr(type(model), "scoring_pass", counted)
    return passes


def test_a_mixed_batch_scores_as_each_site_alone_with_one_base_pass(
    real_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifiers.adapter import Adapter, train_adapter
    from tests.unit.test_adapter import NEW, PATTERN, site

    model = real_model
    texts_a, labels_a = site(240)
    texts_b, labels_b = site(200, seed=11)
    first = train_adapter(model, texts_a, {"spam": labels_a}).adapter
    second = train_adapter(model, texts_b, {"spam": [1 - y for y in labels_b]}).adapter
    meta, arrays = first.to_arrays()
    stale = Adapter.from_arrays(dict(meta, base_version="another"), arrays)  # another model's
    groups: list[tuple[Adapted | None, list[str]]] = [
        ((first, 3), [NEW[0], "Mua hàng " + PATTERN, "xin chào"]),
        ((second, 8), [NEW[1], "Đọc xong thấy buồn " + PATTERN]),
        (None, [NEW[2], "Giá xăng lại tăng rồi"]),
        ((stale, 2), [NEW[3], "Thông tin hữu ích nhé"]),
        ((second, 8), ["một mình " + PATTERN]),
    ]
    alone: list[tuple[dict[str, float], int | None]] = []
    for adapted, texts in groups:
        if adapted is None or adapted[0] is stale:
            alone += [(row, None) for row in model.score(texts)]
        else:
            alone += [(row, adapted[1]) for row in adapted[0].score(model, texts)]
    order = [0, 3, 1, 2, 4]  # the sites' texts interleaved in one batch
    texts = [t for i in order for t in groups[i][1]]
    adapters = [groups[i][0] for i in order for _ in groups[i][1]]
    expected = [alone[sum(len(g[1]) for g in groups[:i]) + j]
                for i in order for j in range(len(groups[i][1]))]  # fmt: skip

    passes = base_passes(model, monkeypatch)
    mixed = score_batch(model, texts, adapters)
    assert passes == [len(texts)]  # one tokenisation and base pass for every site
    # The same numbers as each site's texts scored alone, float32 rounding apart: a batch of
    # up to 6 texts (each site's here) takes the base's dense product, a larger one the
    # sparse one, which sum in another order (as the base model's own scores of a text alone
    # and in a batch).
    assert [v for _, v in mixed] == [v for _, v in expected]
    assert [v for _, v in mixed] == [3, 3, 3, None, None, 8, 8, None, None, 8]
    for (row, _), (alone_row, _) in zip(mixed, expected, strict=True):
        assert row.keys() == alone_row.keys()
        assert all(abs(row[k] - alone_row[k]) < 1e-6 for k in row), (row, alone_row)


def test_one_sites_batch_is_scored_in_one_compiled_call(
    real_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch whose texts share one adapter (one site's comments, or a comment alone) takes
    the adapter's single call (no separate base pass), with the same numbers as the base's
    pass then the adapter's step."""
    from classifiers.adapter import adapt_batch, base_pass, train_adapter
    from tests.unit.test_adapter import NEW, PATTERN, site

    model = real_model
    texts_a, labels_a = site(240)
    adapter = train_adapter(model, texts_a, {"spam": labels_a}).adapter
    texts = [*NEW, "Mua hàng " + PATTERN]
    expected = adapt_batch(model, base_pass(model, texts), [adapter] * len(texts))
    passes = base_passes(model, monkeypatch)
    for batch, rows in ((texts, expected), (texts[-1:], expected[-1:])):
        got = score_batch(model, batch, [(adapter, 4)] * len(batch))
        assert [v for _, v in got] == [4] * len(batch)
        assert [list(row.values()) for row, _ in got] == rows.tolist()
    assert passes == []  # no base pass apart


async def test_the_service_warms_its_model_as_it_loads_and_reloads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where no compiled code is cached yet, the first comment would wait 10 - 15 s for the
    compiler: the model's scoring paths are compiled as it loads, at start and on reload,
    off the event loop (``classifiers.adapter.warm``)."""
    import classifiers.adapter as module
    from moderation.runtime.scoring import checked, warmed

    warm = module.warm
    warmed_models: list[Any] = []
    monkeypatch.setattr(module, "warm", warmed_models.append)
    model = KeywordScorer()
    assert warmed(lambda: model) is model
    assert checked(lambda: model) is model
    assert warmed_models == [model, model]
    warm(model)  # a model that is not the classifiers' own is left alone
