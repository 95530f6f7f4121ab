"""``envirosense run``, ``report`` and ``suggestions``: the active-learning loop from the shell."""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import structlog
import typer
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from envirosense.cli.champion import print_champion, write_run_report
from envirosense.cli.errors import USAGE_EXIT, did_you_mean, fail
from envirosense.cli.interrupts import stop_once
from envirosense.cli.output import print_json, stdout
from envirosense.cli.progress import RunProgress
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.history import RunHistory
from envirosense.learning.run_config import SAFE_OVERRIDES, StoredRunConfig, differing_keys
from envirosense.learning.settings import ConfigError, RunSettings
from envirosense.learning.state import RunRecord, RunStatus
from envirosense.learning.store import RunStore, SuggestionStatus, UnknownRunError

suggestions_app = typer.Typer(help="Review the loop's suggestions (with review = manual).", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False, help="Run configuration (.toml/.yaml).")
]
WorkspaceOption = Annotated[Path | None, typer.Option(help="Workspace folder (overrides the config).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def load_settings(config: Path | None, workspace: Path | None) -> RunSettings:
    """The settings of ``--config`` (or the defaults and the environment), ``--workspace`` overriding its folder."""
    return RunSettings.from_file(config, **({} if workspace is None else {"workspace": workspace}))


def _database(settings: RunSettings) -> str:
    from envirosense.repository.database import redact, resolve_database_url

    return str(redact(make_url(resolve_database_url(settings.database_url, settings.workspace.resolve()))))


def open_store(settings: RunSettings, *, existing: bool = True) -> RunStore:
    """The run store of the workspace; with ``existing`` (commands that read runs) a workspace that does not
    exist is refused instead of created."""
    from envirosense.learning.assembly import Workspace, prepare_database
    from envirosense.repository import make_engine

    if existing and settings.database_url is None and not settings.workspace.is_dir():
        fail(
            f"workspace {settings.workspace} does not exist; give the --workspace (or --config) of an existing "
            "workspace (`envirosense run` creates one)",
            USAGE_EXIT,
        )
    workspace = Workspace.from_settings(settings)
    prepare_database(workspace).close()
    return RunStore(make_engine(workspace.database_url))


@dataclass(frozen=True)
class StoredRuns:
    """The recorded runs of a workspace, for the commands that read them: its settings and run store."""

    settings: RunSettings
    store: RunStore

    @classmethod
    def open(cls, config: Path | None, workspace: Path | None) -> StoredRuns:
        """The runs of the workspace that ``--config`` / ``--workspace`` name; one that does not exist ends
        the command (see ``open_store``)."""
        settings = load_settings(config, workspace)
        return cls(settings, open_store(settings))

    def known(self, run_id: str) -> RunRecord:
        """The stored run ``run_id``; an unknown id ends the command naming the runs of the database searched."""
        try:
            return self.store.run(run_id)
        except UnknownRunError:
            known = [run.run_id for run in self.store.runs()]
            listed = ", ".join(known[-10:]) if known else "none yet"
            more = f" (the newest 10 of {len(known)})" if len(known) > 10 else ""
            fail(
                f"no run {run_id!r} in {_database(self.settings)}{did_you_mean(run_id, known)}\n"
                f"  known runs{more}: {listed}\n  `envirosense runs` lists them; --workspace or --config selects "
                "another workspace"
            )

    def histories(self, *run_ids: str) -> list[RunHistory]:
        """The recorded histories of ``run_ids``, each id checked (``known``) before any is loaded."""
        from envirosense.learning.manager import load_history

        for run_id in run_ids:
            self.known(run_id)
        return [load_history(self.store, run_id) for run_id in run_ids]


def summary_table(history: RunHistory) -> Table:
    table = Table(
        title=f"Run {history.run_id} ({history.strategy}, {history.status})",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        collapse_padding=True,
    )
    columns = ("cycle", "samples", "simulated", "macro F1", "accuracy", "model", "champion", "weak spots", "scenarios")
    for column in columns:
        table.add_column(column, justify="right")
    for cycle in history.cycles:
        table.add_row(
            str(cycle.cycle_index),
            str(cycle.samples_total),
            "–" if cycle.samples_simulated is None else str(cycle.samples_simulated),
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
    strategy: Annotated[
        str | None,
        typer.Option(
            help="Acquisition policy (overrides the config): alm, random, pool-margin, pool-margin-balanced, "
            "pool-margin-matched, cluster-margin, or any registered one."
        ),
    ] = None,
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

    if metrics_port is not None:
        from envirosense.ops.metrics import serve_metrics

        typer.echo(f"Metrics: http://127.0.0.1:{serve_metrics(metrics_port)}/metrics", err=True)
    settings = load_settings(config, workspace)
    learning = settings.active_learning.model_dump()
    if strategy is not None:
        learning["strategy"] = strategy
    if seed is not None:
        learning["seed"] = seed
    if cycles is not None:
        learning["stopping"]["max_cycles"] = cycles
    try:
        learning_config = ActiveLearningConfig.model_validate(learning)
    except ValidationError as exc:
        raise ConfigError.from_validation(str(config or "the options"), exc, ("active_learning",)) from exc
    if resume is not None:
        settings, learning_config = _resumed(settings, resume, learning_config, config, strategy, seed, cycles)
    elif run_id is not None:
        _refuse_existing(settings, run_id)
    identifier = resume or run_id or new_run_id(learning_config.strategy)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, stop_once) if main else None
    try:
        with (
            RunProgress(Console(stderr=True)) as progress,
            structlog.contextvars.bound_contextvars(run_id=identifier),
            open_run(settings, identifier, config=learning_config, on_event=progress.on_event) as manager,
        ):
            history = manager.run()
    except KeyboardInterrupt:
        _mark_interrupted(settings, identifier)
        fail(f"run {identifier} interrupted; continue it with `envirosense run --resume {identifier}`", 130)
    finally:
        if main and signal.getsignal(signal.SIGTERM) is stop_once:  # else it stops: ignored until the exit
            signal.signal(signal.SIGTERM, previous)
    stdout().print(summary_table(history))
    print_champion(history, settings)
    if history.status == "waiting_for_review":
        typer.echo(f"Waiting for review: envirosense suggestions list --run {identifier}")
    if report and history.cycles:
        path = write_run_report(settings, history, Path(settings.workspace) / "reports" / f"{identifier}.html")
        typer.echo(f"Report: {path}")


def _mark_interrupted(settings: RunSettings, run_id: str) -> None:
    """Record ``run_id`` as interrupted (the loop does so itself once running; this covers its setup)."""
    store = open_store(settings)
    with contextlib.suppress(UnknownRunError):
        if store.run(run_id).status != RunStatus.INTERRUPTED.value:
            store.set_run(run_id, status=RunStatus.INTERRUPTED)


def _refuse_existing(settings: RunSettings, run_id: str) -> None:
    """A new run may not take the id of a stored one (it would extend it under another configuration)."""
    if settings.database_url is None and not settings.workspace.is_dir():
        return
    try:
        record = open_store(settings).run(run_id)
    except UnknownRunError:
        return
    fail(
        f"run {run_id} exists ({record.strategy}, {record.status}); continue it with "
        f"`envirosense run --resume {run_id}`, or give a new --run-id",
        USAGE_EXIT,
    )


def _resumed(
    settings: RunSettings,
    run_id: str,
    given: ActiveLearningConfig,
    config: Path | None,
    strategy: str | None,
    seed: int | None,
    cycles: int | None,
) -> tuple[RunSettings, ActiveLearningConfig]:
    """The stored settings of run ``run_id`` (``--cycles`` the one override); a ``--config``, ``--strategy``
    or ``--seed`` that contradicts them ends the command listing what differs."""
    record = StoredRuns(settings, open_store(settings)).known(run_id)
    stored = StoredRunConfig.read(record.config, settings)
    resume_hint = f"`envirosense run --resume {run_id}` alone uses the configuration the run was started with"
    if strategy is not None and strategy != record.strategy:
        fail(f"run {run_id} is a {record.strategy} run, not {strategy}; {resume_hint}", USAGE_EXIT)
    stored_learning = stored.settings["active_learning"]
    if seed is not None and seed != stored_learning["seed"]:
        fail(f"run {run_id} has seed {stored_learning['seed']}, not {seed}; {resume_hint}", USAGE_EXIT)
    if config is not None:
        mine = StoredRunConfig.of(settings, given).settings
        differing = [key for key in differing_keys(stored.settings, mine) if key not in SAFE_OVERRIDES]
        if differing:
            listed = ", ".join(differing[:8]) + (f" and {len(differing) - 8} more" if len(differing) > 8 else "")
            fail(
                f"{config} differs from the configuration run {run_id} was started with ({listed}); {resume_hint} "
                "(--cycles may change stopping.max_cycles), or start a new run with this config",
                USAGE_EXIT,
            )
    resumed = stored.run_settings(settings)
    learning = resumed.active_learning
    if cycles is not None:
        learning = learning.model_copy(update={"stopping": learning.stopping.model_copy(update={"max_cycles": cycles})})
    return resumed, learning


def report_command(
    run_id: Annotated[str, typer.Argument(help="Run to report on.")],
    compare: Annotated[list[str] | None, typer.Option(help="Other runs to draw on the learning curve.")] = None,
    output: Annotated[Path | None, typer.Option(help="HTML file (default: <workspace>/reports/RUN_ID.html).")] = None,
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the HTML report of RUN_ID: learning curve (against --compare runs), per-class F1, confusion
    matrices first vs last, weak spots per sensor and type, the scenarios created and lineage counts."""
    runs = StoredRuns.open(config, workspace)
    history, *others = runs.histories(run_id, *(compare or []))
    settings = runs.settings
    path = write_run_report(
        settings, history, output or Path(settings.workspace) / "reports" / f"{run_id}.html", others
    )
    typer.echo(str(path))


@suggestions_app.command("list")
def suggestions_list(
    run: Annotated[str | None, typer.Option(help="Only this run.")] = None,
    status: Annotated[SuggestionStatus | None, typer.Option(help="Only this status.")] = None,
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """List suggestions with their status (ids in full; a unique prefix is enough to approve or reject)."""
    runs = StoredRuns.open(config, workspace)
    if run is not None:
        runs.known(run)
    rows = runs.store.suggestions(run, status=status)
    if as_json:
        keys = ("suggestion_id", "run_id", "cycle_index", "action", "samples", "weak_spot_id", "status", "payload")
        print_json([{key: row[key] for key in keys} for row in rows])
        return
    table = Table(title="Suggestions")
    for column in ("id", "run", "cycle", "action", "samples", "weak spot", "status", "why"):
        table.add_column(column, overflow="fold" if column in ("id", "run", "weak spot") else "ellipsis")
    for row in rows:
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
    stdout().print(table)


def _resolve_ids(store: RunStore, given: list[str]) -> list[str]:
    """Full suggestion ids for ``given`` ids or unique prefixes; unknown or ambiguous ones end the command."""
    known = [row["suggestion_id"] for row in store.suggestions()]
    resolved = []
    for item in given:
        matches = [item] if item in known else [full for full in known if full.startswith(item)]
        if not matches:
            fail(f"no suggestion {item!r}; `envirosense suggestions list` shows the ids")
        if len(matches) > 1:
            fail(f"{item!r} is the start of {len(matches)} suggestion ids ({', '.join(matches[:5])}); give more of it")
        resolved.append(matches[0])
    return resolved


def _review(ids: list[str], status: SuggestionStatus, note: str | None, store: RunStore) -> None:
    full_ids = _resolve_ids(store, ids)
    failed = [
        suggestion_id
        for suggestion_id in full_ids
        if not store.set_suggestion_status(suggestion_id, status, expected=[SuggestionStatus.PENDING], note=note)
    ]
    for suggestion_id in full_ids:
        if suggestion_id not in failed:
            typer.echo(f"{suggestion_id}: {status.value}")
    if failed:
        fail(f"not pending any more: {', '.join(failed)}")


@suggestions_app.command("approve")
def suggestions_approve(
    ids: Annotated[list[str], typer.Argument(help="Suggestion ids (or unique prefixes of them).")],
    note: Annotated[str | None, typer.Option(help="Review note.")] = None,
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Approve pending suggestions; `envirosense run --resume RUN_ID` then generates them."""
    _review(ids, SuggestionStatus.APPROVED, note, StoredRuns.open(config, workspace).store)


@suggestions_app.command("reject")
def suggestions_reject(
    ids: Annotated[list[str], typer.Argument(help="Suggestion ids (or unique prefixes of them).")],
    note: Annotated[str | None, typer.Option(help="Review note.")] = None,
    config: ConfigOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Reject pending suggestions; the cycle goes on without them."""
    _review(ids, SuggestionStatus.REJECTED, note, StoredRuns.open(config, workspace).store)
