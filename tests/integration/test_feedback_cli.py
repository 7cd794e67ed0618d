"""`moderation train --from-db`: decisions from the database into a new model version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from classifiers import load_dir
from classifiers.datasets import default_root
from moderation.cli import feedback_arguments
from moderation.settings import Settings
from tests.api.test_queue import decide, held
from tests.conftest import MakeStaff

ROOT = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    """../shared/data (MODERATION_SHARED_DATA when the checkout sits elsewhere)."""
    data = default_root() or Path(os.environ.get("MODERATION_SHARED_DATA", "/absent"))
    if not (data / "CARD.md").exists():
        pytest.skip("../shared/data is absent (a fresh clone)")
    return data


def train(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moderation", "train", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip


def test_decisions_go_into_the_model_directory_unless_told(tmp_path: Path) -> None:
    settings = Settings(model_dir=tmp_path / "models")
    with_file = feedback_arguments(settings, ["--with-decisions", "l.jsonl", "--quick"], tmp_path)
    assert with_file == [
        "--with-decisions",
        "l.jsonl",
        "--quick",
        "--into",
        str(tmp_path / "models"),
    ]
    told = ["--with-decisions=l.jsonl", "--out", "elsewhere"]
    assert feedback_arguments(settings, told, tmp_path) == told
    assert feedback_arguments(settings, ["--quick"], tmp_path) == ["--quick"]  # the shipped model
    with pytest.raises(SystemExit):
        feedback_arguments(settings, ["--site", "news"], tmp_path)


@pytest.mark.timeout(300)  # a --quick training: 15 s alone, a minute or more on a busy machine
async def test_train_from_db_writes_a_new_version(
    client: TestClient, site_key: str, make_staff: MakeStaff, dsn: str, tmp_path: Path
) -> None:
    data = shared_data()
    lan = await make_staff("lan")
    ids = await held(client, site_key, 4, body="maybe-spam gọi tổng đài 1900 1234 nhé")
    for cid in ids:
        assert (await decide(client, lan, cid, "not_spam")).status == 200
    models = tmp_path / "models"
    env = {
        **os.environ, "DATABASE_URL": dsn, "MODERATION_DATA_DIR": str(tmp_path),
        "MODERATION_MODEL_DIR": str(models),
    }  # fmt: skip
    done = train(env, "--from-db", "--site", "news", "--quick", "--data", str(data))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "4 labels written" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["decisions"] == 4 and ".quick.fb" in summary["version"]
    assert load_dir(models).version == summary["version"]
