"""Database URLs and engines shared by everything that keeps state in the EnviroSense database.

The scenario repository and the active-learning state live in one database: SQLite in the workspace
by default, PostgreSQL when a URL says so. Everything that opens it goes through ``make_engine`` so that
timeouts, pooling and SQLite's locking mode are the same everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from envirosense.repository.errors import RepositoryValidationError

DATABASE_URL_ENV = "ENVIROSENSE_DATABASE_URL"
"""Environment variable naming the database when no URL is given explicitly."""
DEFAULT_WORKSPACE = Path("envirosense-workspace")
DEFAULT_DATABASE_FILE = "envirosense.db"
SCHEMA_TOKEN = "simulation"
"""The schema name tables are declared in; ``schema_engine`` maps it to the real schema (or none on SQLite)."""

SQLITE_BEGIN_OPTION = "sqlite_begin"
"""Execution option: ``"IMMEDIATE"`` makes a SQLite transaction take the write lock when it begins."""


def default_database_url(workspace: Path | str = DEFAULT_WORKSPACE) -> str:
    """The embedded default: ``sqlite:///<workspace>/envirosense.db`` (absolute path)."""
    return f"sqlite:///{(Path(workspace) / DEFAULT_DATABASE_FILE).resolve()}"


def resolve_database_url(url: str | None = None, workspace: Path | str = DEFAULT_WORKSPACE) -> str:
    """``url`` if given, else ``$ENVIROSENSE_DATABASE_URL``, else the workspace's SQLite file."""
    return url or os.environ.get(DATABASE_URL_ENV) or default_database_url(workspace)


def normalize_database_url(url: str | URL) -> URL:
    """A SQLAlchemy URL with the driver this package uses (psycopg 3 for PostgreSQL).

    ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://``; ``sqlite:///path`` is kept.
    Anything else is a ``RepositoryValidationError`` on ``database_url``.
    """
    try:
        parsed = make_url(str(url).replace("postgres://", "postgresql://", 1)) if isinstance(url, str) else url
    except ArgumentError as exc:
        raise RepositoryValidationError("database_url", f"not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if parsed.drivername != "sqlite":
            raise RepositoryValidationError("database_url", "use the plain sqlite:/// scheme")
        return parsed
    raise RepositoryValidationError(
        "database_url", f"unsupported database {backend!r}: use postgresql://… or sqlite:///…"
    )


def redact(url: str | URL) -> str:
    """The URL with its password hidden, for logs and messages."""
    return normalize_database_url(url).render_as_string(hide_password=True)


def make_engine(
    url: str | URL,
    *,
    pool_size: int = 5,
    max_overflow: int = 5,
    pool_timeout_s: float = 10.0,
    connect_timeout_s: float = 5.0,
    statement_timeout_s: float = 30.0,
    sqlite_busy_timeout_s: float = 10.0,
    echo: bool = False,
) -> Engine:
    """An engine with a connection pool and bounded waits everywhere (connect, statements, locks).

    PostgreSQL: psycopg 3, ``connect_timeout`` and a server-side ``statement_timeout``; no ping on
    checkout (a dropped connection surfaces as an invalidated-connection error, which callers retry).
    SQLite: the parent folder is created; WAL journal, ``busy_timeout``, foreign keys on, and
    transactions that begin explicitly (``BEGIN`` or, with the ``sqlite_begin="IMMEDIATE"`` execution
    option, ``BEGIN IMMEDIATE``) so that read-modify-write transactions serialise across processes.
    """
    parsed = normalize_database_url(url)
    if parsed.get_backend_name() == "postgresql":
        options = (
            f"-c statement_timeout={int(statement_timeout_s * 1000)} -c lock_timeout={int(statement_timeout_s * 1000)}"
        )
        return create_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout_s,
            pool_recycle=1800,
            connect_args={"connect_timeout": max(1, round(connect_timeout_s)), "options": options},
            echo=echo,
        )
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout_s,
        connect_args={"timeout": sqlite_busy_timeout_s},
        echo=echo,
    )
    _configure_sqlite(engine, sqlite_busy_timeout_s)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def schema_engine(engine: Engine, schema: str | None) -> Engine:
    """``engine`` with tables declared in ``SCHEMA_TOKEN`` mapped to ``schema`` (``None`` on SQLite)."""
    target = schema if is_postgres(engine) else None
    return engine.execution_options(schema_translate_map={SCHEMA_TOKEN: target})
