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


def test_help_describes_sites_users_serve_defaults_and_train_from_db(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def help_of(*words: str) -> str:
        with pytest.raises(SystemExit) as exit_info:
            main([*words, "--help"])
        assert exit_info.value.code == 0
        return " ".join(capsys.readouterr().out.split())  # argparse wraps lines

    root = help_of()
    for command in ("sites", "users"):
        described = root.split(f" {command} ", 1)[1].split()[0]
        assert described not in ("serve", "migrate", "sites", "train", "eval", "users")
    assert "news sites: create one" in root and "staff: create, set a password" in root
    serve = help_of("serve")
    assert "(default: MODERATION_HOST, else 127.0.0.1)" in serve
    assert "(default: MODERATION_PORT, else 8000)" in serve and "one per CPU core" in serve
    train = help_of("train")
    assert "--from-db" in train and "--since" in train and "--with-decisions" in train
