"""Per-site learning: train a site's adapter on its moderators' decisions (on demand and in
the background), show its versions, pin, roll back or switch it off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from moderation.domain.errors import InvalidField, TrainingUnderWay
from moderation.domain.site_models import (
    AdaptOut,
    SiteModelChange,
    SiteModelOut,
    curve,
    examples,
)
from moderation.runtime.scoring import BatchScorer
from moderation.runtime.site_adapters import SiteAdapters, train
from moderation.settings import Settings
from moderation.store import Store

HISTORY = 100  # versions shown
log = logging.getLogger("moderation.adapting")


@dataclass(frozen=True)
class Adapting:
    """A site's adapter: training, versions and the owner's choices."""

    store: Store
    scorer: BatchScorer
    settings: Settings
    adapters: SiteAdapters | None = None  # announces a new version in use to every process

    async def adapt(self, site_id: int, actor: str) -> AdaptOut:
        """Train now (one trainer per site across processes); 409 while another trains."""
        async with self.store.adapter_lock(site_id) as got:
            if not got:
                raise TrainingUnderWay("site model")
            return await self._train(site_id, actor)

    async def _train(self, site_id: int, actor: str) -> AdaptOut:
        """Read the decisions, train off the event loop, store the version (adopted or not)."""
        data = examples(await self.store.adapter_training(site_id))
        model = self.scorer.model
        loop = asyncio.get_running_loop()
        trained = await loop.run_in_executor(None, train, model, data, actor)
        version, _ = await self.store.insert_adapter(site_id, trained.new)
        if trained.new.adopted:
            await self._announce(site_id)
        report = trained.report
        log.info(
            "site adapter trained",
            extra={"site_id": site_id, "version": version, "adopted": trained.new.adopted},
        )
        return AdaptOut(
            version=version,
            decisions=trained.new.decisions,
            adopted=trained.new.adopted,
            base_version=trained.new.base_version,
            labels=report["labels"],
            cpu_seconds=report["cpu_seconds"],
        )

    async def state(self, site_id: int) -> SiteModelOut:
        """The adapter in use, the owner's choices, the history and the learning curve."""
        row = await self.store.adapter_state(site_id)
        history = await self.store.adapter_history(site_id, HISTORY)
        in_use = None
        if row["adapter_enabled"]:
            in_use = row["adapter_pinned"] or row["adapter_current"]
        return SiteModelOut(
            base_version=self.scorer.version,
            enabled=row["adapter_enabled"],
            pinned=row["adapter_pinned"],
            latest_adopted=row["adapter_current"],
            in_use=in_use,
            new_decisions=int(row["new_decisions"]),
            history=history,
            learning_curve=curve(history),
        )

    async def choose(self, site_id: int, change: SiteModelChange, actor: str) -> SiteModelOut:
        """Pin a version (a roll back) or follow the latest adopted, switch on or off."""
        if not await self.store.choose_adapter(site_id, change.pinned, change.enabled, actor):
            raise InvalidField("pinned", "no such version of this site's model")
        await self._announce(site_id)
        return await self.state(site_id)

    async def _announce(self, site_id: int) -> None:
        """Every process scores the site with its version in use within a second or so; a
        lost announcement is no error (each process's site cache expires anyway)."""
        if self.adapters is None:
            return
        try:
            await self.adapters.announce(site_id)
        except Exception as exc:
            log.warning("site adapter not announced", extra={"site_id": site_id, "error": str(exc)})

    async def due(self) -> None:
        """Train every site due (enough new decisions, or the interval passed) that no other
        process is training; a site's failure is logged and the others still run."""
        minutes = self.settings.adapt_interval_minutes
        seconds = minutes * 60 if minutes > 0 else float("inf")
        for site_id in await self.store.adapter_due_sites(
            self.settings.adapt_after_decisions, min(seconds, 1e9)
        ):
            try:
                async with self.store.adapter_lock(site_id) as got:
                    if got:
                        await self._train(site_id, "system")
            except Exception as exc:
                log.error(
                    "background training failed", extra={"site_id": site_id, "error": str(exc)}
                )

    @contextlib.asynccontextmanager
    async def background(self, every: float) -> AsyncIterator[None]:
        """Check for due sites every `every` seconds while the process runs."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(every)
                with contextlib.suppress(Exception):
                    await self.due()

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
