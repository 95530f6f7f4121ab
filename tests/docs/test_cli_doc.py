"""docs/cli.md stays true: its command-line session happens as shown, in an empty folder."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app

DOC = Path(__file__).parents[2] / "docs" / "cli.md"
EXAMPLE = re.compile(r"<!-- example: (?P<kind>[\w-]+) -->\n```\w+\n(?P<body>.*?)\n```", re.DOTALL)


def _example(kind: str) -> str:
    (body,) = [match["body"] for match in EXAMPLE.finditer(DOC.read_text(encoding="utf-8")) if match["kind"] == kind]
    return body


def test_cli_session_happens_as_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENVIROSENSE_DATABASE_URL", raising=False)
    (tmp_path / "typo.toml").write_text(_example("typo-toml") + "\n", encoding="utf-8")
    steps: list[tuple[str, list[str]]] = []
    for line in _example("cli-session").splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            steps[-1][1].append(line)
    assert len(steps) >= 8
    runner = CliRunner()
    for command, expected in steps:
        result = runner.invoke(app, shlex.split(command)[1:])
        for line in expected:
            pattern = ".*".join(re.escape(part) for part in line.split("…"))
            assert re.search(pattern, result.output), f"{command!r} printed:\n{result.output}\nnot matching {line!r}"
    assert not (tmp_path / "no-such-workspace").exists()
    assert not (tmp_path / "envirosense-workspace").exists()
