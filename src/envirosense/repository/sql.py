"""The SQL scenario repository: everything both databases share (SQLAlchemy 2 Core).

``PostgresScenarioRepository`` and ``SQLiteScenarioRepository`` differ only in how tags, parameters and
text are searched and in how a write transaction takes its lock. Storage lives in ``SqlDefinitionStore``;
variation, crafting and exploration defaults are made in ``repository.making``.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

from envirosense.repository import making
from envirosense.repository.crafting import Crafter
from envirosense.repository.database import is_postgres
from envirosense.repository.errors import RepositoryValidationError
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.repository.sensors import driven_sensor_ids, resolve_sensor_type, sensor_tags
from envirosense.repository.sql_store import PARAM_PATH, SqlDefinitionStore, check_enum, check_id, check_limit
from envirosense.repository.validation import check_text, require_filter
from envirosense.repository.variation import SensorContext
from envirosense.schemas import ClassLabel, SampleFeaturesSummary, ScenarioCategory, ScenarioDefinition
from envirosense.simulation.parameters import unflatten_params
from envirosense.simulation.registry import scenario_classes
from envirosense.simulation.scenario import BaseScenario


class SqlScenarioRepository(SqlDefinitionStore, ScenarioRepositoryInterface):
    """A scenario repository on a SQL database: ``SqlDefinitionStore`` plus queries and the loop's calls."""

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
            conditions.append(definitions.c.category == check_enum(ScenarioCategory, category, "category").value)
        if class_label is not None:
            conditions.append(definitions.c.class_label == check_enum(ClassLabel, class_label, "class_label").value)
        if scenario_class is not None:
            check_text(scenario_class, "scenario_class")
            conditions.append(definitions.c.scenario_class_name == scenario_class)
        if tags:
            for index, tag in enumerate(tags):
                check_text(tag, f"tags.{index}")
            conditions.append(self._tags_condition(list(tags), match_all_tags))
        if parent_scenario_id is not None:
            conditions.append(definitions.c.parent_scenario_id == check_id(parent_scenario_id, "parent_scenario_id"))
        if params:
            flat = {}
            for path, value in params.items():
                if not isinstance(path, str) or not PARAM_PATH.fullmatch(path):
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
        check_limit(limit, "limit")
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
                definitions.c.scenario_definition_id == check_id(scenario_id, "scenario_id")
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

    def runnable_list(self, definitions: list[ScenarioDefinition]) -> list[BaseScenario[Any]]:
        scenarios = []
        for definition in definitions:
            try:
                scenarios.append(self.runnable(definition))
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
        check_limit(num_to_get, "num_to_get")
        found = self.find_definitions(category=category, sensor_type=sensor_type, limit=num_to_get)
        return self.runnable_list(found)

    def get_scenarios_by_class_label(
        self, class_label: ClassLabel | str, sensor_type: str | None = None, num_to_get: int = 5
    ) -> list[BaseScenario[Any]]:
        require_filter(class_label, "class_label")
        check_limit(num_to_get, "num_to_get")
        found = self.find_definitions(class_label=class_label, sensor_type=sensor_type, limit=num_to_get)
        return self.runnable_list(found)

    # --- the interface: variation, crafting, exploration (made in ``repository.making``) ---------

    def create_scenario_variation(
        self,
        base_scenario: BaseScenario[Any] | ScenarioDefinition | str,
        new_id_suffix: str,
        param_modifications: Mapping[str, Any],
        sensor_context: SensorContext | Mapping[str, Any] | None = None,
    ) -> BaseScenario[Any]:
        return making.variation(self, base_scenario, new_id_suffix, param_modifications, sensor_context)

    def craft_scenario_from_features(
        self,
        features_summary: SampleFeaturesSummary | Mapping[str, Any],
        base_id: str,
        target_class: ClassLabel | str | None = None,
        sensor_type: str | None = None,
        *,
        crafter: Crafter | None = None,
    ) -> BaseScenario[Any]:
        return making.crafted(self, features_summary, base_id, target_class, sensor_type, crafter=crafter)

    def get_default_exploration_scenario(self, scenario_id: str, sensor_type: str | None = None) -> BaseScenario[Any]:
        return making.exploration_default(self, scenario_id, sensor_type)


class _Explain(Executable, ClauseElement):
    """``EXPLAIN …`` around a select, compiled and bound by SQLAlchemy like the select itself."""

    inherit_cache = False

    def __init__(self, statement: sa.Select[Any], prefix: str) -> None:
        self.statement = statement
        self.prefix = prefix


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return element.prefix + compiler.process(element.statement, **kw)


def nested_params(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted paths → nested dict (for JSON containment queries)."""
    return unflatten_params(dict(flat))
