"""The SQL scenario repository: everything both databases share (SQLAlchemy 2 Core).

``PostgresScenarioRepository`` and ``SQLiteScenarioRepository`` differ only in how tags, parameters and
text are searched and in how a write transaction takes its lock.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from envirosense.ops.logging import get_logger
from envirosense.repository.catalogue import class_definition, exploration_definition
from envirosense.repository.crafting import Crafter, CraftRequest, RuleBasedInverseCrafter, feature_targets
from envirosense.repository.database import is_postgres, make_engine, redact, schema_engine
from envirosense.repository.errors import (
    ConflictError,
    RepositoryUnavailableError,
    RepositoryValidationError,
    ScenarioNotFoundError,
)
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.repository.migrate import DEFAULT_SCHEMA, check_schema, check_schema_name
from envirosense.repository.sensors import (
    driven_sensor_ids,
    resolve_sensor_type,
    sensor_tags,
    sensor_type_key,
)
from envirosense.repository.tables import RepositoryTables, repository_tables
from envirosense.repository.validation import (
    check_lineage,
    check_text,
    now_utc,
    require_filter,
    utc,
    validate_definition,
)
from envirosense.repository.variation import (
    SensorContext,
    as_sensor_context,
    validate_param_modifications,
    variation_definition,
)
from envirosense.schemas import ClassLabel, SampleFeaturesSummary, ScenarioCategory, ScenarioDefinition
from envirosense.simulation.parameters import unflatten_params
from envirosense.simulation.registry import UnknownScenarioClassError, scenario_classes, scenario_from_definition
from envirosense.simulation.scenario import BaseScenario

T = TypeVar("T")

MAX_RESULTS = 1000
"""Most rows one query returns (``num_to_get``, ``limit``)."""
UPDATABLE_FIELDS = frozenset(ScenarioDefinition.model_fields) - {"scenario_definition_id", "creation_timestamp_utc"}
_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,200}")
_PARAM_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_CRAFTED_SUFFIX_LENGTH = len("-crafted-") + 10


def _check_id(value: object, field: str, max_length: int = 200) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value) or len(value) > max_length:
        raise RepositoryValidationError(field, f"must be 1 to {max_length} of: letters, digits, _ . : -")
    return value


def _check_limit(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RESULTS:
        raise RepositoryValidationError(field, f"must be an integer from 1 to {MAX_RESULTS}")
    return value


def _content(definition: ScenarioDefinition) -> dict[str, Any]:
    return definition.model_dump(exclude={"version", "creation_timestamp_utc"})


class SqlScenarioRepository(ScenarioRepositoryInterface):
    """A scenario repository on a SQL database.

    Parameters: ``database`` (URL, SQLite file path, or an ``Engine`` to share), ``schema`` (PostgreSQL
    schema holding the tables), ``crafter`` (used by ``craft_scenario_from_features``; default
    ``RuleBasedInverseCrafter()``), ``author`` (recorded on definitions the repository creates),
    ``max_attempts`` and ``retry_wait_s`` (bounded retries of transient database errors, then
    ``RepositoryUnavailableError``), ``check_schema_version`` (refuse an old schema at construction) and
    ``engine_options`` (passed to ``make_engine``).
    """

    dialect: ClassVar[str]

    def __init__(
        self,
        database: str | Path | Engine,
        *,
        schema: str = DEFAULT_SCHEMA,
        crafter: Crafter | None = None,
        author: str = "envirosense",
        max_attempts: int = 3,
        retry_wait_s: float = 0.2,
        check_schema_version: bool = True,
        **engine_options: Any,
    ) -> None:
        check_schema_name(schema)
        if isinstance(database, Engine):
            engine, self._owns_engine = database, False
        else:
            engine, self._owns_engine = make_engine(self._database_url(database), **engine_options), True
        if engine.dialect.name != self.dialect:
            raise RepositoryValidationError(
                "database", f"{type(self).__name__} needs a {self.dialect} database, got {engine.dialect.name}"
            )
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.schema = check_schema_name(schema)
        self.crafter: Crafter = crafter if crafter is not None else RuleBasedInverseCrafter()
        self.author = author
        self.max_attempts = max_attempts
        self.retry_wait_s = retry_wait_s
        self._raw_engine = engine
        self._engine = schema_engine(engine, schema)
        self._read_engine = (
            self._engine.execution_options(isolation_level="AUTOCOMMIT") if is_postgres(engine) else self._engine
        )
        self._tables: RepositoryTables = repository_tables(is_postgres(engine))
        definitions = self._tables.definitions
        self._columns = [column for column in definitions.c if column.name != "search_vector"]
        self._log = get_logger(__name__, url=redact(engine.url), schema=schema if is_postgres(engine) else None)
        if check_schema_version:
            try:
                self._run("check schema", lambda: check_schema(engine, schema))
            except Exception:
                self.close()
                raise

    @staticmethod
    def _database_url(database: str | Path) -> str:
        return str(database)

    @property
    def engine(self) -> Engine:
        """The engine (without the schema mapping), e.g. to share the pool with other state tables."""
        return self._raw_engine

    def close(self) -> None:
        """Dispose of the connection pool if this repository created it."""
        if self._owns_engine:
            self._raw_engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # --- retries and transactions --------------------------------------------------------------

    def _is_transient(self, exc: BaseException) -> bool:
        if isinstance(exc, sa_exc.TimeoutError):
            return True
        if isinstance(exc, sa_exc.DBAPIError):
            if exc.connection_invalidated:
                return True
            return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) and self._transient_message(
                str(exc.orig)
            )
        return False

    def _transient_message(self, message: str) -> bool:
        """Whether a driver-level operational error is worth retrying (overridden per database)."""
        return True

    def _run(self, operation: str, call: Callable[[], T]) -> T:
        """``call()`` with bounded, exponentially spaced retries of transient database errors."""

        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            self._log.warning("database retry", operation=operation, attempt=state.attempt_number, error=str(error))

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=self.retry_wait_s, max=5.0),
            retry=retry_if_exception(self._is_transient),
            before_sleep=log_retry,
            reraise=True,
        )
        try:
            return retrying(call)
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            if not self._is_transient(exc):
                raise
            raise RepositoryUnavailableError(
                f"{operation}: database {redact(self._raw_engine.url)} unavailable after "
                f"{self.max_attempts} attempts: {getattr(exc, 'orig', None) or exc}",
                attempts=self.max_attempts,
            ) from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection for reads (PostgreSQL: autocommit, so a one-statement read is one round trip)."""
        with self._read_engine.connect() as connection:
            yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any error."""
        with self._engine.connect() as connection:
            self._prepare_write(connection)
            with connection.begin():
                yield connection

    def _prepare_write(self, connection: Connection) -> None:
        """Hook: options a write transaction needs before it begins (SQLite: take the write lock)."""

    # --- dialect hooks -------------------------------------------------------------------------

    @abstractmethod
    def _tags_condition(self, tags: Sequence[str], match_all: bool) -> sa.ColumnElement[bool]:
        """Definitions carrying all (or any) of ``tags``."""

    @abstractmethod
    def _params_condition(self, params: Mapping[str, Any]) -> sa.ColumnElement[bool]:
        """Definitions whose parameters equal ``params`` (dotted paths → values)."""

    @abstractmethod
    def _text_search(self, query: sa.Select[Any], text: str) -> sa.Select[Any]:
        """``query`` restricted to full-text matches of ``text`` on name and description, best first."""

    # --- rows ----------------------------------------------------------------------------------

    def _row(
        self, definition: ScenarioDefinition, class_label: str, lineage: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        return {
            "scenario_definition_id": definition.scenario_definition_id,
            "scenario_class_module": definition.scenario_class_module,
            "scenario_class_name": definition.scenario_class_name,
            "class_label": class_label,
            "scenario_instance_id": definition.scenario_instance_id,
            "name": definition.name,
            "description": definition.description,
            "category": definition.category.value,
            "tags": list(definition.tags),
            "difficulty_level": definition.difficulty_level.value,
            "expected_duration_seconds": definition.expected_duration_seconds,
            "version": definition.version,
            "creation_timestamp_utc": definition.creation_timestamp_utc,
            "specific_params": json.loads(definition.specific_params_json),
            "author": definition.author,
            "related_scenario_ids": list(definition.related_scenario_ids),
            "originating_weak_spot_ids": list(definition.originating_weak_spot_ids),
            "parent_scenario_id": definition.parent_scenario_id,
            "lineage": dict(lineage) if lineage is not None else None,
        }

    @staticmethod
    def _history_row(
        definition: ScenarioDefinition, lineage: Mapping[str, Any] | None, change_kind: str
    ) -> dict[str, Any]:
        return {
            "scenario_definition_id": definition.scenario_definition_id,
            "version": definition.version,
            "definition": definition.model_dump(mode="json"),
            "lineage": dict(lineage) if lineage is not None else None,
            "change_kind": change_kind,
            "recorded_at_utc": now_utc(),
        }

    @staticmethod
    def _to_definition(row: RowMapping) -> ScenarioDefinition:
        return ScenarioDefinition.model_validate(
            {
                "scenario_definition_id": row["scenario_definition_id"],
                "scenario_class_module": row["scenario_class_module"],
                "scenario_class_name": row["scenario_class_name"],
                "scenario_instance_id": row["scenario_instance_id"],
                "name": row["name"],
                "description": row["description"],
                "category": row["category"],
                "tags": list(row["tags"]),
                "difficulty_level": row["difficulty_level"],
                "expected_duration_seconds": row["expected_duration_seconds"],
                "version": row["version"],
                "creation_timestamp_utc": utc(row["creation_timestamp_utc"]),
                "specific_params_json": json.dumps(row["specific_params"], sort_keys=True, separators=(",", ":")),
                "author": row["author"],
                "related_scenario_ids": list(row["related_scenario_ids"]),
                "originating_weak_spot_ids": list(row["originating_weak_spot_ids"]),
                "parent_scenario_id": row["parent_scenario_id"],
            }
        )

    def _select_definition(self, connection: Connection, scenario_id: str, lock: bool = False) -> RowMapping | None:
        definitions = self._tables.definitions
        query = sa.select(*self._columns).where(definitions.c.scenario_definition_id == scenario_id)
        if lock:
            query = query.with_for_update()
        return connection.execute(query).mappings().first()

    def _insert(
        self,
        connection: Connection,
        items: Sequence[tuple[ScenarioDefinition, type[BaseScenario[Any]], Mapping[str, Any] | None]],
    ) -> None:
        if not items:
            return
        try:
            connection.execute(
                sa.insert(self._tables.definitions),
                [
                    {**self._row(d, cls.class_label.value, lineage), "first_created_utc": d.creation_timestamp_utc}
                    for d, cls, lineage in items
                ],
            )
        except sa_exc.IntegrityError as exc:
            ids = ", ".join(repr(d.scenario_definition_id) for d, _, _ in items[:5])
            raise ConflictError(
                f"scenario definition already exists (one of {ids}); use update_scenario_definition to change it",
                scenario_definition_id=items[0][0].scenario_definition_id,
            ) from exc
        connection.execute(
            sa.insert(self._tables.history), [self._history_row(d, lineage, "create") for d, _, lineage in items]
        )

    # --- the interface: writes -----------------------------------------------------------------

    def save_scenario_definition(self, scenario_def: ScenarioDefinition | Mapping[str, Any]) -> str:
        definition, cls = validate_definition(scenario_def)

        def save() -> None:
            with self._write() as connection:
                self._insert(connection, [(definition, cls, None)])

        self._run("save_scenario_definition", save)
        self._log.info("definition saved", scenario_definition_id=definition.scenario_definition_id)
        return definition.scenario_definition_id

    def save_many(
        self,
        definitions: Iterable[ScenarioDefinition | Mapping[str, Any]],
        *,
        skip_existing: bool = False,
        lineage: Mapping[str, Any] | None = None,
    ) -> int:
        """Validate every definition, then store them all in one transaction; returns how many were stored.

        With ``skip_existing`` ids already stored are left alone; otherwise any such id is a
        ``ConflictError`` and nothing is stored.
        """
        check_lineage(lineage)
        items = []
        for index, value in enumerate(definitions):
            try:
                definition, cls = validate_definition(value)
            except RepositoryValidationError as exc:
                raise RepositoryValidationError(f"definitions.{index}.{exc.field}", exc.reason) from None
            items.append((definition, cls, lineage))

        def save() -> int:
            with self._write() as connection:
                todo = items
                if skip_existing:
                    existing = self._existing_ids(connection, [d.scenario_definition_id for d, _, _ in items])
                    todo = [item for item in items if item[0].scenario_definition_id not in existing]
                self._insert(connection, todo)
                return len(todo)

        return self._run("save_many", save)

    def _existing_ids(self, connection: Connection, ids: list[str]) -> set[str]:
        column = self._tables.definitions.c.scenario_definition_id
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found.update(connection.execute(sa.select(column).where(column.in_(chunk))).scalars())
        return found

    def update_scenario_definition(self, scenario_def_id: str, updates: Mapping[str, Any]) -> bool:
        _check_id(scenario_def_id, "scenario_def_id")
        if not isinstance(updates, Mapping):
            raise RepositoryValidationError("updates", f"expected a mapping, got {type(updates).__name__}")
        expected = updates.get("version")
        if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 1):
            raise RepositoryValidationError("updates.version", "the version the update is based on: an integer >= 1")
        changes = {key: value for key, value in updates.items() if key != "version"}
        for key in changes:
            if key not in UPDATABLE_FIELDS:
                reason = "cannot be changed" if key in ScenarioDefinition.model_fields else "unknown field"
                raise RepositoryValidationError(f"updates.{key}", reason)
        if isinstance(changes.get("specific_params_json"), Mapping):
            changes["specific_params_json"] = json.dumps(changes["specific_params_json"], sort_keys=True)

        def update() -> bool:
            with self._write() as connection:
                row = self._select_definition(connection, scenario_def_id, lock=True)
                if row is None:
                    raise ScenarioNotFoundError(scenario_def_id)
                current = self._to_definition(row)
                if expected is not None and expected != current.version:
                    raise ConflictError(
                        f"scenario definition {scenario_def_id!r} is at version {current.version}, "
                        f"the update was based on version {expected}",
                        scenario_definition_id=scenario_def_id,
                        expected_version=expected,
                        actual_version=current.version,
                    )
                candidate = {
                    **current.model_dump(),
                    **changes,
                    "version": current.version + 1,
                    "creation_timestamp_utc": now_utc(),
                }
                definition, cls = validate_definition(candidate)
                if _content(definition) == _content(current):
                    return False
                definitions = self._tables.definitions
                values = self._row(definition, cls.class_label.value, row["lineage"])
                result = connection.execute(
                    sa.update(definitions)
                    .where(definitions.c.scenario_definition_id == scenario_def_id)
                    .where(definitions.c.version == current.version)
                    .values(values)
                )
                if result.rowcount != 1:
                    raise ConflictError(
                        f"scenario definition {scenario_def_id!r} changed during the update",
                        scenario_definition_id=scenario_def_id,
                        expected_version=current.version,
                    )
                connection.execute(
                    sa.insert(self._tables.history), [self._history_row(definition, row["lineage"], "update")]
                )
                return True

        changed = self._run("update_scenario_definition", update)
        self._log.info("definition updated", scenario_definition_id=scenario_def_id, changed=changed)
        return changed

    # --- the interface: reads ------------------------------------------------------------------

    def get_definition(self, scenario_id: str, version: int | None = None) -> ScenarioDefinition:
        """The stored definition (latest, or ``version`` from the history); ``ScenarioNotFoundError``."""
        _check_id(scenario_id, "scenario_id")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
            raise RepositoryValidationError("version", "must be an integer >= 1")

        def read() -> ScenarioDefinition:
            with self._read() as connection:
                if version is None:
                    row = self._select_definition(connection, scenario_id)
                    if row is None:
                        raise ScenarioNotFoundError(scenario_id)
                    return self._to_definition(row)
                history = self._tables.history
                document = connection.execute(
                    sa.select(history.c.definition)
                    .where(history.c.scenario_definition_id == scenario_id)
                    .where(history.c.version == version)
                ).scalar()
                if document is None:
                    raise ScenarioNotFoundError(scenario_id, version)
                return ScenarioDefinition.model_validate(document)

        return self._run("get_definition", read)

    def find_definition(self, scenario_id: str) -> ScenarioDefinition | None:
        """The stored definition, or ``None``."""
        try:
            return self.get_definition(scenario_id)
        except ScenarioNotFoundError:
            return None

    def get_scenario_by_id(self, scenario_id: str) -> BaseScenario[Any]:
        return self._runnable(self.get_definition(scenario_id))

    @staticmethod
    def _runnable(definition: ScenarioDefinition) -> BaseScenario[Any]:
        try:
            return scenario_from_definition(definition)
        except UnknownScenarioClassError as exc:
            raise RepositoryValidationError("scenario_class_name", str(exc)) from None
        except ValidationError as exc:
            raise RepositoryValidationError.from_pydantic(exc, prefix="specific_params_json") from None

    def history(self, scenario_id: str) -> list[ScenarioDefinition]:
        """Every version of a definition, oldest first; ``ScenarioNotFoundError`` when there is none."""
        _check_id(scenario_id, "scenario_id")

        def read() -> list[ScenarioDefinition]:
            history = self._tables.history
            with self._read() as connection:
                documents = connection.execute(
                    sa.select(history.c.definition)
                    .where(history.c.scenario_definition_id == scenario_id)
                    .order_by(history.c.version)
                ).scalars()
                return [ScenarioDefinition.model_validate(document) for document in documents]

        versions = self._run("history", read)
        if not versions:
            raise ScenarioNotFoundError(scenario_id)
        return versions

    def get_lineage(self, scenario_id: str) -> dict[str, Any] | None:
        """The lineage document saved with a definition (origin, sensor context, crafting report), if any."""
        _check_id(scenario_id, "scenario_id")

        def read() -> dict[str, Any] | None:
            with self._read() as connection:
                row = self._select_definition(connection, scenario_id)
            if row is None:
                raise ScenarioNotFoundError(scenario_id)
            lineage: dict[str, Any] | None = row["lineage"]
            return lineage

        return self._run("get_lineage", read)

    def _sensor_condition(self, sensor_type: str) -> sa.ColumnElement[bool]:
        sensor_ids = resolve_sensor_type(sensor_type)
        classes = [cls.__name__ for cls in scenario_classes() if set(driven_sensor_ids(cls)) & set(sensor_ids)]
        condition = self._tags_condition(sensor_tags(sensor_ids), match_all=False)
        if classes:
            condition = sa.or_(condition, self._tables.definitions.c.scenario_class_name.in_(classes))
        return condition

    def _conditions(
        self,
        *,
        category: ScenarioCategory | str | None = None,
        class_label: ClassLabel | str | None = None,
        scenario_class: str | None = None,
        tags: Sequence[str] | None = None,
        match_all_tags: bool = True,
        parent_scenario_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        sensor_type: str | None = None,
    ) -> list[sa.ColumnElement[bool]]:
        definitions = self._tables.definitions
        conditions: list[sa.ColumnElement[bool]] = []
        if category is not None:
            conditions.append(definitions.c.category == _enum(ScenarioCategory, category, "category").value)
        if class_label is not None:
            conditions.append(definitions.c.class_label == _enum(ClassLabel, class_label, "class_label").value)
        if scenario_class is not None:
            check_text(scenario_class, "scenario_class")
            conditions.append(definitions.c.scenario_class_name == scenario_class)
        if tags:
            for index, tag in enumerate(tags):
                check_text(tag, f"tags.{index}")
            conditions.append(self._tags_condition(list(tags), match_all_tags))
        if parent_scenario_id is not None:
            conditions.append(definitions.c.parent_scenario_id == _check_id(parent_scenario_id, "parent_scenario_id"))
        if params:
            flat = {}
            for path, value in params.items():
                if not isinstance(path, str) or not _PARAM_PATH.fullmatch(path):
                    raise RepositoryValidationError(f"params.{path}", "not a dotted parameter path")
                if isinstance(value, float) and not math.isfinite(value):
                    raise RepositoryValidationError(f"params.{path}", "must be finite")
                if not isinstance(value, str | int | float | bool):
                    raise RepositoryValidationError(f"params.{path}", "must be a string, number or boolean")
                flat[path] = value
            conditions.append(self._params_condition(flat))
        if sensor_type is not None:
            conditions.append(self._sensor_condition(sensor_type))
        return conditions

    def _find_query(
        self,
        *,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
        **filters: Any,
    ) -> sa.Select[Any]:
        _check_limit(limit, "limit")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise RepositoryValidationError("offset", "must be an integer >= 0")
        definitions = self._tables.definitions
        query = sa.select(*self._columns).where(*self._conditions(**filters))
        if text is not None:
            check_text(text, "text")
            if len(text) > 1000:
                raise RepositoryValidationError("text", "longer than 1000 characters")
            query = self._text_search(query, text)
        else:
            query = query.order_by(definitions.c.id)
        return query.limit(limit).offset(offset)

    def find_definitions(
        self,
        *,
        text: str | None = None,
        category: ScenarioCategory | str | None = None,
        class_label: ClassLabel | str | None = None,
        scenario_class: str | None = None,
        tags: Sequence[str] | None = None,
        match_all_tags: bool = True,
        parent_scenario_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        sensor_type: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ScenarioDefinition]:
        """Definitions matching every filter given, oldest first (best text match first with ``text``).

        ``tags``: all of them (``match_all_tags``) or any; ``params``: dotted parameter path → exact value;
        ``text``: every word must occur in the name or description (stemmed, case-insensitive).
        """
        query = self._find_query(
            text=text,
            category=category,
            class_label=class_label,
            scenario_class=scenario_class,
            tags=tags,
            match_all_tags=match_all_tags,
            parent_scenario_id=parent_scenario_id,
            params=params,
            sensor_type=sensor_type,
            limit=limit,
            offset=offset,
        )

        def read() -> list[ScenarioDefinition]:
            with self._read() as connection:
                return [self._to_definition(row) for row in connection.execute(query).mappings()]

        return self._run("find_definitions", read)

    def explain_find(self, **arguments: Any) -> list[str]:
        """The database's query plan for ``find_definitions(**arguments)`` (PostgreSQL: executed, with
        timings and buffers; SQLite: ``EXPLAIN QUERY PLAN``)."""
        return self._explain(self._find_query(**arguments))

    def explain_get(self, scenario_id: str) -> list[str]:
        """The query plan of reading one definition by id."""
        definitions = self._tables.definitions
        return self._explain(
            sa.select(*self._columns).where(
                definitions.c.scenario_definition_id == _check_id(scenario_id, "scenario_id")
            )
        )

    def _explain(self, query: sa.Select[Any]) -> list[str]:
        prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if is_postgres(self._raw_engine) else "EXPLAIN QUERY PLAN "
        with self._read() as connection:
            rows = connection.execute(_Explain(query, prefix)).all()
        return [str(row[-1]) for row in rows]

    def search_text(self, text: str, limit: int = 20) -> list[ScenarioDefinition]:
        """Full-text search on name and description, best match first."""
        return self.find_definitions(text=text, limit=limit)

    def count_definitions(self, **filters: Any) -> int:
        """How many definitions match the filters of ``find_definitions`` (without ``text``)."""
        conditions = self._conditions(**filters)
        query = sa.select(sa.func.count()).select_from(self._tables.definitions).where(*conditions)

        def read() -> int:
            with self._read() as connection:
                return int(connection.execute(query).scalar_one())

        return self._run("count_definitions", read)

    def _runnable_list(self, definitions: list[ScenarioDefinition]) -> list[BaseScenario[Any]]:
        scenarios = []
        for definition in definitions:
            try:
                scenarios.append(self._runnable(definition))
            except RepositoryValidationError as exc:
                self._log.warning(
                    "stored definition is not runnable",
                    scenario_definition_id=definition.scenario_definition_id,
                    error=str(exc),
                )
        return scenarios

    def get_scenarios_by_category(
        self, category: ScenarioCategory | str, sensor_type: str | None = None, num_to_get: int = 5
    ) -> list[BaseScenario[Any]]:
        require_filter(category, "category")
        _check_limit(num_to_get, "num_to_get")
        found = self.find_definitions(category=category, sensor_type=sensor_type, limit=num_to_get)
        return self._runnable_list(found)

    def get_scenarios_by_class_label(
        self, class_label: ClassLabel | str, sensor_type: str | None = None, num_to_get: int = 5
    ) -> list[BaseScenario[Any]]:
        require_filter(class_label, "class_label")
        _check_limit(num_to_get, "num_to_get")
        found = self.find_definitions(class_label=class_label, sensor_type=sensor_type, limit=num_to_get)
        return self._runnable_list(found)

    # --- the interface: variation, crafting, exploration ---------------------------------------

    def _base_definition(self, base_scenario: BaseScenario[Any] | ScenarioDefinition | str) -> ScenarioDefinition:
        if isinstance(base_scenario, str):
            return self.get_definition(_check_id(base_scenario, "base_scenario"))
        if isinstance(base_scenario, ScenarioDefinition):
            return base_scenario
        if isinstance(base_scenario, BaseScenario):
            return base_scenario.definition or base_scenario.to_definition()
        raise RepositoryValidationError(
            "base_scenario", f"expected a scenario, a definition or an id, got {type(base_scenario).__name__}"
        )

    def _save_or_get_same(
        self,
        definition: ScenarioDefinition,
        cls: type[BaseScenario[Any]],
        lineage: Mapping[str, Any],
        parent: tuple[ScenarioDefinition, type[BaseScenario[Any]]] | None = None,
    ) -> ScenarioDefinition:
        """Save ``definition`` (and ``parent`` first if it is not stored yet), or return the stored one
        when it has the same class, parameters and parent (a repeated call); ``ConflictError`` otherwise."""
        check_lineage(lineage)

        def save() -> ScenarioDefinition:
            with self._write() as connection:
                row = self._select_definition(connection, definition.scenario_definition_id, lock=True)
                if row is not None:
                    stored = self._to_definition(row)
                    same = (
                        stored.scenario_class_name == definition.scenario_class_name
                        and stored.specific_params() == definition.specific_params()
                        and stored.parent_scenario_id == definition.parent_scenario_id
                    )
                    if same:
                        return stored
                    raise ConflictError(
                        f"scenario definition {definition.scenario_definition_id!r} already exists with other "
                        "parameters; choose another id",
                        scenario_definition_id=definition.scenario_definition_id,
                    )
                if parent is not None and self._select_definition(connection, parent[0].scenario_definition_id) is None:
                    self._insert(connection, [(parent[0], parent[1], {"origin": "parent_of_saved_definition"})])
                self._insert(connection, [(definition, cls, lineage)])
                return definition

        return self._run("save", save)

    def create_scenario_variation(
        self,
        base_scenario: BaseScenario[Any] | ScenarioDefinition | str,
        new_id_suffix: str,
        param_modifications: Mapping[str, Any],
        sensor_context: SensorContext | Mapping[str, Any] | None = None,
    ) -> BaseScenario[Any]:
        base, cls = validate_definition(self._base_definition(base_scenario))
        context = as_sensor_context(sensor_context)
        base_params = cls.params_model.model_validate(base.specific_params())
        params, flat = validate_param_modifications(cls, base_params, param_modifications)
        definition, _ = validate_definition(
            variation_definition(base, cls, new_id_suffix, params, flat, context, self.author)
        )
        lineage = {
            "origin": "variation",
            "base_scenario_id": base.scenario_definition_id,
            "base_version": base.version,
            "param_modifications": flat,
            "sensor_context": context.model_dump(mode="json") if context else None,
        }
        stored = self._save_or_get_same(definition, cls, lineage, parent=(base, cls))
        self._log.info(
            "variation created",
            scenario_definition_id=stored.scenario_definition_id,
            parent=base.scenario_definition_id,
            modifications=flat,
        )
        return self._runnable(stored)

    def craft_scenario_from_features(
        self,
        features_summary: SampleFeaturesSummary | Mapping[str, Any],
        base_id: str,
        target_class: ClassLabel | str | None = None,
        sensor_type: str | None = None,
    ) -> BaseScenario[Any]:
        try:
            summary = SampleFeaturesSummary.model_validate(
                features_summary.model_dump()
                if isinstance(features_summary, SampleFeaturesSummary)
                else features_summary
            )
        except ValidationError as exc:
            raise RepositoryValidationError.from_pydantic(exc, prefix="features_summary") from None
        _check_id(base_id, "base_id", max_length=200 - _CRAFTED_SUFFIX_LENGTH)
        label = _enum(ClassLabel, target_class or summary.target_class_for_explanation, "target_class")
        sensor_ids = resolve_sensor_type(sensor_type) if sensor_type is not None else None
        key = json.dumps(
            {
                "crafter": self.crafter.name,
                "summary": summary.model_dump(mode="json"),
                "target_class": label.value,
                "sensor_type": sensor_type_key(sensor_type) if sensor_type else None,
            },
            sort_keys=True,
        )
        new_id = f"{base_id}-crafted-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
        existing = self.find_definition(new_id)
        if existing is not None:
            return self._runnable(existing)
        parent = self.find_definition(base_id)
        runnable_parent = self._runnable_list([parent]) if parent is not None else []
        start = runnable_parent[0] if runnable_parent else None
        targets = tuple(feature_targets(summary, sensor_ids))
        result = self.crafter.craft(CraftRequest(summary=summary, target_label=label, targets=targets, start=start))
        target_sensors = tuple(dict.fromkeys(target.feature.sensor_id for target in targets))
        cls = result.scenario_class
        features = ", ".join(f"{t.feature.sensor_id}.{t.feature.field}={t.raw_value:g}" for t in targets)
        definition = class_definition(
            cls,
            new_id,
            result.params,
            origin="crafted",
            author=self.author,
            name=f"crafted {cls.registry_name().replace('_', ' ')} for {label.value}"[:200],
            description=f"Crafted by {self.crafter.name} for {label.value} from {features or 'no features'}."[:4096],
            parent_scenario_id=parent.scenario_definition_id if parent is not None else None,
            sensor_ids=target_sensors,
        )
        definition = definition.model_copy(
            update={"tags": list(dict.fromkeys([*definition.tags, f"crafter:{self.crafter.name}"]))[-64:]}
        )
        definition, cls = validate_definition(definition)
        lineage = {
            "origin": "crafted",
            "crafter": self.crafter.name,
            "target_class": label.value,
            "sensor_type": sensor_type,
            "features_summary": summary.model_dump(mode="json"),
            "report": result.report,
        }
        stored = self._save_or_get_same(definition, cls, lineage)
        self._log.info(
            "scenario crafted", scenario_definition_id=new_id, crafter=self.crafter.name, scenario_class=cls.__name__
        )
        return self._runnable(stored)

    def get_default_exploration_scenario(self, scenario_id: str, sensor_type: str | None = None) -> BaseScenario[Any]:
        _check_id(scenario_id, "scenario_id", max_length=180)
        sensor_ids = resolve_sensor_type(sensor_type) if sensor_type is not None else ()
        definition_id = f"{scenario_id}-{sensor_type_key(sensor_type)}" if sensor_type is not None else scenario_id
        existing = self.find_definition(definition_id)
        if existing is not None:
            return self._runnable(existing)
        definition, cls = validate_definition(exploration_definition(definition_id, sensor_ids))
        lineage = {"origin": "exploration", "sensor_type": sensor_type, "sensor_ids": list(sensor_ids)}
        try:
            stored = self._save_or_get_same(definition, cls, lineage)
        except ConflictError:
            stored = self.get_definition(definition_id)
        return self._runnable(stored)


class _Explain(Executable, ClauseElement):
    """``EXPLAIN …`` around a select, compiled and bound by SQLAlchemy like the select itself."""

    inherit_cache = False

    def __init__(self, statement: sa.Select[Any], prefix: str) -> None:
        self.statement = statement
        self.prefix = prefix


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return element.prefix + compiler.process(element.statement, **kw)


E = TypeVar("E", ClassLabel, ScenarioCategory)


def _enum(kind: type[E], value: object, field: str) -> E:
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return kind(value)
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise RepositoryValidationError(field, f"{value!r} is not one of {known}") from None


def nested_params(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted paths → nested dict (for JSON containment queries)."""
    return unflatten_params(dict(flat))
