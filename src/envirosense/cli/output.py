"""Where command output goes: tables sized to the terminal (or unbounded in a pipe), JSON for scripts."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

PIPE_WIDTH = 400
"""Width of tables written to a file or pipe: wide enough that no cell is cut (a pipe has no width)."""


def stdout() -> Console:
    """The console for results: the terminal's width, or ``PIPE_WIDTH`` when stdout is not a terminal."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPE_WIDTH)


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (times and paths as strings)."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


class ReadableGroup(TyperGroup):
    """A command group whose help lists each sub-command's first sentence in full, wrapped to the width,
    instead of cutting it off with "..." (click's default at 80 columns)."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
