"""The least-privilege application role on the real PostgreSQL server: runs work as it, DDL does not.

Every test creates its own uniquely named role (roles are global to the server) and drops it afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shlex
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.learning.state import CycleState
from envirosense.learning.store import CycleStep, RunStatus, RunStore, SuggestionStatus
from envirosense.repository import (
    PostgresScenarioRepository,
    RepositoryValidationError,
    SchemaTooOldError,
    make_engine,
    upgrade_database,
)
from envirosense.repository.database import redact
from envirosense.repository.migrate import current_revisions, head_revisions
from envirosense.repository.roles import APP_ROLE_PASSWORD_ENV, grant_application_role, read_role_password
from tests.repository.repo_helpers import POSTGRES_URL, baseline_definition

pytestmark = pytest.mark.postgres

DOC = Path(__file__).parents[2] / "docs" / "operations.md"
DOC_ROLE = "envirosense_app"
DOC_OWNER_URL = "postgresql+psycopg://envirosense@db-host:5432/envirosense"
FIRST_REVISION = "0001_scenario_definitions"
PERMISSION_DENIED = "42501"


def _quote(engine: Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote_identifier(name)


def _drop_role(engine: Engine, role: str) -> None:
    with engine.begin() as connection:
        if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first() is None:
            return
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :role"), {"role": role}
        )
        connection.execute(text(f"DROP OWNED BY {_quote(engine, role)}"))
        connection.execute(text(f"DROP ROLE {_quote(engine, role)}"))


@pytest.fixture
def role(postgres_engine: Engine, postgres_schema: str) -> Iterator[str]:
    """A role name no other test uses; the role (if created) and its grants are dropped afterwards."""
    name = f"test_app_{uuid.uuid4().hex[:12]}"
    yield name
    _drop_role(postgres_engine, name)


@pytest.fixture
def migrated(postgres_engine: Engine, postgres_schema: str) -> str:
    upgrade_database(postgres_engine, postgres_schema)
    return postgres_schema


@pytest.fixture
def app_engine(role: str) -> Iterator[Engine]:
    """An engine that connects as ``role`` (trust authentication on the test server)."""
    engine = make_engine(make_url(POSTGRES_URL).set(username=role, password=None), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIROSENSE_DATABASE_URL", raising=False)
    monkeypatch.delenv(APP_ROLE_PASSWORD_ENV, raising=False)


def _table_privileges(engine: Engine, role: str, schema: str) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a"
                " WHERE c.relnamespace = CAST(:schema AS regnamespace) AND a.grantee = CAST(:role AS regrole)"
            ),
            {"schema": schema, "role": role},
        ).all()
    return {(row.relname, row.privilege_type) for row in rows}


def test_runs_work_as_the_application_role(
    postgres_engine: Engine, migrated: str, role: str, app_engine: Engine
) -> None:
    grant = grant_application_role(postgres_engine, role, migrated)
    assert grant.created and not grant.password_set and grant.database == postgres_engine.url.database

    # what `envirosense run` does at start: at head, upgrading only reads
    assert upgrade_database(app_engine, migrated) == (head_revisions(), head_revisions())

    with PostgresScenarioRepository(app_engine, schema=migrated) as repository:
        repository.save_scenario_definition(baseline_definition("role-base"))
        assert repository.update_scenario_definition("role-base", {"description": "checked", "version": 1})
        assert repository.get_definition("role-base").version == 2
        variation = repository.create_scenario_variation(
            "role-base", "gusty", {"environment.wind_speed_m_s": 11.5}, sensor_context={"sensor_id": "U24_FT205"}
        )
        assert repository.get_definition(variation.scenario_id).parent_scenario_id == "role-base"
        assert {d.scenario_definition_id for d in repository.find_definitions(category="normal")} == {
            "role-base",
            variation.scenario_id,
        }
        assert "role-base" in {d.scenario_definition_id for d in repository.search_text("checked")}
        assert [d.version for d in repository.history("role-base")] == [1, 2]

    store = RunStore(app_engine, migrated)
    assert store.create_run("run-1", "alm", {"seed": 1})
    store.set_run("run-1", status=RunStatus.WAITING_FOR_REVIEW)
    store.record_step("run-1", 0, CycleStep.EVALUATED, CycleState(probe_dataset="p"))
    store.record_step("run-1", 0, CycleStep.IDENTIFIED, CycleState(weak_spot_ids=["w1"]))
    spot = {"weak_spot_id": "w1", "weak_spot_type": "low_recall_class", "sensor_id": None}
    for _ in range(2):  # replacing deletes the old rows
        store.save_weak_spots("run-1", 0, [{"spot": spot, "strategy": "heterogeneous", "utility": 0.4}])
    suggestion = {
        "suggestion_id": "s1",
        "weak_spot_id": "w1",
        "action": "variation",
        "samples": 40,
        "payload": {},
        "status": SuggestionStatus.PENDING.value,
    }
    store.save_suggestions("run-1", 0, [suggestion])
    assert store.set_suggestion_status("s1", SuggestionStatus.APPROVED, expected=[SuggestionStatus.PENDING])
    assert store.run("run-1").status == RunStatus.WAITING_FOR_REVIEW.value
    assert store.cycle("run-1", 0) == (0, CycleStep.IDENTIFIED, CycleState(probe_dataset="p", weak_spot_ids=["w1"]))
    assert len(store.weak_spots("run-1", 0)) == 1
    assert store.suggestions("run-1")[0]["status"] == SuggestionStatus.APPROVED.value


DDL = [
    "CREATE TABLE {schema}.intruder (i integer)",
    "ALTER TABLE {schema}.scenario_definitions ADD COLUMN intruder integer",
    "DROP TABLE {schema}.al_suggestions",
    "TRUNCATE {schema}.al_runs",
    "CREATE INDEX intruder ON {schema}.al_runs (status)",
    "CREATE SCHEMA intruder_schema",
    "UPDATE {schema}.alembic_version SET version_num = 'forged'",
    "DELETE FROM {schema}.alembic_version",
    "SET ROLE postgres",
    # PostgreSQL 15 and later: PUBLIC may not create in schema public either
    "CREATE TABLE public.intruder (i integer)",
]


@pytest.mark.parametrize("statement", DDL)
def test_the_application_role_cannot_change_the_schema(
    postgres_engine: Engine, migrated: str, role: str, app_engine: Engine, statement: str
) -> None:
    grant_application_role(postgres_engine, role, migrated)
    with app_engine.connect() as connection, pytest.raises(ProgrammingError) as refused:
        connection.execute(text(statement.format(schema=_quote(app_engine, migrated))))
    assert getattr(refused.value.orig, "sqlstate", None) == PERMISSION_DENIED, refused.value
    assert current_revisions(postgres_engine, migrated) == head_revisions()


def test_the_role_has_no_attributes_and_owns_nothing(postgres_engine: Engine, migrated: str, role: str) -> None:
    grant_application_role(postgres_engine, role, migrated)
    with postgres_engine.connect() as connection:
        facts = connection.execute(
            text(
                "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,"
                " has_schema_privilege(:role, :schema, 'CREATE') AS can_create,"
                " has_database_privilege(:role, current_database(), 'CREATE') AS can_create_schema,"
                " (SELECT count(*) FROM pg_class WHERE relowner = r.oid) AS owned"
                " FROM pg_roles r WHERE rolname = :role"
            ),
            {"role": role, "schema": migrated},
        ).one()
    assert facts.rolcanlogin
    assert not any((facts.rolsuper, facts.rolcreaterole, facts.rolcreatedb, facts.rolreplication, facts.rolbypassrls))
    assert not facts.can_create and not facts.can_create_schema and facts.owned == 0
    privileges = _table_privileges(postgres_engine, role, migrated)
    assert ("alembic_version", "SELECT") in privileges
    assert {p for table, p in privileges if table == "alembic_version"} == {"SELECT"}
    assert {p for table, p in privileges if table == "al_runs"} == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert {p for table, p in privileges if table.endswith("_seq")} == {"SELECT", "USAGE"}


def test_granting_twice_is_harmless_and_takes_back_extras(postgres_engine: Engine, migrated: str, role: str) -> None:
    assert grant_application_role(postgres_engine, role, migrated).created
    granted = _table_privileges(postgres_engine, role, migrated)
    with postgres_engine.begin() as connection:
        connection.execute(text(f"GRANT TRUNCATE ON {_quote(postgres_engine, migrated)}.al_runs TO {role}"))
    assert ("al_runs", "TRUNCATE") in _table_privileges(postgres_engine, role, migrated)
    again = grant_application_role(postgres_engine, role, migrated)
    assert not again.created
    assert _table_privileges(postgres_engine, role, migrated) == granted


def test_tables_of_later_migrations_are_covered_and_the_role_cannot_migrate(
    postgres_engine: Engine, postgres_schema: str, role: str, app_engine: Engine
) -> None:
    upgrade_database(postgres_engine, postgres_schema, FIRST_REVISION)
    grant_application_role(postgres_engine, role, postgres_schema)
    with pytest.raises(SchemaTooOldError, match=r"may not migrate it .*permission denied.*as the schema's owner"):
        upgrade_database(app_engine, postgres_schema)
    assert current_revisions(postgres_engine, postgres_schema) == (FIRST_REVISION,)

    upgrade_database(postgres_engine, postgres_schema)  # the owner migrates; no new grant
    store = RunStore(app_engine, postgres_schema)
    assert store.create_run("later", "random", {})
    assert store.runs()[0].run_id == "later"


@pytest.mark.parametrize(
    "name",
    ["", "App", "1app", "app-role", "app role", 'app"; DROP TABLE x; --', "a" * 64, "pg_app", "public", "none", None],
)
def test_an_invalid_role_name_is_rejected_before_any_sql(name: object) -> None:
    nowhere = make_engine("postgresql://postgres@127.0.0.1:1/none")  # any SQL would fail to connect
    with pytest.raises(RepositoryValidationError) as rejected:
        grant_application_role(nowhere, name, "simulation")  # type: ignore[arg-type]
    assert rejected.value.field == "role"
    result = CliRunner().invoke(app, ["db", "grant-role", str(name), "--database-url", str(nowhere.url)])
    assert result.exit_code == 1 and "role" in result.output, result.output
    nowhere.dispose()


def test_sqlite_and_an_unmigrated_schema_are_refused(
    tmp_path: Path, postgres_engine: Engine, postgres_schema: str, role: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'envirosense.db'}"
    with pytest.raises(RepositoryValidationError, match="only on PostgreSQL"):
        grant_application_role(make_engine(sqlite_url), role)
    result = CliRunner().invoke(app, ["db", "upgrade", "--app-role", role, "--database-url", sqlite_url])
    assert result.exit_code == 1 and "only on PostgreSQL" in result.output
    assert not (tmp_path / "envirosense.db").exists()  # refused before migrating

    with pytest.raises(RepositoryValidationError, match="not migrated yet: run envirosense db upgrade"):
        grant_application_role(postgres_engine, role, postgres_schema)


def test_an_existing_role_with_more_rights_is_refused(postgres_engine: Engine, migrated: str, role: str) -> None:
    owner = postgres_engine.url.username
    assert owner is not None
    with pytest.raises(RepositoryValidationError, match="SUPERUSER"):
        grant_application_role(postgres_engine, owner, migrated)
    with postgres_engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN CREATEDB"))
    with pytest.raises(RepositoryValidationError, match="CREATEDB"):
        grant_application_role(postgres_engine, role, migrated)
    with postgres_engine.begin() as connection:
        connection.execute(text(f"ALTER ROLE {role} NOCREATEDB"))
        connection.execute(text(f"GRANT {_quote(postgres_engine, owner)} TO {role}"))
    with pytest.raises(RepositoryValidationError, match="member of"):
        grant_application_role(postgres_engine, role, migrated)
    with postgres_engine.begin() as connection:
        connection.execute(text(f"REVOKE {_quote(postgres_engine, owner)} FROM {role}"))
    assert not grant_application_role(postgres_engine, role, migrated).created  # a plain existing role is fine


def _scram_verifies(verifier: str, password: str) -> bool:
    """Whether a stored ``SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey`` verifier is ``password``'s
    (RFC 7677; an ASCII password needs no SASLprep)."""
    method, parameters, keys = verifier.split("$")
    iterations, salt = parameters.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return method == "SCRAM-SHA-256" and hashlib.sha256(client_key).digest() == base64.b64decode(stored_key)


def _stored_password(engine: Engine, role: str) -> str:
    with engine.connect() as connection:
        value = connection.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role}).scalar()
    assert isinstance(value, str)
    return value


def test_passwords_come_from_the_environment_or_a_file_and_are_never_shown(
    postgres_engine: Engine, migrated: str, role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = ["--database-url", POSTGRES_URL, "--schema", migrated]
    from_environment = "env-Secret%s'\"1"
    monkeypatch.setenv(APP_ROLE_PASSWORD_ENV, from_environment)
    result = CliRunner().invoke(app, ["--log-level", "DEBUG", "db", "grant-role", role, *options])
    assert result.exit_code == 0, result.output
    assert "with the given password" in result.output and from_environment not in result.output
    stored = _stored_password(postgres_engine, role)
    assert from_environment not in stored and _scram_verifies(stored, from_environment)

    from_file = "file-Secret-2"
    secret = tmp_path / "app-role-password"
    secret.write_text(from_file + "\n")
    result = CliRunner().invoke(
        app, ["--log-level", "DEBUG", "db", "upgrade", "--app-role", role, "--password-file", str(secret), *options]
    )
    assert result.exit_code == 0, result.output
    assert "password changed" in result.output and from_file not in result.output
    assert _scram_verifies(_stored_password(postgres_engine, role), from_file)

    assert read_role_password(environ={}) is None
    secret.write_text("\n")
    with pytest.raises(RepositoryValidationError, match="empty"):
        read_role_password(secret)
    result = CliRunner().invoke(app, ["db", "upgrade", "--password-file", str(secret), *options])
    assert result.exit_code == 1 and "--app-role" in result.output


def test_the_documented_session_happens_as_shown(postgres_engine: Engine, postgres_schema: str, role: str) -> None:
    match = re.search(r"<!-- example: app-role -->\n```console\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, "docs/operations.md has no app-role example"
    steps: list[tuple[str, list[str]]] = []
    for line in match[1].splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            steps[-1][1].append(line)
    assert [command for command, _ in steps] == [
        f"envirosense db upgrade --app-role {DOC_ROLE}",
        f"envirosense db grant-role {DOC_ROLE}",
    ]
    for command, expected in steps:
        arguments = [role if word == DOC_ROLE else word for word in shlex.split(command)]
        options = ["--database-url", POSTGRES_URL, "--schema", postgres_schema]
        result = CliRunner().invoke(app, [*arguments[1:], *options])
        assert result.exit_code == 0, result.output
        for line in expected:
            line = line.replace(DOC_OWNER_URL, redact(POSTGRES_URL)).replace(DOC_ROLE, role)
            line = line.replace("schema simulation", f"schema {postgres_schema}")
            pattern = ".*".join(re.escape(part.strip()) for part in line.split("…"))
            assert re.search(pattern, result.output), f"{command!r} printed:\n{result.output}\nnot matching {line!r}"
    assert current_revisions(postgres_engine, postgres_schema) == head_revisions()
