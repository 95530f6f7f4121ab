"""Scenario variations: a base definition with some parameters changed, validated, with its lineage.

The functions here are pure (no database): ``create_scenario_variation`` on a repository uses them and
then saves the result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from envirosense.repository.errors import RepositoryValidationError
from envirosense.repository.sensors import driven_sensor_ids, resolve_sensor_type, sensor_tags
from envirosense.repository.validation import now_utc
from envirosense.schemas import ScenarioDefinition
from envirosense.simulation.parameters import (
    ParamModel,
    ParamRange,
    deep_merge,
    flatten_params,
    param_ranges,
    unflatten_params,
)
from envirosense.simulation.scenario import BaseScenario

ID_SUFFIX = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")
MAX_TAGS = 64
MAX_DESCRIPTION = 4096


class SensorContext(BaseModel):
    """Why a variation or crafted scenario was made: the sensor and weak spots behind it (lineage)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sensor_id: str | None = Field(default=None, description="Device sensor id (or kind) the weak spot points to.")
    feature_paths: list[str] = Field(default_factory=list, max_length=64, description="Features involved.")
    weak_spot_ids: list[str] = Field(default_factory=list, max_length=1000, description="Originating weak spots.")
    cycle_id: str | None = Field(default=None, max_length=200, description="Active-learning cycle.")
    model_version: str | None = Field(default=None, max_length=200, description="Model that failed.")
    note: str = Field(default="", max_length=2000, description="Free text.")

    @field_validator("sensor_id")
    @classmethod
    def _known_sensor(cls, value: str | None) -> str | None:
        if value is None:
            return None
        ids = resolve_sensor_type(value, field="sensor_context.sensor_id")
        return ids[0] if len(ids) == 1 else value.strip().lower()

    @field_validator("weak_spot_ids")
    @classmethod
    def _short_ids(cls, value: list[str]) -> list[str]:
        if any(not 0 < len(item) <= 200 for item in value):
            raise ValueError("each weak spot id must be 1 to 200 characters")
        return value

    def sensor_ids(self) -> tuple[str, ...]:
        return resolve_sensor_type(self.sensor_id) if self.sensor_id else ()


def as_sensor_context(value: SensorContext | Mapping[str, Any] | None) -> SensorContext | None:
    """``value`` validated as a ``SensorContext`` (errors name ``sensor_context.<field>``)."""
    if value is None or isinstance(value, SensorContext):
        return value
    if not isinstance(value, Mapping):
        raise RepositoryValidationError("sensor_context", f"expected a mapping, got {type(value).__name__}")
    try:
        return SensorContext.model_validate(dict(value))
    except RepositoryValidationError:
        raise
    except ValidationError as exc:
        raise RepositoryValidationError.from_pydantic(exc, prefix="sensor_context") from None


def _check_in_range(declared: ParamRange, value: Any, field: str, class_name: str) -> None:
    if declared.choices is not None:
        allowed = [choice.value if isinstance(choice, Enum) else choice for choice in declared.choices]
        if value not in allowed:
            raise RepositoryValidationError(field, f"{value!r} is not one of {allowed} ({class_name})")
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RepositoryValidationError(field, f"expected a number, got {type(value).__name__} {value!r}")
    assert declared.lower is not None and declared.upper is not None
    if not declared.lower <= value <= declared.upper:
        raise RepositoryValidationError(
            field, f"{value!r} is outside the declared range [{declared.lower:g}, {declared.upper:g}] of {class_name}"
        )


def validate_param_modifications(
    cls: type[BaseScenario[Any]], base_params: ParamModel, param_modifications: Mapping[str, Any]
) -> tuple[ParamModel, dict[str, Any]]:
    """The merged, validated parameters and the flat (dotted) modifications.

    Every path must be a parameter of ``cls`` and every value inside its declared range; errors name the
    field as ``param_modifications.<path>``.
    """
    if not isinstance(param_modifications, Mapping):
        raise RepositoryValidationError(
            "param_modifications", f"expected a mapping, got {type(param_modifications).__name__}"
        )
    flat = flatten_params(unflatten_params(flatten_params(param_modifications)))
    if not flat:
        raise RepositoryValidationError("param_modifications", "no parameter to change")
    ranges = param_ranges(cls.params_model)
    for path, value in flat.items():
        field = f"param_modifications.{path}"
        declared = ranges.get(path)
        if declared is None:
            known = ", ".join(sorted(ranges))
            raise RepositoryValidationError(field, f"unknown parameter of {cls.__name__}; known: {known}")
        _check_in_range(declared, value, field, cls.__name__)
    merged = deep_merge(base_params.model_dump(mode="json"), flat)
    try:
        params = cls.params_model.model_validate(merged)
    except ValidationError as exc:
        raise RepositoryValidationError.from_pydantic(exc, prefix="param_modifications") from None
    return params, flat


def lineage_tags(
    cls: type[BaseScenario[Any]], origin: str, sensor_ids: tuple[str, ...], inherited: list[str] | None = None
) -> list[str]:
    """Tags naming the class, label, sensors and origin, after the inherited ones (at most 64)."""
    own = [
        f"class:{cls.registry_name()}",
        f"label:{cls.class_label.value}",
        f"origin:{origin}",
        *sensor_tags(sensor_ids or driven_sensor_ids(cls)),
    ]
    kept = [tag for tag in inherited or [] if not tag.startswith("origin:")]
    return list(dict.fromkeys([*kept, *own]))[-MAX_TAGS:]


def variation_definition(
    base: ScenarioDefinition,
    cls: type[BaseScenario[Any]],
    new_id_suffix: str,
    params: ParamModel,
    modifications: Mapping[str, Any],
    sensor_context: SensorContext | None,
    author: str,
) -> ScenarioDefinition:
    """The definition of a variation of ``base`` (not yet saved)."""
    if not isinstance(new_id_suffix, str) or not ID_SUFFIX.fullmatch(new_id_suffix):
        raise RepositoryValidationError("new_id_suffix", "must be 1 to 100 of: letters, digits, _ . : -")
    new_id = f"{base.scenario_definition_id}-{new_id_suffix}"
    changes = ", ".join(f"{path}={value}" for path, value in sorted(modifications.items()))
    description = f"Variation of {base.scenario_definition_id}: {changes}. {base.description}"
    sensor_ids = sensor_context.sensor_ids() if sensor_context else ()
    weak_spots = list(base.originating_weak_spot_ids)
    if sensor_context:
        weak_spots = list(dict.fromkeys([*weak_spots, *sensor_context.weak_spot_ids]))
    fields = {
        **base.model_dump(),
        "scenario_definition_id": new_id,
        "scenario_instance_id": new_id,
        "name": f"{base.name} ({new_id_suffix})"[:200],
        "description": description[:MAX_DESCRIPTION],
        "tags": lineage_tags(cls, "variation", sensor_ids, base.tags),
        "version": 1,
        "creation_timestamp_utc": now_utc(),
        "specific_params_json": json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":")),
        "expected_duration_seconds": float(getattr(params, "duration_seconds", base.expected_duration_seconds)),
        "author": author,
        "originating_weak_spot_ids": weak_spots,
        "parent_scenario_id": base.scenario_definition_id,
    }
    try:
        return ScenarioDefinition.model_validate(fields)
    except ValidationError as exc:
        raise RepositoryValidationError.from_pydantic(exc) from None
