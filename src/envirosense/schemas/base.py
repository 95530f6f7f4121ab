"""Shared base record and enumerations for every EnviroSense contract."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """Base of every contract record: unknown fields, NaN and infinities are rejected.

    ``avro_name`` is the Avro record name; ``schema_version`` is set on top-level records that are
    written to files, and is bumped on every change (see *Schema versions* in ``docs/architecture.md``).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)

    avro_name: ClassVar[str | None] = None
    schema_version: ClassVar[str | None] = None


class ClassLabel(StrEnum):
    """The hazard classes the classifier predicts."""

    NORMAL = "normal"
    FIRE_PRECURSOR = "fire_precursor"
    EARLY_COMBUSTION = "early_combustion"
    CORONA_DISCHARGE = "corona_discharge"
    ARCING = "arcing"
    INSULATION_BREAKDOWN = "insulation_breakdown"
    EQUIPMENT_OVERHEAT = "equipment_overheat"


class ScenarioCategory(StrEnum):
    """Coarse grouping of scenario classes; confounders are ``normal`` scenarios that mimic hazards."""

    FIRE = "fire"
    ELECTRICAL = "electrical"
    NORMAL = "normal"
    CONFOUNDER = "confounder"


class DifficultyLevel(StrEnum):
    """How hard a scenario is expected to be for a classifier."""

    VERY_LOW = "VERY_LOW"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"
    CUSTOM = "CUSTOM"


class SensorStatus(StrEnum):
    """State of a sensor at one reading. Values of a reading are null unless the status is ``OK``,
    ``SATURATED`` (clipped at a range limit) or ``REDUCED_ACCURACY`` (reported outside the part's
    calibrated range, e.g. a thermal scene below −10 °C)."""

    OK = "OK"
    SATURATED = "SATURATED"
    DROPOUT = "DROPOUT"
    WARMING_UP = "WARMING_UP"
    FAULT = "FAULT"
    REDUCED_ACCURACY = "REDUCED_ACCURACY"
