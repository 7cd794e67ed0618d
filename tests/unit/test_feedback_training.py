"""Retraining on moderators' labels: a new version, scores moved the way moderators said."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from classifiers import load_dir
from classifiers.datasets import default_root
from classifiers.model import Model
from classifiers.train import decision_examples, main, retrain, save_versioned, train
from tests.unit.test_classifiers_model import TINY, tiny_examples

# Comments a news site publishes although they give a phone number: corrections to "clean".
NOT_SPAM = [
    "Mình gọi tổng đài điện lực 1900 1234 56 lúc nửa đêm mà vẫn có người nghe, tốt thật",
    "Số đường dây nóng 0243 825 1234 của sở y tế mình gọi hoài không ai bắt máy",
    "Ai cần hỏi về bảo hiểm xã hội thì gọi 1900 9068 của BHXH, mình hỏi rồi họ trả lời kỹ",
    "Gọi 113 mà 20 phút công an mới tới, chán thật",
    "Số điện thoại của phường là 024 3942 1234, bà con cần thì liên hệ",
    "Tổng đài 1800 1091 của bộ công thương nhận phản ánh hàng giả, mọi người gọi nhé",
]
HELD_OUT = "Mình gọi đường dây nóng 1900 5678 90 của bệnh viện thì được tư vấn tận tình"


def write_labels(path: Path, texts: list[str], spam: int) -> Path:
    rows = [{"text": t, "spam": spam, "abuse": 0, "hate": None, "site": "news"} for t in texts]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture(scope="module")
def base() -> Model:
    model, _ = train(tiny_examples(), TINY)
    return model


@pytest.mark.timeout(300)  # three tiny trainings (fixture included): a minute when busy
def test_decisions_give_a_new_version_and_move_scores_their_way(
    base: Model, tmp_path: Path
) -> None:
    labels = write_labels(tmp_path / "labels.jsonl", NOT_SPAM, spam=0)
    decided = decision_examples(labels, 5, source="tiny_vi")
    assert len(decided) == 5 * len(NOT_SPAM) and decided[0].hate is None
    model, summary = retrain(tiny_examples(), decided, TINY)
    assert model.version != base.version and model.version.startswith(base.version[:10])
    assert ".fb" in model.version and summary["version"] == model.version
    before, after = base.score([HELD_OUT])[0]["spam"], model.score([HELD_OUT])[0]["spam"]
    # the base already scores this hotline lower since service lines have their own placeholder
    # (0.17 in the tiny model), so the decisions must at least halve it
    assert after < before / 2, (before, after)
    other = decision_examples(write_labels(tmp_path / "b.jsonl", NOT_SPAM[:3], 0), 5, "tiny_vi")
    assert retrain(tiny_examples(), other, TINY)[0].version != model.version


def test_csv_labels_with_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "text,spam,abuse,hate,site,action,decided_at\n"
        "mua ngay kẻo hết,1,,,news,spam,2026-11-26T10:00:00+00:00\n"
        "bài hay,0,0,0,news,approve,2026-11-26T10:00:00+00:00\n"
        ",1,,,news,spam,2026-11-26T10:00:00+00:00\n",
        "utf-8",
    )
    rows = decision_examples(path, 2)
    assert [(e.text, e.spam, e.abuse, e.hate, e.source) for e in rows[::2]] == [
        ("mua ngay kẻo hết", 1, None, None, "news_comments"),
        ("bài hay", 0, 0, 0, "news_comments"),
    ]


def test_versioned_directory_switches_atomically(base: Model, tmp_path: Path) -> None:
    folder = save_versioned(base, tmp_path)
    assert folder == tmp_path / base.version
    assert (tmp_path / "CURRENT").read_text().strip() == base.version
    assert load_dir(tmp_path).version == base.version
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    (tmp_path / "CURRENT").write_text("../elsewhere\n")
    with pytest.raises(ValueError, match="version folder"):
        load_dir(tmp_path)


def test_decisions_must_not_overwrite_the_shipped_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = write_labels(tmp_path / "l.jsonl", NOT_SPAM, 0)
    data = default_root() or Path(os.environ.get("MODERATION_SHARED_DATA", "/absent"))
    if not (data / "CARD.md").exists():
        pytest.skip("../shared/data is absent (a fresh clone)")
    with pytest.raises(SystemExit):
        main(["--data", str(data), "--with-decisions", str(labels)])
    assert "--into" in capsys.readouterr().err


@pytest.mark.timeout(300)  # a --quick training: 15 s alone, a minute or more on a busy machine
def test_quick_retrain_from_the_command_line(tmp_path: Path) -> None:
    data = default_root() or Path(os.environ.get("MODERATION_SHARED_DATA", "/absent"))
    if not (data / "CARD.md").exists():
        pytest.skip("../shared/data is absent (a fresh clone)")
    labels = write_labels(tmp_path / "l.jsonl", NOT_SPAM, 0)
    args = ["--data", str(data), "--quick", "--with-decisions", str(labels)]
    assert main([*args, "--into", str(tmp_path / "models")]) == 0
    version = (tmp_path / "models" / "CURRENT").read_text().strip()
    assert ".quick.fb" in version
    model = load_dir(tmp_path / "models")
    assert model.version == version
    summary = json.loads((tmp_path / "models" / version / "summary.json").read_text())
    assert summary["decisions"] == len(NOT_SPAM)
