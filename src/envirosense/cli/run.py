"""``envirosense run``, ``report``, ``runs`` and ``suggestions``: the active-learning loop from the shell."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.history import RunHistory
from envirosense.learning.settings import RunSettings
from envirosense.learning.store import CycleStep, RunStore, SuggestionStatus

suggestions_app = typer.Typer(help="Review the loop's suggestions (with review = manual).", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False, help="Run configuration (.toml/.yaml).")
]
WorkspaceOption = Annotated[Path | None, typer.Option(help="Workspace folder (overrides the config).")]

_STEPS = len(CycleStep) - 1


def _settings(config: Path | None, workspace: Path | None, **overrides: Any) -> RunSettings:
    values = {key: value for key, value in overrides.items() if value is not None}
    if workspace is not None:
        values["workspace"] = workspace
    return RunSettings.from_file(config, **values)


def _store(settings: RunSettings) -> RunStore:
    from envirosense.learning.assembly import Workspace, prepare_database
    from envirosense.repository import make_engine

    workspace = Workspace.from_settings(settings)
    prepare_database(workspace).close()
    return RunStore(make_engine(workspace.database_url))


def _summary_table(history: RunHistory) -> Table:
    table = Table(title=f"Run {history.run_id} ({history.strategy}, {history.status})")
    for column in ("cycle", "samples", "macro-F1", "accuracy", "model", "promoted", "weak spots", "scenarios"):
        table.add_column(column, justify="right")
    for cycle in history.cycles:
        table.add_row(
            str(cycle.cycle_index),
            str(cycle.samples_total),
            f"{cycle.macro_f1:.3f}",
            f"{cycle.accuracy:.3f}",
            cycle.model_version,
            "yes" if cycle.promoted else "no",
            str(len(cycle.weak_spots)),
            str(len(cycle.scenarios)),
        )
    return table


def run_command(
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
    strategy: Annotated[str | None, typer.Option(help="alm, random or pool-margin (overrides the config).")] = None,
    cycles: Annotated[int | None, typer.Option(min=1, help="Maximum cycles after the initial model.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the run (overrides the config).")] = None,
    run_id: Annotated[str | None, typer.Option(help="Id for a new run (default: strategy + UTC time).")] = None,
    resume: Annotated[str | None, typer.Option(help="Resume the run with this id where it stopped.")] = None,
    report: Annotated[bool, typer.Option(help="Write the HTML report at the end.")] = True,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Serve Prometheus metrics at http://127.0.0.1:PORT/metrics."),
    ] = None,
) -> None:
    """Run the active-learning loop: initial model, then cycles until a stopping rule fires.

    Everything lives in the workspace (SQLite database, datasets, MLflow store, models, reports). A run
    killed at any point continues with --resume RUN_ID, losing and duplicating nothing.
    """
    from envirosense.learning.assembly import new_run_id, open_run
    from envirosense.learning.report import write_report

    if metrics_port is not None:
        from envirosense.ops.metrics import serve_metrics

        typer.echo(f"Metrics: http://127.0.0.1:{serve_metrics(metrics_port)}/metrics", err=True)
    settings = _settings(config, workspace)
    learning = settings.active_learning.model_dump()
    if strategy is not None:
        learning["strategy"] = strategy
    if seed is not None:
        learning["seed"] = seed
    if cycles is not None:
        learning["stopping"]["max_cycles"] = cycles
    stored: ActiveLearningConfig | None = None
    if resume is not None:
        stored = ActiveLearningConfig.model_validate(_store(settings).run(resume)["config"])
        if cycles is not None:
            stored = stored.model_copy(update={"stopping": stored.stopping.model_copy(update={"max_cycles": cycles})})
    learning_config = stored or ActiveLearningConfig.model_validate(learning)
    identifier = resume or run_id or new_run_id(learning_config.strategy)
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("preparing workspace and shared datasets", total=_STEPS)

        def on_event(event: str, fields: Mapping[str, Any]) -> None:
            if event == "cycle_step":
                step = CycleStep(fields["step"])
                progress.update(task, description=f"cycle {fields['cycle']}: {step.value}", completed=step.order)
            elif event == "cycle_done":
                progress.console.print(
                    f"cycle {fields['cycle']}: macro-F1 {fields['macro_f1']:.3f} on {fields['samples']} samples"
                )
                progress.update(task, completed=0)
            elif event == "targeting_failed":
                progress.console.print(f"[yellow]targeting fell back: {fields['action']}: {fields['error']}")

        with (
            structlog.contextvars.bound_contextvars(run_id=identifier),
            open_run(settings, identifier, config=learning_config, on_event=on_event) as manager,
        ):
            history = manager.run()
    Console().print(_summary_table(history))
    if history.status == "waiting_for_review":
        typer.echo(f"Waiting for review: envirosense suggestions list --run {identifier}")
    if report and history.cycles:
        path = write_report(history, Path(settings.workspace) / "reports" / f"{identifier}.html")
        typer.echo(f"Report: {path}")


def report_command(
    run_id: Annotated[str, typer.Argument(help="Run to report on.")],
    compare: Annotated[list[str] | None, typer.Option(help="Other runs to draw on the learning curve.")] = None,
    output: Annotated[Path | None, typer.Option(help="HTML file (default: <workspace>/reports/RUN_ID.html).")] = None,
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the HTML report of RUN_ID: learning curve (against --compare runs), per-class F1, confusion
    matrices first vs last, weak spots per sensor and type, the scenarios created and lineage counts."""
    from envirosense.learning.manager import load_history
    from envirosense.learning.report import write_report

    settings = _settings(config, workspace)
    store = _store(settings)
    history = load_history(store, run_id)
    others = [load_history(store, other) for other in compare or []]
    path = write_report(history, output or Path(settings.workspace) / "reports" / f"{run_id}.html", others)
    typer.echo(str(path))


def runs_command(config: ConfigOption = None, workspace: WorkspaceOption = None) -> None:
    """List the active-learning runs of the workspace."""
    store = _store(_settings(config, workspace))
    table = Table(title="Active-learning runs")
    for column in ("run", "strategy", "status", "champion", "cycles done", "created (UTC)"):
        table.add_column(column)
    for run in store.runs():
        done = sum(1 for _, step, _ in store.cycles(run["run_id"]) if step is CycleStep.DONE)
        table.add_row(
            run["run_id"],
            run["strategy"],
            run["status"],
            run["champion_version"] or "–",
            str(max(done - 1, 0)),
            str(run["created_utc"])[:19],
        )
    Console().print(table)


@suggestions_app.command("list")
def suggestions_list(
    run: Annotated[str | None, typer.Option(help="Only this run.")] = None,
    status: Annotated[SuggestionStatus | None, typer.Option(help="Only this status.")] = None,
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List suggestions with their status."""
    store = _store(_settings(config, workspace))
    table = Table(title="Suggestions")
    for column in ("id", "run", "cycle", "action", "samples", "weak spot", "status", "why"):
        table.add_column(column)
    for row in store.suggestions(run, status=status):
        table.add_row(
            row["suggestion_id"],
            row["run_id"],
            str(row["cycle_index"]),
            row["action"],
            str(row["samples"]),
            row["weak_spot_id"] or "–",
            row["status"],
            row["payload"].get("rationale", ""),
        )
    Console().print(table)


def _review(ids: list[str], status: SuggestionStatus, note: str | None, settings: RunSettings) -> None:
    store = _store(settings)
    failed = [
        suggestion_id
        for suggestion_id in ids
        if not store.set_suggestion_status(suggestion_id, status, expected=[SuggestionStatus.PENDING], note=note)
    ]
    for suggestion_id in ids:
        if suggestion_id not in failed:
            typer.echo(f"{suggestion_id}: {status.value}")
    if failed:
        typer.echo(f"not pending (or unknown): {', '.join(failed)}", err=True)
        raise typer.Exit(1)


@suggestions_app.command("approve")
def suggestions_approve(
    ids: Annotated[list[str], typer.Argument(help="Suggestion ids.")],
    note: Annotated[str | None, typer.Option(help="Review note.")] = None,
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Approve pending suggestions; `envirosense run --resume RUN_ID` then generates them."""
    _review(ids, SuggestionStatus.APPROVED, note, _settings(config, workspace))


@suggestions_app.command("reject")
def suggestions_reject(
    ids: Annotated[list[str], typer.Argument(help="Suggestion ids.")],
    note: Annotated[str | None, typer.Option(help="Review note.")] = None,
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Reject pending suggestions; the cycle goes on without them."""
    _review(ids, SuggestionStatus.REJECTED, note, _settings(config, workspace))
