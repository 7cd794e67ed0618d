"""SIGHUP to `moderation serve` reloads the model in every worker, without restarting one."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from classifiers.model import Model
from classifiers.train import save_versioned, train
from moderation import admin
from tests.api.test_model_reload import QUICK
from tests.integration.test_serve import COMMENT, Service, _workers, call, free_port
from tests.unit.test_classifiers_model import tiny_examples


def versions_seen(base: str, answers: int = 12) -> set[str]:
    """The model versions /readyz reports over several connections (spread over workers)."""
    return {call(f"{base}/readyz")[1]["model_version"] for _ in range(answers)}


@pytest.mark.timeout(300)  # a tiny training, then two workers: over a minute when busy
def test_sighup_reloads_every_worker(dsn: str, tmp_path: Path) -> None:
    old, _ = train(tiny_examples(), QUICK)
    new = Model(**{**old.__dict__, "version": old.version + ".fb-test"})
    models = tmp_path / "models"
    save_versioned(old, models)
    key = asyncio.run(admin.add_site(dsn, 5, "news"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": dsn, "MODERATION_DATA_DIR": str(tmp_path), "MODERATION_SECRET": "s",
        "MODERATION_MODEL_DIR": str(models),
    }  # fmt: skip
    service = Service(["--port", str(port), "--workers", "2"], env)
    try:
        service.wait_for("Serving on")
        assert call(f"{base}/v1/comments", COMMENT, key)[1]["model_version"] == old.version
        assert versions_seen(base) == {old.version}
        workers = _workers(service.proc.pid)
        save_versioned(new, models)
        service.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while versions_seen(base) != {new.version}:
            assert time.monotonic() < deadline, "the workers did not reload"
            time.sleep(0.1)
        assert _workers(service.proc.pid) == workers  # reloaded in place, none restarted
        assert call(f"{base}/v1/comments", COMMENT, key)[1]["model_version"] == new.version
    finally:
        assert service.stop(signal.SIGTERM) == 0
