"""The scorer interface and a micro-batcher that keeps scoring off the event loop."""

from __future__ import annotations

import asyncio
import functools
import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from moderation.domain.errors import ModelLoadFailed

if TYPE_CHECKING:
    from moderation.settings import Settings

DEFAULT_SCORER = "classifiers:load_default"
MODEL_DIR_LOADER = "classifiers:load_dir"
ADAPTER_MODULE = "classifiers.adapter"  # sites' adapters: loaded by name, as the model is


class Scorer(Protocol):
    """What the service needs from a classifier (classifiers.load_default() provides it)."""

    @property
    def version(self) -> str:
        """The model's version string."""
        ...

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        """Scores in [0, 1] per label for each text; thread-safe."""
        ...

    def explain(
        self, text: str, top: int = 5, floors: Mapping[str, float] | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Evidence spans per label, only for labels whose score reaches its floor (None: the
        model's own hold thresholds); whole words, never function words."""
        ...


def import_scorer(path: str) -> Callable[[], Scorer]:
    """The factory named "module:function" (default classifiers:load_default)."""
    module_name, _, function = path.partition(":")
    factory: Callable[[], Scorer] = getattr(importlib.import_module(module_name), function)
    return factory


def load_model_dir(folder: Path) -> Scorer:
    """The model a model directory's CURRENT names, read now (classifiers.load_dir)."""
    module_name, _, function = MODEL_DIR_LOADER.partition(":")
    loader: Callable[[Path], Scorer] = getattr(importlib.import_module(module_name), function)
    return loader(folder)


class ModelDirectory:
    """Loads the model a model directory's CURRENT file names."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self) -> Scorer:
        """The model CURRENT names, read now."""
        return load_model_dir(self.folder)

    def named(self) -> str | None:
        """The version CURRENT names now, without loading it (None when there is no CURRENT)."""
        try:
            return (self.folder / "CURRENT").read_text(encoding="utf-8").strip() or None
        except OSError:
            return None


def scorer_factory(settings: Settings) -> Callable[[], Scorer]:
    """What loads the model: from MODERATION_MODEL_DIR when set, else MODERATION_SCORER."""
    if settings.model_dir is not None:
        return ModelDirectory(settings.model_dir)
    return import_scorer(settings.scorer)


def warmed(load: Callable[[], Scorer]) -> Scorer:
    """A freshly loaded model with every scoring path compiled (the classifiers adapter
    module's ``warm``): where no compiled code is cached yet, the first comment would wait
    for the compiler, 10 - 15 s. Run off the event loop."""
    model = load()
    warm: Callable[[Any], None] | None = getattr(
        importlib.import_module(ADAPTER_MODULE), "warm", None
    )
    if warm is not None:
        warm(model)
    return model


def checked(load: Callable[[], Scorer]) -> Scorer:
    """A freshly loaded model, warmed, that scores a probe text with numbers in [0, 1] (else
    raises)."""
    model = warmed(load)
    [probe] = model.score(["Xin chào, bài viết rất hay! Hello, nice article."])
    if not probe or not all(isinstance(v, float) and 0 <= v <= 1 for v in probe.values()):
        raise ValueError(f"the model's scores are not probabilities: {probe!r}")
    if not isinstance(model.version, str) or not model.version:
        raise ValueError("the model has no version")
    return model


class SiteAdapter(Protocol):
    """A site's adapter over the model (classifiers.adapter.Adapter provides it)."""

    def applies_to(self, model: Any) -> bool:
        """Whether it was trained on this model."""
        ...

    def score(self, model: Any, texts: list[str]) -> list[dict[str, float]]:
        """Adapted scores per label for each text."""
        ...

    @property
    def nbytes(self) -> int:
        """The memory it holds once it has scored (a process keeps a budget of it)."""
        ...

    def prepare(self, model: Any) -> None:
        """Build what scoring with this model needs now (off the event loop)."""
        ...


Adapted = tuple[SiteAdapter, int]  # an adapter and its version for the site
Scored = tuple[dict[str, float], str, int | None]  # scores, model version, adapter version
Pending = tuple[str, "Adapted | None", "asyncio.Future[Scored]"]


def score_batch(
    model: Scorer, texts: list[str], adapters: list[Adapted | None]
) -> list[tuple[dict[str, float], int | None]]:
    """Each text's scores, with its site's adapter where it applies to the model; a text
    without one (or whose adapter was trained on another model) scores exactly as the base.

    A batch whose texts share one adapter (one site's, or a comment alone) is scored by it
    in one pass (``SiteAdapter.score``). With several sites' adapters in the batch, the base
    model runs once over the whole batch (the classifiers' ``base_pass``) and each site's
    adapter works on its own rows of that pass (``adapt_batch``): the same numbers as
    scoring each site's texts alone, one tokenisation and one base pass however many sites
    share the batch."""
    used = [a if a is not None and a[0].applies_to(model) else None for a in adapters]
    if not any(used):
        scores = model.score(texts)
        if len(scores) != len(texts):
            raise RuntimeError(f"model returned {len(scores)} scores for {len(texts)} texts")
        return [(row, None) for row in scores]
    first = used[0]
    if first is not None and all(a is not None and a[0] is first[0] for a in used):
        rows = first[0].score(model, texts)
        return [(row, a[1] if a else None) for row, a in zip(rows, used, strict=True)]
    module = importlib.import_module(ADAPTER_MODULE)
    shared = module.base_pass(model, texts)
    p = module.adapt_batch(model, shared, [a[0] if a else None for a in used]).tolist()
    labels: Sequence[str] = model.labels  # type: ignore[attr-defined]
    return [
        (dict(zip(labels, row, strict=True)), a[1] if a else None)
        for row, a in zip(p, used, strict=True)
    ]


class BatchScorer:
    """Scores concurrent requests together, one batch at a time: short batches on the event
    loop, longer ones in an executor thread."""

    def __init__(
        self,
        model: Scorer,
        executor: Executor,
        max_batch: int,
        observe: Callable[[int, float], None] = lambda size, seconds: None,
        inline_chars: int = 0,
    ) -> None:
        self.model = model
        self._executor = executor
        self._max_batch = max_batch
        self._observe = observe
        self._inline_chars = inline_chars
        self._pending: list[Pending] = []
        self._drainer: asyncio.Task[None] | None = None
        self._reloading = asyncio.Lock()

    @property
    def version(self) -> str:
        """The model's version."""
        return self.model.version

    async def explain(
        self,
        texts: list[str],
        top: int,
        floors: Mapping[str, float] | None = None,
        chunk: int = 10,
    ) -> list[dict[str, list[dict[str, Any]]]]:
        """Evidence spans per label for each text (labels at or above their floor), in
        executor jobs of `chunk` texts.

        Small jobs, awaited one after another, let intake's scoring batches run in between.
        """
        loop = asyncio.get_running_loop()
        found: list[dict[str, list[dict[str, Any]]]] = []
        for start in range(0, len(texts), chunk):
            part = texts[start : start + chunk]
            job = functools.partial(self._explain, part, top, floors)
            found += await loop.run_in_executor(self._executor, job)
        return found

    def _explain(
        self, texts: list[str], top: int, floors: Mapping[str, float] | None
    ) -> list[dict[str, list[dict[str, Any]]]]:
        """The model's explain() of each text (in an executor thread)."""
        return [self.model.explain(text, top, floors) for text in texts]

    async def score(self, text: str) -> dict[str, float]:
        """Scores of one text, batched with whatever else is waiting."""
        scores, _ = await self.score_versioned(text)
        return scores

    async def score_versioned(self, text: str) -> tuple[dict[str, float], str]:
        """Scores of one text and the version of the model that computed them."""
        scores, version, _ = await self.score_adapted(text, None)
        return scores, version

    async def score_adapted(self, text: str, adapter: Adapted | None) -> Scored:
        """Scores of one text with its site's adapter (when it applies to the model): the
        scores, the model's version and the adapter version used (None: the base alone)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Scored] = loop.create_future()
        self._pending.append((text, adapter, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def reload(self, load: Callable[[], Scorer]) -> tuple[str, str]:
        """Load a model off the event loop and swap it in; (its version, the previous one).

        Loading runs in the default executor, not the scoring threads, so intake keeps
        scoring with the current model meanwhile; the swap is one assignment between two
        batches. A model that fails to load or to score raises ModelLoadFailed and changes
        nothing. Concurrent reloads run one after another.
        """
        async with self._reloading:
            previous = self.model.version
            try:
                model = await asyncio.get_running_loop().run_in_executor(None, checked, load)
            except Exception as exc:
                raise ModelLoadFailed(f"{type(exc).__name__}: {exc}") from exc
            self.model = model
            return model.version, previous

    async def _drain(self) -> None:
        """Score waiting texts batch by batch until none are left."""
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            await self._run(batch)

    async def _run(self, batch: Sequence[Pending]) -> None:
        """Score one batch in the executor and resolve its futures, whatever happens."""
        texts = [text for text, _, _ in batch]
        adapters = [adapter for _, adapter, _ in batch]
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        model = self.model  # a reload may swap it meanwhile; this batch is this model's
        try:
            if sum(map(len, texts)) <= self._inline_chars:
                results = score_batch(model, texts, adapters)
            else:
                job = (model, texts, adapters)
                results = await loop.run_in_executor(self._executor, score_batch, *job)
        except Exception as exc:  # every waiter gets the error rather than waiting forever
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self._observe(len(batch), time.perf_counter() - started)
        for (_, _, future), (scores, used) in zip(batch, results, strict=True):
            if not future.done():
                future.set_result((scores, model.version, used))
