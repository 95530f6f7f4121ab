"""Prioritisation strategies: weak spots in, indices and utilities out (best first).

A strategy is a small callable in the style of modAL / scikit-activeml query strategies: one obvious call,
``strategy(spots) -> Prioritization``, returning the indices it keeps *and* their utilities. The
``SensorFamilyRouter`` composes them: each spot goes to the strategy of its sensor's family.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from envirosense.learning.config import (
    HeterogeneousStrategyConfig,
    HighFidelityStrategyConfig,
    RealTimeStrategyConfig,
    StrategyConfig,
)
from envirosense.schemas import SENSORS_BY_ID, ClassLabel, SensorFamily, WeakSpot

MIXED_FAMILY = "mixed"


@dataclass(frozen=True)
class Prioritization:
    """Kept spots as ``indices`` into the input (best first) with their ``utilities`` in [0, 1]."""

    indices: NDArray[np.int64]
    utilities: NDArray[np.float64]

    @classmethod
    def from_utilities(cls, utilities: NDArray[np.float64], min_utility: float) -> Prioritization:
        order = np.lexsort((np.arange(utilities.size), -utilities))
        kept = order[utilities[order] >= min_utility]
        return cls(indices=kept.astype(np.int64), utilities=utilities[kept])


class PrioritizationStrategy(Protocol):
    name: str

    def __call__(self, spots: Sequence[WeakSpot]) -> Prioritization: ...


def _normalised(values: Sequence[float | None]) -> NDArray[np.float64]:
    array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    top = np.nanmax(array) if np.isfinite(array).any() else 0.0
    return np.where(np.isnan(array), np.nan, array / top if top > 0 else 0.0)


class RealTimePrioritizationStrategy:
    """Cheap uncertainty sampling for stream-like sensors: utility is the spot's uncertainty relative to
    the most uncertain spot, averaged with its base priority (class-level spots use their priority)."""

    name = "real_time"

    def __init__(self, config: RealTimeStrategyConfig | None = None) -> None:
        self.config = config or RealTimeStrategyConfig()

    def __call__(self, spots: Sequence[WeakSpot]) -> Prioritization:
        priority = np.array([spot.priority for spot in spots], dtype=np.float64)
        uncertainty = _normalised([spot.uncertainty_score for spot in spots])
        utilities = np.where(np.isnan(uncertainty), priority, 0.5 * priority + 0.5 * np.nan_to_num(uncertainty))
        return Prioritization.from_utilities(np.clip(utilities, 0.0, 1.0), self.config.min_utility)


class HighFidelityPrioritizationStrategy:
    """For slow, high-value sensors: reward what more data can fix (epistemic uncertainty, committee
    disagreement), discount irreducible noise (aleatoric), and weigh by how critical the class is."""

    name = "high_fidelity"

    def __init__(self, config: HighFidelityStrategyConfig | None = None) -> None:
        self.config = config or HighFidelityStrategyConfig()

    def __call__(self, spots: Sequence[WeakSpot]) -> Prioritization:
        cfg = self.config
        priority = np.array([spot.priority for spot in spots], dtype=np.float64)
        epistemic = _normalised([spot.epistemic_uncertainty_score for spot in spots])
        aleatoric = _normalised([spot.aleatoric_uncertainty_score for spot in spots])
        disagreement = np.array(
            [np.nan if spot.disagreement_score is None else spot.disagreement_score for spot in spots]
        )
        weights = cfg.epistemic_weight + cfg.disagreement_weight
        reducible = (cfg.epistemic_weight * epistemic + cfg.disagreement_weight * disagreement) / (weights or 1.0)
        sample_level = 0.5 * priority + 0.5 * reducible * (1.0 - cfg.aleatoric_penalty * aleatoric)
        utilities = np.where(np.isnan(sample_level), priority, sample_level)
        top_criticality = max(cfg.class_criticality.values(), default=1.0)
        criticality = np.array([self._criticality(spot) / top_criticality for spot in spots])
        return Prioritization.from_utilities(np.clip(utilities * criticality, 0.0, 1.0), cfg.min_utility)

    def _criticality(self, spot: WeakSpot) -> float:
        label = spot.target_class or spot.predicted_label
        if label is None or label not in ClassLabel.__members__.values():
            return 1.0
        return self.config.class_criticality.get(ClassLabel(label), 1.0)


class HeterogeneousPrioritizationStrategy:
    """Mixed sensor suites: base priority times a per-family weight, at most N spots per sensor."""

    name = "heterogeneous"

    def __init__(self, config: HeterogeneousStrategyConfig | None = None) -> None:
        self.config = config or HeterogeneousStrategyConfig()

    def __call__(self, spots: Sequence[WeakSpot]) -> Prioritization:
        cfg = self.config
        top_weight = max(cfg.family_weights.values(), default=1.0) or 1.0
        utilities = np.array(
            [spot.priority * cfg.family_weights.get(spot_family(spot), 1.0) / top_weight for spot in spots]
        )
        ranked = Prioritization.from_utilities(np.clip(utilities, 0.0, 1.0), cfg.min_utility)
        per_sensor: dict[str | None, int] = defaultdict(int)
        keep = []
        for position, index in enumerate(ranked.indices):
            sensor = spots[index].sensor_id
            if per_sensor[sensor] < cfg.max_spots_per_sensor:
                per_sensor[sensor] += 1
                keep.append(position)
        return Prioritization(indices=ranked.indices[keep], utilities=ranked.utilities[keep])


def spot_family(spot: WeakSpot) -> str:
    """The sensor family a spot belongs to: its sensor's, or ``mixed`` when its samples point at sensors
    of several families or at none."""
    sensors = spot.related_sensor_ids or ([spot.sensor_id] if spot.sensor_id else [])
    families = {SENSORS_BY_ID[s].family.value for s in sensors if s in SENSORS_BY_ID}
    return families.pop() if len(families) == 1 else MIXED_FAMILY


@dataclass(frozen=True)
class RoutedPrioritization:
    prioritization: Prioritization
    strategy_of: dict[int, str]
    """Input index → name of the strategy that scored it."""


class SensorFamilyRouter:
    """Sends each spot to the strategy for its sensor family (stream-like → RealTime, high-value slow
    signals → HighFidelity, ambient or mixed → Heterogeneous) and merges the rankings."""

    def __init__(self, config: StrategyConfig | None = None) -> None:
        self.config = config or StrategyConfig()
        self.real_time = RealTimePrioritizationStrategy(self.config.real_time)
        self.high_fidelity = HighFidelityPrioritizationStrategy(self.config.high_fidelity)
        self.heterogeneous = HeterogeneousPrioritizationStrategy(self.config.heterogeneous)

    def strategy_for(self, spot: WeakSpot) -> PrioritizationStrategy:
        if not self.config.route_by_sensor_family:
            return self.heterogeneous
        family = spot_family(spot)
        if family == SensorFamily.REAL_TIME.value:
            return self.real_time
        if family == SensorFamily.HIGH_FIDELITY.value:
            return self.high_fidelity
        return self.heterogeneous

    def __call__(self, spots: Sequence[WeakSpot]) -> RoutedPrioritization:
        groups: dict[str, list[int]] = defaultdict(list)
        strategies: dict[str, PrioritizationStrategy] = {}
        for index, spot in enumerate(spots):
            strategy = self.strategy_for(spot)
            groups[strategy.name].append(index)
            strategies[strategy.name] = strategy
        indices: list[int] = []
        utilities: list[float] = []
        strategy_of: dict[int, str] = {}
        for name in sorted(groups):
            members = groups[name]
            ranked = strategies[name]([spots[i] for i in members])
            for local, utility in zip(ranked.indices.tolist(), ranked.utilities.tolist(), strict=True):
                indices.append(members[local])
                utilities.append(utility)
                strategy_of[members[local]] = name
        merged = Prioritization.from_utilities(np.array(utilities, dtype=np.float64), 0.0)
        order = np.array(indices, dtype=np.int64)[merged.indices] if indices else np.array([], dtype=np.int64)
        return RoutedPrioritization(Prioritization(order, merged.utilities), strategy_of)


@dataclass(frozen=True)
class PrioritisedSpot:
    """A kept weak spot with ``priority`` set to its strategy's utility, and the strategy's name."""

    spot: WeakSpot
    strategy: str


def prioritise(spots: Sequence[WeakSpot], router: SensorFamilyRouter) -> list[PrioritisedSpot]:
    """``spots`` routed to their family's strategy: the kept ones, best first, priority = utility."""
    routed = router(spots)
    return [
        PrioritisedSpot(spots[index].model_copy(update={"priority": float(utility)}), routed.strategy_of[int(index)])
        for index, utility in zip(routed.prioritization.indices, routed.prioritization.utilities, strict=True)
    ]
