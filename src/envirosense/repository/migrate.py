"""Schema migrations (Alembic, shipped inside the package) and the check that refuses an old schema.

New tables go in a new revision file under ``migrations/versions`` whose ``down_revision`` is the
current head; ``envirosense db upgrade`` applies it, and every repository then requires it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from envirosense.ops.locks import file_lock
from envirosense.ops.logging import get_logger
from envirosense.repository.database import SCHEMA_TOKEN, is_postgres, redact
from envirosense.repository.errors import RepositoryValidationError, SchemaTooNewError, SchemaTooOldError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_SCHEMA = SCHEMA_TOKEN
"""PostgreSQL schema holding the EnviroSense tables (SQLite has none)."""

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_INSUFFICIENT_PRIVILEGE = "42501"
"""PostgreSQL's SQLSTATE for "permission denied" / "must be owner"."""

_log = get_logger(__name__)


def check_identifier(value: object, field: str) -> str:
    """``value`` if it is a plain lower-case PostgreSQL identifier; ``RepositoryValidationError`` on
    ``field`` if not (names are still quoted wherever they reach SQL)."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise RepositoryValidationError(field, "must be a lower-case identifier: a-z, 0-9, _ (at most 63)")
    return value


def check_schema_name(schema: str | None) -> str | None:
    """``schema`` if it is a plain lower-case PostgreSQL identifier; ``RepositoryValidationError`` if not."""
    return None if schema is None else check_identifier(schema, "schema")


def alembic_config(connection: Connection | None = None, schema: str | None = DEFAULT_SCHEMA) -> Config:
    """An Alembic ``Config`` for the packaged migrations, bound to ``connection`` and ``schema``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


def head_revisions() -> tuple[str, ...]:
    """The revisions a fully migrated database is at (one, unless the chain has branches)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def current_revisions(engine: Engine, schema: str | None = DEFAULT_SCHEMA) -> tuple[str, ...]:
    """The revisions the database is at; empty when it was never migrated."""
    version_schema = schema if is_postgres(engine) else None
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table_schema": version_schema})
        return tuple(sorted(context.get_current_heads()))


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations of a SQLite database across processes (runs started together would otherwise
    race on the migration table) with a file lock next to it. On PostgreSQL the migration environment
    already holds a transaction-level advisory lock (``migrations/env.py``)."""
    if is_postgres(engine):
        yield
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with file_lock(Path(f"{database}.migrate.lock")):
        yield


def upgrade_database(
    engine: Engine, schema: str | None = DEFAULT_SCHEMA, revision: str = "head"
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Apply the migrations up to ``revision``; returns the revisions before and after.

    A database already at head is only read, so a role without DDL rights (``envirosense.repository.roles``)
    may call this at start-up; when it would have to migrate, it gets ``SchemaTooOldError`` saying so.
    """
    check_schema_name(schema)
    with migration_lock(engine):
        before = current_revisions(engine, schema)
        if revision == "head" and before == head_revisions():
            return before, before
        try:
            with engine.connect() as connection:
                command.upgrade(alembic_config(connection, schema if is_postgres(engine) else None), revision)
                connection.commit()
        except sa_exc.ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE:
                raise
            raise _not_allowed_to_migrate(engine, schema, before, exc) from exc
        after = current_revisions(engine, schema)
    _log.info("database upgraded", url=redact(engine.url), schema=schema, before=before, after=after)
    return before, after


def _not_allowed_to_migrate(
    engine: Engine, schema: str | None, current: tuple[str, ...], exc: sa_exc.ProgrammingError
) -> SchemaTooOldError:
    where = f"schema {schema!r} of {redact(engine.url)}"
    found = f"is at revision {', '.join(current)}" if current else "has no EnviroSense tables"
    command_line = upgrade_command(engine, schema).replace(redact(engine.url), "<owner's URL>")
    return SchemaTooOldError(
        f"the database ({where}) {found} and role {engine.url.username!r} may not migrate it "
        f"({str(exc.orig).strip()}); migrate it as the schema's owner: {command_line}",
        current=current,
        expected=head_revisions(),
    )


def upgrade_command(engine: Engine, schema: str | None = DEFAULT_SCHEMA) -> str:
    """The CLI command that brings this database up to date (for error messages)."""
    url = redact(engine.url)
    parts = ["envirosense db upgrade", f"--database-url '{url}'"]
    if is_postgres(engine) and schema != DEFAULT_SCHEMA:
        parts.append(f"--schema {schema}")
    return " ".join(parts)


def check_schema(engine: Engine, schema: str | None = DEFAULT_SCHEMA) -> None:
    """Raise ``SchemaTooOldError`` (with the fixing command) or ``SchemaTooNewError`` unless at head."""
    current = current_revisions(engine, schema)
    expected = head_revisions()
    if current == expected:
        return
    scripts = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in scripts.walk_revisions()}
    where = f"schema {schema!r} of {redact(engine.url)}" if is_postgres(engine) else redact(engine.url)
    if any(revision not in known for revision in current):
        raise SchemaTooNewError(
            f"the database ({where}) is at revision {', '.join(current)}, which this version of EnviroSense "
            f"does not know (it expects {', '.join(expected)}): upgrade EnviroSense",
            current=current,
            expected=expected,
        )
    found = f"is at revision {', '.join(current)}" if current else "has no EnviroSense tables"
    raise SchemaTooOldError(
        f"the database ({where}) {found}; this version of EnviroSense needs revision "
        f"{', '.join(expected)}. Run: {upgrade_command(engine, schema)}",
        current=current,
        expected=expected,
    )
