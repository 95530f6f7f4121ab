"""``ScenarioDefinition``: a stored, versioned, runnable description of one scenario."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import Field, field_validator

from envirosense.schemas.base import DifficultyLevel, Record, ScenarioCategory

MAX_PARAMS_JSON_BYTES = 64 * 1024
MAX_TEXT_LENGTH = 4096


class ScenarioDefinition(Record):
    """Everything needed to rebuild a scenario object: its class, its parameters and its lineage."""

    avro_name = "ScenarioDefinition"
    schema_version = "1.0.0"

    scenario_definition_id: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="Unique id of the definition (letters, digits, _ . : -).",
    )
    scenario_class_module: str = Field(
        min_length=1, max_length=200, description="Python module of the scenario class (no unit)."
    )
    scenario_class_name: str = Field(min_length=1, max_length=200, description="Scenario class name (no unit).")
    scenario_instance_id: str = Field(min_length=1, max_length=200, description="Id of the instance (no unit).")
    name: str = Field(min_length=1, max_length=200, description="Human-readable name (no unit).")
    description: str = Field(default="", max_length=MAX_TEXT_LENGTH, description="Free text (no unit).")
    category: ScenarioCategory = Field(description="fire | electrical | normal | confounder (no unit).")
    tags: list[str] = Field(default_factory=list, max_length=64, description="Search tags (no unit).")
    difficulty_level: DifficultyLevel = Field(description="Expected difficulty, VERY_LOW … VERY_HIGH or CUSTOM.")
    expected_duration_seconds: float = Field(gt=0, le=86_400, description="Scenario duration, s.")
    version: int = Field(default=1, ge=1, description="Definition version, incremented on every update (count).")
    creation_timestamp_utc: datetime = Field(description="When this version was created, UTC (µs).")
    specific_params_json: str = Field(
        description="JSON object of the scenario class's parameters (units per parameter)."
    )
    author: str = Field(default="envirosense", max_length=200, description="Who created it (no unit).")
    related_scenario_ids: list[str] = Field(default_factory=list, description="Related definition ids (ids).")
    originating_weak_spot_ids: list[str] = Field(
        default_factory=list, description="Weak spots this definition was made for (ids)."
    )
    parent_scenario_id: str | None = Field(
        default=None, description="Definition this one was varied or crafted from (id)."
    )

    @field_validator("specific_params_json")
    @classmethod
    def _params_are_a_json_object(cls, value: str) -> str:
        if len(value.encode()) > MAX_PARAMS_JSON_BYTES:
            raise ValueError(f"larger than {MAX_PARAMS_JSON_BYTES} bytes")
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg}") from exc
        if not isinstance(decoded, dict):
            raise ValueError("must be a JSON object")
        return value

    @field_validator("tags")
    @classmethod
    def _tags_are_short(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not tag or len(tag) > 100:
                raise ValueError("each tag must be 1 to 100 characters")
        return value

    def specific_params(self) -> dict[str, object]:
        """The parameters as a dict (decoded from ``specific_params_json``)."""
        decoded: dict[str, object] = json.loads(self.specific_params_json)
        return decoded
