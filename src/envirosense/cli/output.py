"""Where command output goes: tables sized to the terminal (or unbounded in a pipe), JSON for scripts."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console

PIPE_WIDTH = 400
"""Width of tables written to a file or pipe: wide enough that no cell is cut (a pipe has no width)."""


def stdout() -> Console:
    """The console for results: the terminal's width, or ``PIPE_WIDTH`` when stdout is not a terminal."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPE_WIDTH)


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (times and paths as strings)."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))
