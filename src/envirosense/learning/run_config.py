"""The configuration a run records before it does anything, and how a resume reads it back.

A run stores every section of its resolved ``RunSettings`` except where it lives (``workspace``,
``database_url``, ``mlflow_tracking_uri``: that is where the resume found it), plus the package and schema
versions. ``envirosense run --resume RUN_ID`` uses exactly that; ``stopping.max_cycles`` (``--cycles``) is
the one key a resume may change (``SAFE_OVERRIDES``). Runs stored before this format hold only their
``active_learning`` section: their other sections come from the configuration given to the resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

import envirosense
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.settings import RunSettings
from envirosense.schemas.avro import schema_versions

LOCATION_KEYS = frozenset({"workspace", "database_url", "mlflow_tracking_uri"})
"""Settings that say where a run lives, not what it does: never stored, never compared."""

SAFE_OVERRIDES = frozenset({"active_learning.stopping.max_cycles"})
"""Keys a resume may change (``--cycles``): how long a run goes on, not what any cycle does."""


class StoredRunConfig(BaseModel):
    """What ``al_runs.config`` holds for a run: its resolved settings and the versions that made it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: dict[str, Any]
    package_version: str
    schema_versions: dict[str, str]

    @classmethod
    def of(cls, settings: RunSettings, learning: ActiveLearningConfig) -> StoredRunConfig:
        """The record of a run configured by ``settings`` with ``learning`` as its active-learning section."""
        resolved = settings.model_copy(update={"active_learning": learning})
        return cls(
            settings=resolved.model_dump(mode="json", exclude=set(LOCATION_KEYS)),
            package_version=envirosense.__version__,
            schema_versions=dict(schema_versions()),
        )

    @classmethod
    def read(cls, stored: Mapping[str, Any], given: RunSettings) -> StoredRunConfig:
        """The stored record; an old run's ``active_learning``-only record is completed from ``given``."""
        if "settings" in stored and "package_version" in stored:
            return cls.model_validate(stored)
        learning = ActiveLearningConfig.model_validate(stored)
        return cls.of(given, learning).model_copy(update={"package_version": "", "schema_versions": {}})

    def run_settings(self, given: RunSettings) -> RunSettings:
        """The stored settings where ``given`` says the run lives (its workspace and databases)."""
        location = given.model_dump(include=set(LOCATION_KEYS))
        return RunSettings.model_validate({**self.settings, **location})


def differing_keys(stored: Mapping[str, Any], given: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings (keys missing on one side included)."""
    keys: list[str] = []
    for key in sorted({*stored, *given}):
        path = f"{prefix}{key}"
        mine, theirs = stored.get(key), given.get(key)
        if isinstance(mine, Mapping) and isinstance(theirs, Mapping):
            keys.extend(differing_keys(mine, theirs, f"{path}."))
        elif mine != theirs:
            keys.append(path)
    return keys
