"""``envirosense runs``: the runs of a workspace, and ``runs show RUN_ID``: one run cycle by cycle, with the
time profile of each cycle (seconds per step, ``ops.timing.CYCLE_STEPS``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from envirosense.cli.output import print_json, stdout
from envirosense.cli.run import ConfigOption, JsonOption, StoredRuns, WorkspaceOption, summary_table
from envirosense.learning.history import RunHistory
from envirosense.learning.store import CycleStep
from envirosense.ops.timing import ordered_profile

runs_app = typer.Typer(help="List the active-learning runs of the workspace; `runs show RUN_ID` shows one.")


@runs_app.callback(invoke_without_command=True)
def runs_command(
    ctx: typer.Context, config: ConfigOption = None, workspace: WorkspaceOption = None, as_json: JsonOption = False
) -> None:
    """List the active-learning runs of the workspace."""
    if ctx.invoked_subcommand is not None:
        return
    store = StoredRuns.open(config, workspace).store
    rows: list[dict[str, Any]] = [
        {
            "run_id": run.run_id,
            "strategy": run.strategy,
            "status": run.status,
            "champion_version": run.champion_version,
            "cycles_done": max(sum(1 for _, step, _ in store.cycles(run.run_id) if step is CycleStep.DONE) - 1, 0),
            "created_utc": run.created_utc.isoformat(),
        }
        for run in store.runs()
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Active-learning runs")
    for column in ("run", "strategy", "status", "champion", "cycles done", "created (UTC)"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["run_id"],
            row["strategy"],
            row["status"],
            row["champion_version"] or "–",
            str(row["cycles_done"]),
            row["created_utc"][:19].replace("T", " "),
        )
    stdout().print(table)


def profile_table(history: RunHistory) -> Table | None:
    """Seconds per step (rows, ``CYCLE_STEPS`` order) of each cycle (columns), the cycle's wall time and its
    bookkeeping share; ``None`` when no cycle recorded a profile (runs older than the profile)."""
    timed = [cycle for cycle in history.cycles if cycle.step_seconds]
    if not timed:
        return None
    table = Table(title="Time profile (s per step)", box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True)
    table.add_column("step")
    for cycle in timed:
        table.add_column(f"cycle {cycle.cycle_index}", justify="right")
    steps = ordered_profile(dict.fromkeys((step for cycle in timed for step in cycle.step_seconds), 0.0))
    for step in steps:
        table.add_row(step, *(_seconds(cycle.step_seconds.get(step)) for cycle in timed))
    table.add_row("cycle wall", *(f"{cycle.wall_seconds():.2f}" for cycle in timed), style="bold")
    table.add_row("bookkeeping share", *(f"{cycle.bookkeeping_share():.1%}" for cycle in timed))
    return table


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


@runs_app.command("show")
def show_command(
    run_id: Annotated[str, typer.Argument(help="Run to show.")],
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one run cycle by cycle: its results, and the seconds each step of each cycle took."""
    (history,) = StoredRuns.open(config, workspace).histories(run_id)
    if as_json:
        print_json(
            {
                "run_id": history.run_id,
                "strategy": history.strategy,
                "status": history.status,
                "cycles": [
                    {
                        "cycle": cycle.cycle_index,
                        "samples_total": cycle.samples_total,
                        "samples_simulated": cycle.samples_simulated,
                        "macro_f1": cycle.macro_f1,
                        "model_version": cycle.model_version,
                        "promoted": cycle.promoted,
                        "step_seconds": cycle.step_seconds,
                    }
                    for cycle in history.cycles
                ],
            }
        )
        return
    console = stdout()
    console.print(summary_table(history))
    profile = profile_table(history)
    console.print(profile if profile is not None else "No time profile recorded (a run older than the profile).")
