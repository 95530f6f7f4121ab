"""``envirosense db``: create and migrate the EnviroSense database (SQLite by default, or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from envirosense.cli.errors import fail
from envirosense.repository.database import (
    DATABASE_URL_ENV,
    DEFAULT_WORKSPACE,
    make_engine,
    redact,
    resolve_database_url,
)
from envirosense.repository.errors import RepositoryError
from envirosense.repository.migrate import DEFAULT_SCHEMA, current_revisions, head_revisions, upgrade_database
from envirosense.repository.roles import (
    APP_ROLE_PASSWORD_ENV,
    RoleGrant,
    check_role_name,
    grant_application_role,
    read_role_password,
    require_postgres,
)

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
PasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help=f"File holding the password of a role this creates or updates (else ${APP_ROLE_PASSWORD_ENV}, "
        "else no password).",
        show_default=False,
    ),
]


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
    app_role: Annotated[
        str | None,
        typer.Option(
            "--app-role",
            help="PostgreSQL: then create this login role if missing and grant it only what runs need "
            "(read and write rows; no DDL). Run as the schema's owner.",
            show_default=False,
        ),
    ] = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Apply the database migrations (creates the tables on first use)."""
    if password_file is not None and app_role is None:
        fail("--password-file is the password of --app-role: give both")
    password: SecretStr | None = None
    with database_engine(database_url, workspace) as engine:
        if app_role is not None:
            check_role_name(app_role)
            require_postgres(engine)
            password = read_role_password(password_file)
        before, after = upgrade_database(engine, schema, revision)
        where = redact(engine.url)
        if before == after:
            typer.echo(f"{where} is already at revision {', '.join(after)}")
        else:
            typer.echo(f"upgraded {where} from {', '.join(before) or 'an empty database'} to {', '.join(after)}")
        if app_role is not None:
            _report_grant(grant_application_role(engine, app_role, schema, password=password))


@db_app.command("grant-role")
def grant_role(
    role: Annotated[str, typer.Argument(help="Name of the role runs connect as (lower-case identifier).")],
    database_url: DatabaseUrlOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    schema: SchemaOption = DEFAULT_SCHEMA,
    password_file: PasswordFileOption = None,
) -> None:
    """PostgreSQL: create a login role if missing and grant it only what runs need (read and write rows of
    the schema's tables; no DDL). Run as the schema's owner, after `envirosense db upgrade`; repeatable."""
    with database_engine(database_url, workspace) as engine:
        check_role_name(role)
        require_postgres(engine)
        _report_grant(grant_application_role(engine, role, schema, password=read_role_password(password_file)))


def _report_grant(grant: RoleGrant) -> None:
    if grant.created:
        password = "with the given password" if grant.password_set else "without a password"
        typer.echo(f"created login role {grant.role} ({password})")
    elif grant.password_set:
        typer.echo(f"role {grant.role} exists; password changed")
    else:
        typer.echo(f"role {grant.role} exists")
    typer.echo(
        f"granted {grant.role} read/write access to the tables of schema {grant.schema} "
        f"in database {grant.database} (no DDL)"
    )


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
