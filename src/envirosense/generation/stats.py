"""Summary statistics of a dataset, computed in one streaming pass: classes, sensor ranges, lineage."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envirosense.generation.dataset import dataset_files, load_manifest
from envirosense.generation.reader import iter_samples
from envirosense.schemas import SENSORS_BY_ID


@dataclass
class FieldRange:
    """Observed range of one numeric reading field over the dataset (units as in the schema)."""

    sensor_id: str
    field: str
    count: int = 0
    nulls: int = 0
    minimum: float = math.inf
    maximum: float = -math.inf
    total: float = 0.0

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def add(self, value: Any) -> None:
        if value is None:
            self.nulls += 1
            return
        number = float(value)
        self.count += 1
        self.total += number
        self.minimum = min(self.minimum, number)
        self.maximum = max(self.maximum, number)


@dataclass
class DatasetStats:
    """What a dataset holds: counts per class, event and mode, per-sensor status and field ranges,
    and the lineage of its samples (definitions, weak spots, cycles, model versions)."""

    path: Path
    dataset_id: str | None
    files: int = 0
    samples: int = 0
    class_counts: Counter[str] = field(default_factory=Counter)
    event_types: Counter[str] = field(default_factory=Counter)
    anomalies: int = 0
    modes: Counter[str] = field(default_factory=Counter)
    definitions: Counter[tuple[str, int]] = field(default_factory=Counter)
    weak_spot_ids: Counter[str] = field(default_factory=Counter)
    cycle_ids: Counter[str] = field(default_factory=Counter)
    model_versions: Counter[str] = field(default_factory=Counter)
    sequences: set[str] = field(default_factory=set)
    status_counts: dict[str, Counter[str]] = field(default_factory=dict)
    ranges: dict[tuple[str, str], FieldRange] = field(default_factory=dict)


def _numeric_fields(sensor_id: str) -> list[str]:
    model = SENSORS_BY_ID[sensor_id].reading_model
    names = []
    for name, info in model.model_fields.items():
        text = str(info.annotation)
        if name in ("sensor_id", "status") or "list" in text or "str" in text:
            continue
        names.append(name)
    return names


def dataset_stats(path: Path, *, validate: bool = False) -> DatasetStats:
    """Statistics of a dataset folder (or one package file), streaming every sample once."""
    path = Path(path)
    files = dataset_files(path) if path.is_dir() else [path]
    manifest = load_manifest(path) if path.is_dir() else None
    stats = DatasetStats(path=path, dataset_id=manifest.dataset_id if manifest else None, files=len(files))
    fields = {sensor_id: _numeric_fields(sensor_id) for sensor_id in SENSORS_BY_ID}
    for sensor_id, names in fields.items():
        stats.status_counts[sensor_id] = Counter()
        for name in names:
            stats.ranges[(sensor_id, name)] = FieldRange(sensor_id, name)
    for sample in iter_samples(path, validate=validate):
        stats.samples += 1
        stats.class_counts[sample["extracted_class_label"]] += 1
        labels = sample["ground_truth_labels"]
        stats.event_types[labels["event_type"]] += 1
        stats.anomalies += bool(labels["is_anomaly"])
        metadata = sample["sample_metadata"]
        stats.modes[metadata["generation_mode"]] += 1
        stats.definitions[(metadata["scenario_definition_id"], metadata["scenario_definition_version"])] += 1
        stats.weak_spot_ids.update(metadata["weak_spot_ids"])
        if metadata["cycle_id"] is not None:
            stats.cycle_ids[metadata["cycle_id"]] += 1
        if metadata["triggering_model_version"] is not None:
            stats.model_versions[metadata["triggering_model_version"]] += 1
        if metadata["sequence_id"] is not None:
            stats.sequences.add(metadata["sequence_id"])
        readings = sample["sensor_readings_map"]
        for sensor_id, names in fields.items():
            reading = readings[sensor_id]
            stats.status_counts[sensor_id][reading["status"]] += 1
            for name in names:
                stats.ranges[(sensor_id, name)].add(reading[name])
    return stats
