"""Migrations: applied by ``envirosense db upgrade``, packaged with the code, and required by the repository."""

from __future__ import annotations

from importlib.resources import files

import pytest
from alembic import command
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.repository import SchemaTooNewError, SchemaTooOldError, make_engine, upgrade_database
from envirosense.repository.database import schema_engine
from envirosense.repository.migrate import alembic_config, current_revisions, head_revisions
from tests.repository.repo_helpers import Backend


def test_migrations_ship_inside_the_package() -> None:
    migrations = files("envirosense.repository.migrations")
    assert migrations.joinpath("env.py").is_file()
    assert migrations.joinpath("script.py.mako").is_file()
    assert any(
        entry.name.endswith(".py") and entry.name[0].isdigit() for entry in migrations.joinpath("versions").iterdir()
    )
    assert len(head_revisions()) == 1


def test_repository_refuses_an_unmigrated_database_and_names_the_fix(empty_backend: Backend) -> None:
    with pytest.raises(SchemaTooOldError) as raised:
        empty_backend.open()
    assert "envirosense db upgrade" in str(raised.value)
    assert raised.value.current == ()
    assert raised.value.expected == head_revisions()


def test_db_upgrade_command_then_the_repository_opens(empty_backend: Backend) -> None:
    arguments = ["db", "upgrade", "--database-url", empty_backend.url]
    if empty_backend.kind == "postgres":
        arguments += ["--schema", empty_backend.schema]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert head_revisions()[0] in result.output
    again = CliRunner().invoke(app, arguments)
    assert again.exit_code == 0
    assert "already" in again.output
    with empty_backend.open() as repository:
        assert repository.count_definitions() == 0


def test_repository_refuses_a_newer_schema(backend: Backend) -> None:
    engine = make_engine(backend.url)
    with schema_engine(engine, backend.schema).begin() as connection:
        table = f'"{backend.schema}".alembic_version' if backend.kind == "postgres" else "alembic_version"
        connection.execute(text(f"UPDATE {table} SET version_num = '9999_from_the_future'"))
    engine.dispose()
    with pytest.raises(SchemaTooNewError) as raised:
        backend.open()
    assert "9999_from_the_future" in str(raised.value)


def test_migrations_downgrade_and_upgrade_again(backend: Backend) -> None:
    engine = make_engine(backend.url)
    schema = backend.schema if backend.kind == "postgres" else None
    with engine.connect() as connection:
        command.downgrade(alembic_config(connection, schema), "base")
        connection.commit()
    assert current_revisions(engine, backend.schema) == ()
    assert "scenario_definitions" not in inspect(engine).get_table_names(schema=schema)
    with pytest.raises(SchemaTooOldError):
        backend.open()
    before, after = upgrade_database(engine, backend.schema)
    assert (before, after) == ((), head_revisions())
    assert "scenario_definitions" in inspect(engine).get_table_names(schema=schema)
    engine.dispose()
