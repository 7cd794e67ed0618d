"""`moderation eval --service`: the probes through POST /v1/comments, by category."""

from __future__ import annotations

import pytest

from moderation import cli


@pytest.mark.timeout(120)
def test_service_eval_scores_every_probe_category(
    admin_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", admin_dsn)
    assert cli.main(["eval", "--service", "--probes-only"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = {line.split("  n=")[0].strip() for line in lines}
    for category in ("group_hate", "threats", "criticism", "citations", "brand_spam",
                     "mild_swearing"):  # fmt: skip
        assert f"probe: {category}" in names and f"probe: {category} (vi)" in names
    assert any(n.startswith("news spam") for n in names)
    assert all(" right " in line and "clean held" in line for line in lines)
