"""The README's command-line examples name commands and options that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
BLOCK = re.search(r"## The command line\n\n```bash\n(.*?)```", README, flags=re.DOTALL)
COMMANDS = [
    part.strip()
    for line in (BLOCK.group(1).splitlines() if BLOCK else [])
    for part in line.split("#")[0].split("&&")
    if part.strip().startswith("envirosense")
]


def test_the_readme_has_a_command_block() -> None:
    assert len(COMMANDS) >= 8


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_and_options_exist(command: str) -> None:
    words = shlex.split(command)[1:]
    path: list[str] = []
    for word in words:
        if word.startswith("-") or word.isupper() or "/" in word or "." in word:
            break
        path.append(word.split("|")[0])
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, f"`envirosense {' '.join(path)}` does not exist:\n{result.output}"
    for option in (word.split("=")[0] for word in words if word.startswith("--")):
        assert option in result.output, f"{option} is not an option of `envirosense {' '.join(path)}`"
