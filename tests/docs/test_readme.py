"""The README's command lines run as written, and name commands and options that exist."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## The command line") : README.index("## Development")]
BLOCKS = re.findall(r"```bash\n(.*?)```", SECTION, flags=re.DOTALL)


def _commands(block: str) -> list[str]:
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("envirosense ")]


def test_the_readme_has_a_walkthrough_and_a_loop_block() -> None:
    assert len(BLOCKS) == 2
    assert len(_commands(BLOCKS[0])) >= 6 and len(_commands(BLOCKS[1])) >= 6


def test_the_walkthrough_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENVIROSENSE_DATABASE_URL", raising=False)
    runner = CliRunner()
    for command in _commands(BLOCKS[0]):
        result = runner.invoke(app, shlex.split(command)[1:])
        assert result.exit_code == 0, f"`{command}` failed:\n{result.output}"
        assert "warning:" not in result.output, f"`{command}` warned:\n{result.output}"
    stats = json.loads(runner.invoke(app, ["dataset", "stats", "data/arcing", "--json"]).output)
    assert stats["class_counts"]["arcing"] > stats["samples"] / 2
    feedback = json.loads((tmp_path / "feedback.json").read_text(encoding="utf-8"))
    assert set(feedback["per_class_metrics"]) == {"arcing", "normal"}
    assert feedback["overall_metrics"]["macro_f1_score"] > 0.8
