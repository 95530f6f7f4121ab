"""The scenario repository: store, query, version, vary and craft scenario definitions.

``open_repository(url)`` picks the implementation from the URL (SQLite by default, in the workspace).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envirosense.repository.crafting import (
    Crafter,
    FailureSeekingCrafter,
    ForwardModel,
    RuleBasedInverseCrafter,
)
from envirosense.repository.database import (
    DATABASE_URL_ENV,
    default_database_url,
    make_engine,
    normalize_database_url,
    resolve_database_url,
)
from envirosense.repository.errors import (
    ConflictError,
    CraftingError,
    RepositoryError,
    RepositoryUnavailableError,
    RepositoryValidationError,
    ScenarioNotFoundError,
    SchemaTooNewError,
    SchemaTooOldError,
)
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.repository.migrate import check_schema, upgrade_database
from envirosense.repository.postgres import PostgresScenarioRepository
from envirosense.repository.sql import SqlScenarioRepository
from envirosense.repository.sqlite import SQLiteScenarioRepository
from envirosense.repository.variation import SensorContext


def open_repository(
    url: str | None = None, *, workspace: Path | str = "envirosense-workspace", **options: Any
) -> SqlScenarioRepository:
    """The repository at ``url`` (else ``$ENVIROSENSE_DATABASE_URL``, else the workspace's SQLite file)."""
    resolved = resolve_database_url(url, workspace)
    if normalize_database_url(resolved).get_backend_name() == "postgresql":
        return PostgresScenarioRepository(resolved, **options)
    return SQLiteScenarioRepository(resolved, **options)


__all__ = [
    "DATABASE_URL_ENV",
    "ConflictError",
    "Crafter",
    "CraftingError",
    "FailureSeekingCrafter",
    "ForwardModel",
    "PostgresScenarioRepository",
    "RepositoryError",
    "RepositoryUnavailableError",
    "RepositoryValidationError",
    "RuleBasedInverseCrafter",
    "SQLiteScenarioRepository",
    "ScenarioNotFoundError",
    "ScenarioRepositoryInterface",
    "SchemaTooNewError",
    "SchemaTooOldError",
    "SensorContext",
    "SqlScenarioRepository",
    "check_schema",
    "default_database_url",
    "make_engine",
    "open_repository",
    "resolve_database_url",
    "upgrade_database",
]
