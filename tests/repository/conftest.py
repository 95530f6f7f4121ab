"""Fixtures: one repository per backend (SQLite file, PostgreSQL schema), each test isolated."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from envirosense.repository import SqlScenarioRepository, make_engine, upgrade_database
from tests.repository.repo_helpers import POSTGRES_URL, Backend


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    engine = make_engine(POSTGRES_URL, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_schema(postgres_engine: Engine) -> Iterator[str]:
    """A fresh, empty schema of its own, dropped after the test."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield schema
    with postgres_engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _backend(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    if kind == "postgres":
        schema = request.getfixturevalue("postgres_schema")
        return Backend("postgres", POSTGRES_URL, schema)
    return Backend("sqlite", f"sqlite:///{tmp_path / 'envirosense.db'}", "simulation")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def empty_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """A database with no EnviroSense tables yet."""
    return _backend(request.param, tmp_path, request)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A migrated database."""
    chosen = _backend(request.param, tmp_path, request)
    engine = make_engine(chosen.url)
    upgrade_database(engine, chosen.schema)
    engine.dispose()
    yield chosen


@pytest.fixture
def repository(backend: Backend) -> Iterator[SqlScenarioRepository]:
    repo = backend.open(retry_wait_s=0.01)
    yield repo
    repo.close()
