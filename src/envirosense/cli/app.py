"""The ``envirosense`` command line: one Typer app, one sub-command module per part of the system."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envirosense import __version__
from envirosense.cli.simulate import simulate_command
from envirosense.ops.logging import configure_logging

app = typer.Typer(
    name="envirosense",
    help="Simulation-driven active learning for environmental-sensor hazard detection.",
    no_args_is_help=True,
    add_completion=False,
)
schemas_app = typer.Typer(help="Inspect and export the data contracts (Avro schemas).", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")
app.command("simulate", help="Simulate scenarios and print a summary table of their readings and labels.")(
    simulate_command
)


@app.callback()
def _root(
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "WARNING",
    log_format: Annotated[str, typer.Option(help="console or json.")] = "console",
) -> None:
    """Simulation-driven active learning for environmental-sensor hazard detection."""
    configure_logging(log_level, "json" if log_format == "json" else "console")


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
    app()
