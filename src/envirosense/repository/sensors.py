"""Sensor types and feature paths as the repository understands them.

A *sensor type* is a sensor id of the device (``U20_SPS30``, any case) or a sensor kind
(``particulate``, ``acoustic``…, which may cover several sensors). A *feature path* names one reading
field: ``sensor_readings_map.<sensor_id>.<field>`` (the ``sensor_readings_map.`` prefix is optional).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from envirosense.repository.errors import RepositoryValidationError
from envirosense.schemas import DEVICE_SENSORS, SENSORS_BY_ID
from envirosense.simulation.scenario import BaseScenario

FEATURE_PREFIX = "sensor_readings_map."
SENSOR_TAG_PREFIX = "sensor:"


@dataclass(frozen=True)
class FeatureField:
    """One reading field of one sensor."""

    sensor_id: str
    field: str

    @property
    def path(self) -> str:
        return f"{FEATURE_PREFIX}{self.sensor_id}.{self.field}"


def sensor_kinds() -> dict[str, tuple[str, ...]]:
    """Sensor kind → ids of the device's sensors of that kind."""
    kinds: dict[str, list[str]] = {}
    for spec in DEVICE_SENSORS:
        kinds.setdefault(spec.reading_model.sensor_kind, []).append(spec.sensor_id)
    return {kind: tuple(ids) for kind, ids in kinds.items()}


def resolve_sensor_type(sensor_type: str, field: str = "sensor_type") -> tuple[str, ...]:
    """The device sensor ids ``sensor_type`` stands for; a ``RepositoryValidationError`` if none."""
    wanted = sensor_type.strip().lower()
    for sensor_id in SENSORS_BY_ID:
        if sensor_id.lower() == wanted:
            return (sensor_id,)
    kinds = sensor_kinds()
    if wanted in kinds:
        return kinds[wanted]
    known = ", ".join([*SENSORS_BY_ID, *kinds])
    raise RepositoryValidationError(field, f"unknown sensor type {sensor_type!r}; known: {known}")


def sensor_type_key(sensor_type: str) -> str:
    """A canonical name for ``sensor_type``: the sensor id, or the kind when it names several sensors."""
    ids = resolve_sensor_type(sensor_type)
    return ids[0] if len(ids) == 1 and ids[0].lower() == sensor_type.strip().lower() else sensor_type.strip().lower()


def parse_feature_path(path: str) -> FeatureField | None:
    """The sensor field a feature path names, or ``None`` when it names no reading field of the device."""
    sensor_id, _, field = path.removeprefix(FEATURE_PREFIX).partition(".")
    spec = SENSORS_BY_ID.get(sensor_id)
    if spec is None or field not in spec.reading_model.model_fields or field in ("sensor_id", "status"):
        return None
    return FeatureField(sensor_id, field)


def driven_fields(cls: type[BaseScenario[Any]]) -> dict[str, tuple[FeatureField, ...]]:
    """Parameter path → the reading fields it drives, from the class's ``sensor_drivers``."""
    driven: dict[str, tuple[FeatureField, ...]] = {}
    for parameter, paths in cls.sensor_drivers.items():
        fields = tuple(field for field in (parse_feature_path(path) for path in paths) if field is not None)
        if fields:
            driven[parameter] = fields
    return driven


def driven_sensor_ids(cls: type[BaseScenario[Any]]) -> tuple[str, ...]:
    """Ids of the sensors a class's parameters drive, in device order."""
    ids = {field.sensor_id for fields in driven_fields(cls).values() for field in fields}
    return tuple(sensor_id for sensor_id in SENSORS_BY_ID if sensor_id in ids)


def sensor_tags(sensor_ids: Iterable[str]) -> list[str]:
    return [f"{SENSOR_TAG_PREFIX}{sensor_id}" for sensor_id in sensor_ids]
