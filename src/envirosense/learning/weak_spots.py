"""Weak spots: where the current model is weak, read off its ModelPerformanceData.

Three kinds: ``low_recall_class`` (a class the model misses), ``misclassified_region`` (a cluster of
wrongly classified samples that look alike), ``high_uncertainty_sample`` (a cluster of samples the model is
unsure about). Near-duplicate samples are merged by agglomerative clustering in the space of their
explanation features, so one failure region does not eat the whole budget.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster, linkage

from envirosense.learning.config import WeakSpotConfig
from envirosense.schemas import (
    MisclassifiedSample,
    ModelPerformanceData,
    UncertainSample,
    WeakSpot,
    WeakSpotType,
)


def weak_spot_id(cycle_id: str | None, spot_type: WeakSpotType, key: str) -> str:
    """Deterministic id from the cycle, the spot type and the spot's content key."""
    digest = hashlib.sha256(f"{cycle_id}|{spot_type.value}|{key}".encode()).hexdigest()[:16]
    return f"ws-{digest}"


def spot_key(spot: WeakSpot) -> str:
    """A weak spot's content (type, class, sensor, member samples), without the names that carry the run id
    (spot id, scenario id): what orders spots of equal priority and seeds what is drawn for them."""
    members = ",".join(spot.member_sample_ids)
    return f"{spot.weak_spot_type.value}|{spot.target_class}|{spot.sensor_id}|{members}"


def spot_order(spot: WeakSpot) -> tuple[float, str]:
    """Sort key: highest priority first, ties by content (``spot_key``)."""
    return (-spot.priority, spot_key(spot))


def identify_weak_spots(
    performance: ModelPerformanceData, config: WeakSpotConfig, cycle_id: str | None = None
) -> list[WeakSpot]:
    """All weak spots in ``performance``, each with a base priority in [0, 1], strongest first per type."""
    misclassified_ids = {sample.raw_sample_id for sample in performance.misclassified_samples}
    uncertain = [
        sample
        for sample in performance.uncertain_samples
        if sample.uncertainty_score >= config.uncertainty_threshold and sample.raw_sample_id not in misclassified_ids
    ]
    spots = (
        _low_recall_spots(performance, config, cycle_id)
        + _cluster_spots(performance.misclassified_samples, WeakSpotType.MISCLASSIFIED_REGION, config, cycle_id)
        + _cluster_spots(uncertain, WeakSpotType.HIGH_UNCERTAINTY_SAMPLE, config, cycle_id)
    )
    return spots


def _low_recall_spots(
    performance: ModelPerformanceData, config: WeakSpotConfig, cycle_id: str | None
) -> list[WeakSpot]:
    sensors_of_misses: dict[str, Counter[str]] = defaultdict(Counter)
    for sample in performance.misclassified_samples:
        sensors_of_misses[sample.true_label][sample.sensor_id] += 1
    most_relied = max(
        performance.sensor_specific_metrics.items(), key=lambda item: (item[1].reliance_score, item[0]), default=None
    )
    spots = []
    for label, metrics in sorted(performance.per_class_metrics.items()):
        if metrics.support < config.min_class_support or metrics.recall >= config.low_recall_threshold:
            continue
        counts = sensors_of_misses.get(label)
        ranked = [sensor for sensor, _ in sorted((counts or {}).items(), key=lambda item: (-item[1], item[0]))]
        if not ranked and most_relied is not None:
            ranked = [most_relied[0]]
        shortfall = (config.low_recall_threshold - metrics.recall) / config.low_recall_threshold
        spots.append(
            WeakSpot(
                weak_spot_id=weak_spot_id(cycle_id, WeakSpotType.LOW_RECALL_CLASS, label),
                weak_spot_type=WeakSpotType.LOW_RECALL_CLASS,
                priority=float(np.clip(shortfall, 0.0, 1.0)),
                sensor_id=ranked[0] if ranked else None,
                cycle_id=cycle_id,
                target_class=label,
                recall=metrics.recall,
                related_sensor_ids=ranked,
            )
        )
    spots.sort(key=spot_order)
    return spots[: config.max_spots_per_type]


def _feature_matrix(samples: Sequence[UncertainSample]) -> NDArray[np.float64]:
    """Rows: samples; columns: the union of their explanation features, sign-preserving log scale,
    standardised, missing values at the column median."""
    paths = sorted(
        {feature.feature_path for sample in samples for feature in sample.sample_features_summary.top_n_features}
    )
    if not paths:
        return np.zeros((len(samples), 1))
    column = {path: j for j, path in enumerate(paths)}
    matrix = np.full((len(samples), len(paths)), np.nan)
    for i, sample in enumerate(samples):
        for feature in sample.sample_features_summary.top_n_features:
            if feature.raw_value is not None and math.isfinite(feature.raw_value):
                matrix[i, column[feature.feature_path]] = np.sign(feature.raw_value) * np.log1p(abs(feature.raw_value))
    medians = np.nanmedian(np.where(np.isnan(matrix).all(axis=0), 0.0, matrix), axis=0)
    matrix = np.where(np.isnan(matrix), medians, matrix)
    spread = matrix.std(axis=0)
    standardised: NDArray[np.float64] = (matrix - matrix.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    return standardised


def _clusters(samples: Sequence[UncertainSample], distance: float) -> list[list[int]]:
    if len(samples) == 1:
        return [[0]]
    labels = fcluster(linkage(_feature_matrix(samples), method="average"), t=distance, criterion="distance")
    groups: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[int(label)].append(index)
    return list(groups.values())


def _cluster_spots(
    samples: Sequence[UncertainSample], spot_type: WeakSpotType, config: WeakSpotConfig, cycle_id: str | None
) -> list[WeakSpot]:
    groups: dict[tuple[str, str, str], list[UncertainSample]] = defaultdict(list)
    for sample in samples:
        if isinstance(sample, MisclassifiedSample):
            key = (sample.true_label, sample.predicted_label, sample.sensor_id)
        else:
            top = max(sample.predicted_label_distribution.items(), key=lambda item: (item[1], item[0]))[0]
            key = (top, "", sample.sensor_id)
        groups[key].append(sample)
    max_uncertainty = max((sample.uncertainty_score for sample in samples), default=1.0) or 1.0
    spots = []
    for key in sorted(groups):
        members_all = sorted(groups[key], key=lambda sample: sample.raw_sample_id)
        for cluster in _clusters(members_all, config.merge_distance):
            members = [members_all[i] for i in cluster]
            spots.append(_spot_from_members(members, spot_type, len(samples), max_uncertainty, cycle_id))
    spots.sort(key=spot_order)
    return spots[: config.max_spots_per_type]


def _spot_from_members(
    members: Sequence[UncertainSample],
    spot_type: WeakSpotType,
    total: int,
    max_uncertainty: float,
    cycle_id: str | None,
) -> WeakSpot:
    representative = max(members, key=lambda sample: (sample.uncertainty_score, sample.raw_sample_id))
    size_factor = 0.5 + 0.5 * float(np.sqrt(len(members) / max(total, 1)))
    if isinstance(representative, MisclassifiedSample):
        confidence = float(np.mean([s.confidence_of_prediction for s in members if isinstance(s, MisclassifiedSample)]))
        priority = confidence * size_factor
        target_class: str | None = representative.true_label
        predicted: str | None = representative.predicted_label
    else:
        priority = float(np.mean([s.uncertainty_score for s in members])) / max_uncertainty * size_factor
        target_class = None  # the originating scenario's own class; resolved when generating
        predicted = max(representative.predicted_label_distribution.items(), key=lambda item: (item[1], item[0]))[0]
    member_ids = sorted(sample.raw_sample_id for sample in members)
    return WeakSpot(
        weak_spot_id=weak_spot_id(cycle_id, spot_type, ",".join(member_ids)),
        weak_spot_type=spot_type,
        priority=float(np.clip(priority, 0.0, 1.0)),
        sensor_id=representative.sensor_id,
        cycle_id=cycle_id,
        target_class=target_class,
        predicted_label=predicted,
        original_scenario_id=representative.original_scenario_id,
        scenario_timestep_seconds=representative.scenario_timestep_seconds,
        uncertainty_score=float(np.mean([s.uncertainty_score for s in members])),
        epistemic_uncertainty_score=float(np.mean([s.epistemic_uncertainty_score for s in members])),
        aleatoric_uncertainty_score=float(np.mean([s.aleatoric_uncertainty_score for s in members])),
        disagreement_score=float(np.mean([s.disagreement_score for s in members])),
        sample_features_summary=representative.sample_features_summary,
        member_sample_ids=member_ids,
        related_sensor_ids=[representative.sensor_id],
    )
