"""Output for people and scripts: ids in full, --json, unique prefixes, help at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console

from envirosense.cli.app import app
from envirosense.cli.output import stdout
from envirosense.cli.scenarios import _definitions_table
from envirosense.simulation import scenario_class
from tests.cli.cli_helpers import invoke, workspace_with_runs

SUGGESTIONS = ("sg-4f0eef4fb5d3e2aa", "sg-4f0e1111aaaabbbb", "sg-70aa3e53f4da3a00")


def test_runs_and_suggestions_as_json(tmp_path: Path) -> None:
    workspace = workspace_with_runs(tmp_path / "ws", ("alm-1", "random-1"), SUGGESTIONS)
    runs = json.loads(invoke("runs", "--json", "--workspace", str(workspace)).output)
    assert [run["run_id"] for run in runs] == ["alm-1", "random-1"]
    assert runs[0]["status"] == "running" and runs[0]["cycles_done"] == 0
    listed = json.loads(invoke("suggestions", "list", "--run", "alm-1", "--json", "--workspace", str(workspace)).output)
    assert sorted(row["suggestion_id"] for row in listed) == sorted(SUGGESTIONS)
    assert listed[0]["payload"] == {"rationale": "exploration"}


def test_tables_show_ids_in_full_even_in_a_pipe(tmp_path: Path) -> None:
    workspace = workspace_with_runs(tmp_path / "ws", ("alm-20261204T170626176510Z-a-long-run-id",), SUGGESTIONS)
    output = invoke("suggestions", "list", "--workspace", str(workspace)).output
    assert all(suggestion_id in output for suggestion_id in SUGGESTIONS)
    assert "alm-20261204T170626176510Z-a-long-run-id" in output
    assert "…" not in output
    assert not stdout().is_terminal and stdout().width > 200


def test_ids_wrap_instead_of_being_cut_on_a_narrow_terminal() -> None:
    definition = scenario_class("fire_precursor_combination")().to_definition()
    long_id = definition.scenario_definition_id + "-with-a-long-suffix"
    console = Console(width=50, record=True, force_terminal=True)
    console.print(_definitions_table("t", [definition.model_copy(update={"scenario_definition_id": long_id})]))
    first_column = [line.split("│")[1].strip() for line in console.export_text().splitlines() if line.startswith("│")]
    assert "".join(first_column) == long_id


def test_suggestions_accept_a_unique_prefix(tmp_path: Path) -> None:
    workspace = str(workspace_with_runs(tmp_path / "ws", ("alm-1",), SUGGESTIONS))
    approved = invoke("suggestions", "approve", "sg-70aa", "--workspace", workspace)
    assert approved.exit_code == 0, approved.output
    assert "sg-70aa3e53f4da3a00: approved" in approved.output
    ambiguous = invoke("suggestions", "reject", "sg-4f0e", "--workspace", workspace)
    assert ambiguous.exit_code == 1 and "is the start of 2 suggestion ids" in ambiguous.output
    unknown = invoke("suggestions", "reject", "sg-zz", "--workspace", workspace)
    assert unknown.exit_code == 1 and "no suggestion 'sg-zz'" in unknown.output
    again = invoke("suggestions", "reject", "sg-70aa3e53f4da3a00", "--workspace", workspace)
    assert again.exit_code == 1 and "not pending any more: sg-70aa3e53f4da3a00" in again.output


def _command_paths(command: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(_command_paths(sub, (*path, name)))
    return found


@pytest.mark.parametrize("path", _command_paths(typer.main.get_command(app), ()))
def test_help_fits_80_columns(path: tuple[str, ...]) -> None:
    result = invoke(*path, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    for line in result.output.splitlines():
        assert len(line) <= 80, line
        cut = "…" in line or (line.rstrip().endswith("...") and not line.startswith("Usage:"))
        assert not cut, line
