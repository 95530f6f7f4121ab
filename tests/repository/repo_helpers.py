"""Shared test helpers of the repository tests (a module with a unique name, importable from tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from envirosense.repository import PostgresScenarioRepository, SQLiteScenarioRepository, SqlScenarioRepository
from envirosense.schemas import ScenarioDefinition
from envirosense.simulation import scenario_class

POSTGRES_URL = os.environ.get("ENVIROSENSE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Backend:
    """Where a test's database lives: ``url`` plus, for PostgreSQL, the test's own ``schema``."""

    kind: str
    url: str
    schema: str

    def open(self, **options: Any) -> SqlScenarioRepository:
        if self.kind == "postgres":
            return PostgresScenarioRepository(self.url, schema=self.schema, **options)
        return SQLiteScenarioRepository(self.url, **options)


def baseline_definition(definition_id: str = "baseline-a", **overrides: Any) -> ScenarioDefinition:
    """A valid definition of the always-present baseline class."""
    scenario = scenario_class("baseline_operation")()
    fields: dict[str, Any] = {"scenario_definition_id": definition_id, "scenario_instance_id": definition_id}
    fields.update(overrides)
    return scenario.to_definition(**fields)
