"""``envirosense scenarios``: list, show, search, add, vary and seed scenario definitions."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from envirosense.cli.db import DatabaseUrlOption, SchemaOption, WorkspaceOption
from envirosense.cli.errors import USAGE_EXIT, fail
from envirosense.cli.output import print_json, stdout
from envirosense.repository import SqlScenarioRepository, open_repository
from envirosense.repository.catalogue import catalogue_definitions, seed_catalogue
from envirosense.repository.database import DATABASE_URL_ENV, DEFAULT_DATABASE_FILE, DEFAULT_WORKSPACE
from envirosense.repository.errors import RepositoryError
from envirosense.repository.migrate import DEFAULT_SCHEMA
from envirosense.schemas import ClassLabel, ScenarioCategory, ScenarioDefinition
from envirosense.simulation.parameters import flatten_params

scenarios_app = typer.Typer(help="Store, query, vary and seed scenario definitions.", no_args_is_help=True)


@contextmanager
def repository_session(
    database_url: str | None, workspace: Path, schema: str, *, read_only: bool = False
) -> Iterator[SqlScenarioRepository]:
    """The repository for the options given; repository errors end the command with a clean message.

    ``read_only`` commands refuse a workspace database that does not exist instead of creating it.
    """
    if read_only and database_url is None and os.environ.get(DATABASE_URL_ENV) is None:
        sqlite_file = workspace / DEFAULT_DATABASE_FILE
        if not sqlite_file.is_file():
            where = f"workspace {workspace} does not exist" if not workspace.is_dir() else f"no {sqlite_file}"
            fail(
                f"{where}; give --workspace of an existing workspace or --database-url "
                "(`envirosense db upgrade --workspace PATH` creates one)",
                USAGE_EXIT,
            )
    repository = None
    try:
        repository = open_repository(database_url, workspace=workspace, schema=schema)
        yield repository
    except RepositoryError as exc:
        fail(f"{type(exc).__name__}: {exc}")
    finally:
        if repository is not None:
            repository.close()


def _definitions_table(title: str, definitions: list[ScenarioDefinition]) -> Table:
    table = Table(title=title)
    table.add_column("id", overflow="fold")
    table.add_column("class")
    table.add_column("category")
    table.add_column("v", justify="right")
    table.add_column("name")
    table.add_column("tags")
    for definition in definitions:
        table.add_row(
            definition.scenario_definition_id,
            definition.scenario_class_name.removesuffix("Scenario"),
            definition.category.value,
            str(definition.version),
            definition.name,
            ", ".join(definition.tags),
        )
    return table


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _definition_table(definition: ScenarioDefinition) -> Table:
    table = Table(title=f"{definition.scenario_definition_id} v{definition.version}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    document = definition.model_dump(mode="json", exclude={"specific_params_json"})
    for key, value in document.items():
        table.add_row(key, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
    for key, value in flatten_params(definition.specific_params()).items():
        table.add_row(f"parameter {key}", json.dumps(value))
    return table


@scenarios_app.command("list")
def list_scenarios(
    category: Annotated[ScenarioCategory | None, typer.Option(help="Only this category.")] = None,
    label: Annotated[
        ClassLabel | None,
        typer.Option(metavar="LABEL", help=f"Only this class label: {', '.join(label.value for label in ClassLabel)}."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag the definitions must carry (repeatable).")] = None,
    sensor: Annotated[str | None, typer.Option(help="Sensor id or kind the scenarios must involve.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    offset: Annotated[int, typer.Option(help="Rows to skip.")] = 0,
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
    as_json: JsonOption = False,
) -> None:
    """List stored definitions, oldest first."""
    with repository_session(database_url, workspace, schema, read_only=True) as repository:
        filters: dict[str, Any] = {
            "category": category.value if category else None,
            "class_label": label.value if label else None,
            "tags": tag,
            "sensor_type": sensor,
        }
        total = repository.count_definitions(**filters)
        found = repository.find_definitions(**filters, limit=limit, offset=offset)
    if as_json:
        print_json({"total": total, "definitions": [definition.model_dump(mode="json") for definition in found]})
        return
    stdout().print(_definitions_table(f"{len(found)} of {total} scenario definitions", found))


@scenarios_app.command("show")
def show(
    scenario_id: Annotated[str, typer.Argument(help="Definition id.")],
    version: Annotated[int | None, typer.Option(help="A past version (default: the latest).")] = None,
    lineage: Annotated[bool, typer.Option(help="Also print the lineage document.")] = False,
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
    as_json: JsonOption = False,
) -> None:
    """Print one definition: a table of its fields and parameters, or (--json) the definition as JSON."""
    with repository_session(database_url, workspace, schema, read_only=True) as repository:
        definition = repository.get_definition(scenario_id, version)
        document: dict[str, Any] = definition.model_dump(mode="json")
        lineage_document = repository.get_lineage(scenario_id) if lineage else None
    if as_json:
        print_json({"definition": document, "lineage": lineage_document} if lineage else document)
        return
    stdout().print(_definition_table(definition))
    if lineage:
        typer.echo(json.dumps(lineage_document, indent=2, ensure_ascii=False))


@scenarios_app.command("history")
def history(
    scenario_id: Annotated[str, typer.Argument(help="Definition id.")],
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
) -> None:
    """Every version of a definition, with the fields each one changed."""
    with repository_session(database_url, workspace, schema, read_only=True) as repository:
        versions = repository.history(scenario_id)
    table = Table(title=f"history of {scenario_id}")
    for column in ("version", "created (UTC)", "author", "changed"):
        table.add_column(column, overflow="fold")
    previous: dict[str, Any] | None = None
    for definition in versions:
        current = definition.model_dump(mode="json", exclude={"version", "creation_timestamp_utc"})
        changed = "created" if previous is None else ", ".join(k for k in current if current[k] != previous[k])
        table.add_row(
            str(definition.version),
            definition.creation_timestamp_utc.strftime("%Y-%m-%d %H:%M:%S"),
            definition.author,
            changed or "-",
        )
        previous = current
    stdout().print(table)


@scenarios_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Words that must all occur in the name or description.")],
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
) -> None:
    """Full-text search on name and description, best match first."""
    with repository_session(database_url, workspace, schema, read_only=True) as repository:
        found = repository.search_text(text, limit=limit)
    stdout().print(_definitions_table(f"{len(found)} matches for {text!r}", found))


@scenarios_app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="JSON files with one definition or a list of them ('-': stdin).")],
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
) -> None:
    """Validate and store definitions from JSON files (each file all-or-nothing)."""
    with repository_session(database_url, workspace, schema) as repository:
        for path in paths:
            try:
                raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
                loaded = json.loads(raw)
            except (OSError, json.JSONDecodeError) as exc:
                fail(f"{path}: {exc}")
            items = loaded if isinstance(loaded, list) else [loaded]
            saved = repository.save_many(items)
            typer.echo(f"{path}: stored {saved} definition{'s' if saved != 1 else ''}")


def _parse_assignment(text: str) -> tuple[str, Any]:
    path, separator, value = text.partition("=")
    if not separator or not path:
        fail(f"--set expects PATH=VALUE, got {text!r}")
    try:
        return path.strip(), json.loads(value)
    except json.JSONDecodeError:
        return path.strip(), value


@scenarios_app.command("vary")
def vary(
    base_id: Annotated[str, typer.Argument(help="Definition to vary.")],
    suffix: Annotated[str, typer.Argument(help="The new id is BASE_ID-SUFFIX.")],
    assignments: Annotated[
        list[str], typer.Option("--set", help="PATH=VALUE, dotted parameter path, JSON value (repeatable).")
    ],
    sensor: Annotated[str | None, typer.Option(help="Sensor the variation is for (lineage).")] = None,
    weak_spot: Annotated[list[str] | None, typer.Option(help="Originating weak spot id (repeatable).")] = None,
    note: Annotated[str, typer.Option(help="Why this variation was made.")] = "",
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
) -> None:
    """Store a variation of a definition with some parameters changed (validated against their ranges)."""
    modifications = dict(_parse_assignment(item) for item in assignments)
    context = {"sensor_id": sensor, "weak_spot_ids": weak_spot or [], "note": note}
    with repository_session(database_url, workspace, schema) as repository:
        scenario = repository.create_scenario_variation(base_id, suffix, modifications, context)
    typer.echo(f"stored {scenario.scenario_id} (parent {base_id})")
    table = Table()
    table.add_column("parameter", overflow="fold")
    table.add_column("value", overflow="fold")
    for path, value in modifications.items():
        table.add_row(path, json.dumps(value))
    stdout().print(table)


@scenarios_app.command("seed")
def seed(
    variations: Annotated[int, typer.Option(help="Seeded parameter variations per class.")] = 4,
    seed_value: Annotated[int, typer.Option("--seed", help="Seed of the variations.")] = 0,
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
) -> None:
    """Load the built-in catalogue: every class with its defaults plus seeded variations (existing ids kept)."""
    total = sum(1 for _ in catalogue_definitions(variations, seed_value))
    with repository_session(database_url, workspace, schema) as repository:
        columns = (TextColumn("Seeding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        console = Console(stderr=True)
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task("seed", total=total)
            report = seed_catalogue(repository, variations, seed_value, progress=lambda n: progress.advance(task, n))
    typer.echo(f"catalogue seeded: {report.created} created, {report.skipped} already present")
