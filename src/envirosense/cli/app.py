"""The ``envirosense`` command line: one Typer app, one sub-command module per part of the system."""

from __future__ import annotations

import signal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from envirosense import __version__
from envirosense.cli.dataset import dataset_app
from envirosense.cli.db import db_app
from envirosense.cli.errors import ErrorReportingGroup
from envirosense.cli.generate import generate_command
from envirosense.cli.interrupts import ignore_stop_signals, stop_once
from envirosense.cli.lineage import lineage_command
from envirosense.cli.models import evaluate_command, models_app, train_command
from envirosense.cli.output import ReadableGroup
from envirosense.cli.run import report_command, run_command, suggestions_app
from envirosense.cli.runs import runs_app
from envirosense.cli.scenarios import scenarios_app
from envirosense.cli.simulate import simulate_command
from envirosense.ops.logging import configure_logging

app = typer.Typer(
    name="envirosense",
    help="Simulation-driven active learning for environmental-sensor hazard detection.",
    no_args_is_help=True,
    add_completion=False,
    cls=ErrorReportingGroup,
    rich_markup_mode=None,
)
schemas_app = typer.Typer(help="Inspect and export the data contracts (Avro schemas).", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas", cls=ReadableGroup)
app.add_typer(scenarios_app, name="scenarios", cls=ReadableGroup)
app.add_typer(db_app, name="db", cls=ReadableGroup)
app.add_typer(dataset_app, name="dataset", cls=ReadableGroup)
app.command("generate", help="Simulate scenarios into an Avro dataset; rerun to resume.")(generate_command)
app.add_typer(models_app, name="models", cls=ReadableGroup)
app.command("train", help="Train a model on Avro datasets and register it in MLflow.")(train_command)
app.command("evaluate", help="Evaluate a model version: summary table and feedback JSON.")(evaluate_command)
app.command("run", help="Run the active-learning loop, or --resume RUN_ID.")(run_command)
app.command("report", help="Write the HTML report of a run (against baselines).")(report_command)
app.add_typer(runs_app, name="runs", cls=ReadableGroup)
app.add_typer(suggestions_app, name="suggestions", cls=ReadableGroup)
app.command("lineage", help="Trace a sample: its dataset, scenario, weak spot, cycle and models.")(lineage_command)
app.command("simulate", help="Simulate scenarios; one summary row of readings per scenario.")(simulate_command)


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class LogFormatChoice(StrEnum):
    CONSOLE = "console"
    JSON = "json"


@app.callback()
def _root(
    ctx: typer.Context,
    log_level: Annotated[
        LogLevel, typer.Option(case_sensitive=False, help="Lowest level logged (also for MLflow, Alembic, Dask).")
    ] = LogLevel.WARNING,
    log_format: Annotated[LogFormatChoice, typer.Option(help="Log lines as text or JSON.")] = LogFormatChoice.CONSOLE,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of every error.")] = False,
) -> None:
    """Simulation-driven active learning for environmental-sensor hazard detection."""
    ctx.obj = {"debug": debug}
    configure_logging(log_level.value, "json" if log_format is LogFormatChoice.JSON else "console")


config_app = typer.Typer(help="Inspect the run configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config", cls=ReadableGroup)


@config_app.command("reference")
def config_reference() -> None:
    """Print every configuration key with its default and meaning (Markdown)."""
    from envirosense.learning.settings import settings_reference

    typer.echo(settings_reference(), nl=False)


@app.command("version")
def version() -> None:
    """Print the EnviroSense version."""
    typer.echo(__version__)


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[Path, typer.Argument(help="Folder to write NAME.avsc files into.")],
) -> None:
    """Write the Avro schemas generated from the Pydantic records into DIRECTORY."""
    from envirosense.schemas.avro import export_avsc

    for path in export_avsc(directory):
        typer.echo(str(path))


def main() -> None:
    """The ``envirosense`` program: the first Ctrl-C stops the command, later ones are ignored while it
    stops, and any once it has returned (see ``envirosense.cli.interrupts``)."""
    signal.signal(signal.SIGINT, stop_once)
    try:
        app()
    finally:
        ignore_stop_signals()
