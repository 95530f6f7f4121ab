"""``envirosense db``: create and migrate the EnviroSense database (SQLite by default, or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from envirosense.repository.database import (
    DATABASE_URL_ENV,
    DEFAULT_WORKSPACE,
    make_engine,
    redact,
    resolve_database_url,
)
from envirosense.repository.errors import RepositoryError
from envirosense.repository.migrate import DEFAULT_SCHEMA, current_revisions, head_revisions, upgrade_database

db_app = typer.Typer(help="Create and migrate the EnviroSense database.", no_args_is_help=True)

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar=DATABASE_URL_ENV,
        help="postgresql://user@host:port/db or sqlite:///path (default: the workspace's SQLite file).",
        show_default=False,
    ),
]
WorkspaceOption = Annotated[Path, typer.Option("--workspace", help="Workspace folder holding the SQLite file.")]
SchemaOption = Annotated[str, typer.Option("--schema", help="PostgreSQL schema of the EnviroSense tables.")]


def fail(message: str) -> NoReturn:
    """Print ``message`` as an error on stderr and exit with status 1."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def database_engine(database_url: str | None, workspace: Path) -> Iterator[Engine]:
    """An engine for the resolved URL, disposed afterwards; database errors become a clean exit."""
    try:
        engine = make_engine(resolve_database_url(database_url, workspace), pool_size=1, max_overflow=0)
    except RepositoryError as exc:
        fail(str(exc))
    try:
        yield engine
    except RepositoryError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"database {redact(engine.url)}: {getattr(exc, 'orig', None) or exc}")
    finally:
        engine.dispose()


@db_app.command("upgrade")
def upgrade(
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Apply the database migrations (creates the tables on first use)."""
    with database_engine(database_url, workspace) as engine:
        before, after = upgrade_database(engine, schema, revision)
        where = redact(engine.url)
    if before == after:
        typer.echo(f"{where} is already at revision {', '.join(after)}")
    else:
        typer.echo(f"upgraded {where} from {', '.join(before) or 'an empty database'} to {', '.join(after)}")


@db_app.command("current")
def current(
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
) -> None:
    """Show the database's migration revision and the one this EnviroSense expects."""
    with database_engine(database_url, workspace) as engine:
        found = current_revisions(engine, schema)
        where = redact(engine.url)
    expected = head_revisions()
    state = "up to date" if found == expected else "needs `envirosense db upgrade`"
    typer.echo(f"{where}: at {', '.join(found) or 'no revision'}; expected {', '.join(expected)} ({state})")
