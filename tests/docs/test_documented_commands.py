"""Every ``envirosense …`` command in README.md and docs/ names commands and options that exist.

Commands are taken from code blocks (``envirosense …`` and ``$ envirosense …`` lines) and from inline
code that starts with ``envirosense``. Words in capitals, ``…`` and ``[optional parts]`` are
placeholders; ``a|b`` lists alternatives, each of which must exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from envirosense.cli.app import app

ROOT = Path(__file__).parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```[\w-]*\n(.*?)```", re.DOTALL)
INLINE = re.compile(r"`(?:\$ )?(envirosense [^`]*)`")


def _documented() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for block in BLOCK.findall(text):
            for line in block.splitlines():
                line = line.removeprefix("$ ")
                if line.startswith("envirosense "):
                    found.append((document.name, line))
        for span in INLINE.findall(BLOCK.sub("", text)):
            found.append((document.name, " ".join(span.split())))
    return found


def _words(command: str) -> list[str]:
    command = command.split("  #")[0].split(" # ")[0]
    command = command.replace("[", " ").replace("]", " ").replace("…", " ")
    return shlex.split(command.replace("'", " ").replace('"', " "))[1:]


def _option_names(command: Any) -> dict[str, bool]:
    """Option name → whether it takes a value."""
    names: dict[str, bool] = {"--help": False}
    for parameter in command.params:
        if getattr(parameter, "param_type_name", "") != "option":
            continue
        for name in (*parameter.opts, *parameter.secondary_opts):
            names[name] = not parameter.is_flag
    return names


def check(command_line: str) -> None:
    command: Any = typer.main.get_command(app)
    path = ["envirosense"]
    words = _words(command_line)
    position = 0
    while position < len(words):
        word = words[position]
        options = _option_names(command)
        if word.startswith("-"):
            name = word.split("=")[0]
            assert name in options, f"{name} is not an option of `{' '.join(path)}`"
            position += 2 if options[name] and "=" not in word and hasattr(command, "commands") else 1
            continue
        if hasattr(command, "commands"):
            if word.isupper():
                return
            alternatives = word.split("|")
            for alternative in alternatives:
                assert alternative in command.commands, f"`{' '.join(path)} {alternative}` does not exist"
            if len(alternatives) > 1:
                return
            command = command.commands[word]
            path.append(word)
        position += 1


DOCUMENTED = _documented()


def test_the_docs_have_commands() -> None:
    assert len(DOCUMENTED) > 50
    assert {name for name, _ in DOCUMENTED} >= {"README.md", "cli.md", "generation.md", "models.md"}


@pytest.mark.parametrize(("document", "command"), DOCUMENTED, ids=[f"{d}:{c[:60]}" for d, c in DOCUMENTED])
def test_documented_command_exists(document: str, command: str) -> None:
    check(command)


@pytest.mark.parametrize(
    "command",
    [
        "envirosense rnu",
        "envirosense run --strategee alm",
        "envirosense scenarios list|shw",
        "envirosense --verbose run",
    ],
)
def test_the_check_catches_a_wrong_command(command: str) -> None:
    with pytest.raises(AssertionError):
        check(command)
