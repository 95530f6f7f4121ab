"""A least-privilege PostgreSQL role for running EnviroSense.

Migrations run as the schema's owner (``envirosense db upgrade``); the scenario repository and the
active-learning run-state store only read and write rows. ``grant_application_role`` creates a login role
for them (if missing) and grants it exactly that: ``CONNECT`` on the database, ``USAGE`` on the schema,
``SELECT, INSERT, UPDATE, DELETE`` on the schema's tables (only ``SELECT`` on Alembic's version table),
``USAGE, SELECT`` on its sequences, and the same on tables and sequences later migrations create (default
privileges of the owner). No ``CREATE`` on the schema, no ownership, no ``TRUNCATE``/``REFERENCES``/
``TRIGGER``, no role attributes: the role cannot change the schema. See ``docs/operations.md``, "Security".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg import sql
from pydantic import SecretStr
from sqlalchemy import Engine, RowMapping, text

from envirosense.ops.logging import get_logger
from envirosense.repository.database import is_postgres, redact
from envirosense.repository.errors import RepositoryValidationError
from envirosense.repository.migrate import DEFAULT_SCHEMA, check_identifier, check_schema_name, upgrade_command

APP_ROLE_PASSWORD_ENV = "ENVIROSENSE_APP_ROLE_PASSWORD"
"""Environment variable holding the password given to a role this module creates (optional)."""
VERSION_TABLE = "alembic_version"
"""Alembic's version table in the schema: the application role may read it, never write it."""
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT")

_RESERVED_ROLES = frozenset({"public", "none", "all", "current_role", "current_user", "session_user"})
_ROLE_ATTRIBUTES = {
    "rolsuper": "SUPERUSER",
    "rolcreaterole": "CREATEROLE",
    "rolcreatedb": "CREATEDB",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
}

_log = get_logger(__name__)


@dataclass(frozen=True)
class RoleGrant:
    """What ``grant_application_role`` did: ``created`` (the role was new), ``password_set``."""

    role: str
    schema: str
    database: str
    created: bool
    password_set: bool


def check_role_name(role: object) -> str:
    """``role`` if it is a plain lower-case identifier PostgreSQL allows as a role name;
    ``RepositoryValidationError`` on ``role`` otherwise (before any SQL is sent)."""
    name = check_identifier(role, "role")
    if name.startswith("pg_") or name in _RESERVED_ROLES:
        raise RepositoryValidationError("role", f"{name!r} is reserved by PostgreSQL")
    return name


def read_role_password(password_file: Path | None = None, environ: Mapping[str, str] | None = None) -> SecretStr | None:
    """The password for a new application role: the contents of ``password_file`` (one trailing newline
    dropped; e.g. a mounted secret), else ``$ENVIROSENSE_APP_ROLE_PASSWORD``, else ``None`` (no password:
    authenticate the role another way, or set one later)."""
    if password_file is not None:
        try:
            value = password_file.read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
        except (OSError, UnicodeDecodeError) as exc:
            raise RepositoryValidationError("password_file", f"cannot read {password_file}: {exc}") from None
        return _check_password(value, "password_file")
    from_environment = (os.environ if environ is None else environ).get(APP_ROLE_PASSWORD_ENV)
    return None if from_environment is None else _check_password(from_environment, APP_ROLE_PASSWORD_ENV)


def _check_password(value: str, field: str) -> SecretStr:
    if not value:
        raise RepositoryValidationError(field, "the password is empty")
    if "\x00" in value:
        raise RepositoryValidationError(field, "the password contains a NUL character")
    return SecretStr(value)


def require_postgres(engine: Engine) -> None:
    """``RepositoryValidationError`` on ``database`` unless ``engine`` is PostgreSQL."""
    if not is_postgres(engine):
        raise RepositoryValidationError(
            "database",
            f"database roles exist only on PostgreSQL; {redact(engine.url)} is {engine.dialect.name} "
            "(a SQLite file is protected by its file permissions)",
        )


def grant_application_role(
    engine: Engine,
    role: str,
    schema: str = DEFAULT_SCHEMA,
    *,
    password: SecretStr | str | None = None,
) -> RoleGrant:
    """Create login role ``role`` if missing and grant it exactly what runs need in ``schema``.

    Run it as the schema's owner (the role that runs the migrations) after migrating; running it again is
    harmless, and it also takes back any other privilege the owner had granted ``role`` on the schema, its
    tables and sequences. ``password`` (optional; see ``read_role_password``) is set on the role, as a
    SCRAM verifier computed client-side, so the clear text reaches neither the server nor any log.

    Raises ``RepositoryValidationError`` for a bad role name or schema, a database that is not PostgreSQL,
    a schema that is not migrated yet, or an existing ``role`` that already has more rights than this
    would give (superuser or other role attributes, membership of the owner): use a dedicated role.
    """
    check_role_name(role)
    check_schema_name(schema)
    secret = SecretStr(password) if isinstance(password, str) else password
    if secret is not None:
        _check_password(secret.get_secret_value(), "password")
    require_postgres(engine)
    with engine.begin() as connection:
        # the lock the migrations hold (migrations/env.py): a grant never sees half a migration
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:schema))"), {"schema": schema})
        facts = connection.execute(
            text(
                "SELECT current_database() AS database, pg_get_userbyid(c.relowner) AS owner"
                " FROM pg_namespace n LEFT JOIN pg_class c"
                "  ON c.relnamespace = n.oid AND c.relname = :version_table AND c.relkind = 'r'"
                " WHERE n.nspname = :schema"
            ),
            {"schema": schema, "version_table": VERSION_TABLE},
        ).one_or_none()
        if facts is None or facts.owner is None:
            raise RepositoryValidationError(
                "schema",
                f"schema {schema!r} of {redact(engine.url)} is not migrated yet: run {upgrade_command(engine, schema)}",
            )
        existing = connection.execute(
            text(
                "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,"
                " pg_has_role(r.oid, current_user, 'MEMBER') OR pg_has_role(r.oid, n.nspowner, 'MEMBER')"
                "  OR EXISTS (SELECT 1 FROM pg_class c"
                "   WHERE c.relnamespace = n.oid AND pg_has_role(r.oid, c.relowner, 'MEMBER')) AS owns"
                " FROM pg_roles r CROSS JOIN pg_namespace n WHERE r.rolname = :role AND n.nspname = :schema"
            ),
            {"role": role, "schema": schema},
        ).one_or_none()
        if existing is not None:
            _refuse_powerful_role(role, existing._mapping)
        driver = connection.connection.driver_connection
        assert driver is not None
        statements = _statements(
            role,
            schema,
            facts.database,
            facts.owner,
            create=existing is None,
            verifier=None if secret is None else _verifier(driver, role, secret),
        )
        for statement in statements:
            driver.execute(statement)
    grant = RoleGrant(role, schema, facts.database, created=existing is None, password_set=secret is not None)
    _log.info(
        "application role granted",
        url=redact(engine.url),
        role=role,
        schema=schema,
        created=grant.created,
        password_set=grant.password_set,
    )
    return grant


def _refuse_powerful_role(role: str, existing: RowMapping) -> None:
    attributes = [name for column, name in _ROLE_ATTRIBUTES.items() if existing[column]]
    if attributes:
        raise RepositoryValidationError(
            "role", f"role {role!r} exists with {', '.join(attributes)}: use a dedicated role without them"
        )
    if existing["owns"]:
        raise RepositoryValidationError(
            "role",
            f"role {role!r} is, or is a member of, this session's role or an owner of the schema or its tables: "
            "use a dedicated role that can own nothing",
        )


def _verifier(driver: Any, role: str, secret: SecretStr) -> str:
    """The password as the server stores it (SCRAM-SHA-256, or what ``password_encryption`` says),
    computed by libpq on this side."""
    encrypted: bytes = driver.pgconn.encrypt_password(secret.get_secret_value().encode(), role.encode())
    return encrypted.decode("ascii")


def _statements(
    role: str, schema: str, database: str, owner: str, *, create: bool, verifier: str | None
) -> list[sql.Composed]:
    """The SQL, every name an identifier quoted by psycopg and the verifier a quoted literal."""
    name, space, owner_name = sql.Identifier(role), sql.Identifier(schema), sql.Identifier(owner)
    table_privileges = sql.SQL(", ").join(sql.SQL(p) for p in TABLE_PRIVILEGES)
    sequence_privileges = sql.SQL(", ").join(sql.SQL(p) for p in SEQUENCE_PRIVILEGES)
    password = sql.SQL("") if verifier is None else sql.SQL(" PASSWORD {}").format(sql.Literal(verifier))
    statements: list[sql.Composed] = []
    if create:
        statements.append(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT{}"
            ).format(name, password)
        )
    elif verifier is not None:
        statements.append(sql.SQL("ALTER ROLE {}{}").format(name, password))
    for template in (
        "GRANT CONNECT ON DATABASE {database} TO {role}",
        "REVOKE ALL ON SCHEMA {schema} FROM {role}",
        "GRANT USAGE ON SCHEMA {schema} TO {role}",
        "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        "GRANT {table_privileges} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        "REVOKE INSERT, UPDATE, DELETE ON {schema}.{version_table} FROM {role}",
        "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        "GRANT {sequence_privileges} ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT {table_privileges} ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}"
        " GRANT {sequence_privileges} ON SEQUENCES TO {role}",
    ):
        statements.append(
            sql.SQL(template).format(
                database=sql.Identifier(database),
                role=name,
                schema=space,
                owner=owner_name,
                version_table=sql.Identifier(VERSION_TABLE),
                table_privileges=table_privileges,
                sequence_privileges=sequence_privileges,
            )
        )
    return statements
