"""The output of one simulation and its conversion to ``MLDataSample`` records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from envirosense.schemas import SENSOR_IDS, SENSORS_BY_ID, SensorStatus
from envirosense.schemas.bounds import field_bounds
from envirosense.schemas.readings import SensorReading
from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack

STATUS_SYMBOLS: tuple[str, ...] = tuple(status.value for status in SensorStatus)
"""Status code ``i`` in a readings array means ``STATUS_SYMBOLS[i]``."""
STATUS_CODE: dict[SensorStatus, int] = {status: i for i, status in enumerate(SensorStatus)}

SensorArrays = dict[str, NDArray[Any]]
"""One sensor's readings over time: field name → array of shape ``(T,)`` (``(T, K)`` for the thermal
image). Floats use NaN for null; ``status`` holds codes into ``STATUS_SYMBOLS``."""


UNSAVED_TIMESTAMP = datetime(2026, 1, 1, tzinfo=UTC)
"""Generation timestamp of samples made only to be scored (``SimulationResult.to_unsaved_samples``)."""


class ReadingRangeError(ValueError):
    """A simulated reading fell outside its declared range: a bug in a sensor model."""


@dataclass
class SimulationResult:
    """Readings of every sensor, the true field behind them, and the labels, over ``times_s``."""

    times_s: NDArray[np.float64]
    readings: dict[str, SensorArrays]
    labels: LabelTrack
    truth: TrueField

    def __post_init__(self) -> None:
        missing = set(SENSOR_IDS) - set(self.readings)
        if missing:
            raise ValueError(f"readings lack sensors {sorted(missing)}")
        check_reading_ranges(self.readings)

    def __len__(self) -> int:
        return int(self.times_s.shape[0])

    def to_unsaved_samples(self, run_id: str, definition_id: str, seed: int) -> list[dict[str, Any]]:
        """``to_sample_dicts`` for a run that is scored but never written (crafting, benchmarks, tests):
        sample ids ``{run_id}-{i}``, definition version 1, a fixed timestamp."""
        return self.to_sample_dicts(
            scenario_id=run_id,
            sample_ids=[f"{run_id}-{i}" for i in range(len(self))],
            metadata=[
                {
                    "scenario_definition_id": definition_id,
                    "scenario_definition_version": 1,
                    "seed": seed,
                    "sample_index": i,
                }
                for i in range(len(self))
            ],
            generation_timestamp_utc=UNSAVED_TIMESTAMP,
        )

    def to_sample_dicts(
        self,
        *,
        scenario_id: str,
        sample_ids: Sequence[str],
        metadata: Sequence[Mapping[str, Any]],
        generation_timestamp_utc: datetime,
        include_thermal_image: bool = False,
    ) -> list[dict[str, Any]]:
        """One ``MLDataSample``-shaped dict per timestep, ready for fastavro.

        ``sample_ids`` and ``metadata`` (``SampleMetadata`` dicts) have one entry per timestep.
        """
        n = len(self)
        if len(sample_ids) != n or len(metadata) != n:
            raise ValueError(f"need {n} sample ids and metadata entries, got {len(sample_ids)}, {len(metadata)}")
        per_sensor = {
            sensor_id: _reading_dicts(sensor_id, arrays, n, include_thermal_image)
            for sensor_id, arrays in self.readings.items()
        }
        labels = self.labels
        times = self.times_s.tolist()
        class_labels = labels.class_label.tolist()
        event_types = labels.event_type.tolist()
        is_anomaly = labels.is_anomaly.tolist()
        severity = labels.severity.tolist()
        samples = []
        for i in range(n):
            samples.append(
                {
                    "sample_id": sample_ids[i],
                    "scenario_id": scenario_id,
                    "scenario_timestep_seconds": times[i],
                    "generation_timestamp_utc": generation_timestamp_utc,
                    "sensor_readings_map": {sensor_id: per_sensor[sensor_id][i] for sensor_id in SENSOR_IDS},
                    "ground_truth_labels": {
                        "event_type": event_types[i],
                        "is_anomaly": is_anomaly[i],
                        "anomaly_severity_score": severity[i],
                        "scenario_class_name": labels.scenario_class_name,
                        "is_confounder": labels.is_confounder,
                        "hazard_onset_seconds": labels.hazard_onset_seconds,
                        "source_distance_m": labels.source_distance_m,
                    },
                    "extracted_class_label": class_labels[i],
                    "sample_metadata": dict(metadata[i]),
                }
            )
        return samples


@cache
def _field_kinds(model: type[SensorReading]) -> dict[str, str]:
    kinds = {}
    for name, info in model.model_fields.items():
        if name in ("sensor_id", "status"):
            continue
        text = str(info.annotation)
        kinds[name] = "bool" if "bool" in text else "int" if "int" in text else "list" if "list" in text else "float"
    return kinds


def _reading_dicts(sensor_id: str, arrays: SensorArrays, n: int, include_thermal_image: bool) -> list[dict[str, Any]]:
    model = SENSORS_BY_ID[sensor_id].reading_model
    columns: dict[str, list[Any]] = {}
    for name, kind in _field_kinds(model).items():
        values = arrays.get(name)
        if values is None or (kind == "list" and not include_thermal_image):
            columns[name] = [None] * n
        elif kind == "list":
            columns[name] = [None if np.isnan(row).any() else row.tolist() for row in values]
        else:
            as_float = np.asarray(values, dtype=np.float64)
            null = np.isnan(as_float)
            if kind == "float":
                column = as_float.astype(object)
            elif kind == "int":
                column = np.where(null, 0, as_float).astype(np.int64).astype(object)
            else:
                column = (np.where(null, 0, as_float) != 0).astype(object)
            column[null] = None
            columns[name] = column.tolist()
    statuses = [STATUS_SYMBOLS[code] for code in np.asarray(arrays["status"], dtype=np.int64).tolist()]
    names = list(columns)
    rows = zip(*(columns[name] for name in names), strict=True)
    return [
        {"sensor_id": sensor_id, "status": status, **dict(zip(names, row, strict=True))}
        for status, row in zip(statuses, rows, strict=True)
    ]


def check_reading_ranges(readings: Mapping[str, SensorArrays]) -> None:
    """Raise ``ReadingRangeError`` naming ``sensor.field`` when any reading is infinite or out of range."""
    for sensor_id, arrays in readings.items():
        bounds = field_bounds(SENSORS_BY_ID[sensor_id].reading_model)
        for name, values in arrays.items():
            if name == "status":
                continue
            data = np.asarray(values, dtype=np.float64)
            if np.isinf(data).any():
                raise ReadingRangeError(f"{sensor_id}.{name} has infinite values")
            declared = bounds.get(name)
            if declared is None:
                continue
            finite = data[~np.isnan(data)]
            low_bad = finite < declared.lower if declared.lower_inclusive else finite <= declared.lower
            high_bad = finite > declared.upper if declared.upper_inclusive else finite >= declared.upper
            if low_bad.any() or high_bad.any():
                raise ReadingRangeError(
                    f"{sensor_id}.{name} outside [{declared.lower}, {declared.upper}]: "
                    f"min {finite.min():.4g}, max {finite.max():.4g}"
                )
