"""`moderation train` and `moderation eval` hand their options to the classifiers' commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.cli import main


@pytest.mark.parametrize("command", ["train", "eval"])
def test_model_commands_refuse_a_missing_data_folder(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--data", str(tmp_path / "absent")])
    assert exit_info.value.code == 2
    assert "no data folder" in capsys.readouterr().err
