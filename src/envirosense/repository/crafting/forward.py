"""The simulator as a forward model: parameters → a short run → one summary value per reading field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from envirosense.repository.sensors import FeatureField
from envirosense.schemas import ClassLabel
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario


@dataclass(frozen=True)
class ForwardModel:
    """Simulate ``n_steps`` timesteps spread evenly over a scenario and summarise reading fields.

    The summary of a field is its median over the timesteps labelled with the class of interest
    (all timesteps when none are), ignoring null readings, averaged over ``n_repeats`` runs. Run ``k``
    uses a fresh generator seeded with ``seed + k`` (common random numbers), so the same parameters
    always give the same summary and a search over parameters sees a deterministic objective; more
    repeats make it less tied to one noise realisation.
    """

    n_steps: int = 32
    n_repeats: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_steps < 1 or self.n_repeats < 1:
            raise ValueError("n_steps and n_repeats must be >= 1")

    def times(self, scenario: BaseScenario[Any]) -> NDArray[np.float64]:
        """``n_steps`` times in seconds, shape ``(n_steps,)``, from 0 up to the scenario's duration."""
        duration = float(scenario.params.duration_seconds)
        return np.linspace(0.0, duration, self.n_steps, endpoint=False, dtype=np.float64)

    def run(self, scenario: BaseScenario[Any], repeat: int = 0) -> SimulationResult:
        """One short run (repeat ``repeat``, seeded ``seed + repeat``)."""
        return scenario.simulate(self.times(scenario), np.random.default_rng(self.seed + repeat))

    def summarise(
        self, result: SimulationResult, fields: Iterable[FeatureField], label: ClassLabel
    ) -> dict[FeatureField, float]:
        """Median of each field over the steps labelled ``label`` (NaN when it was never measured)."""
        active = np.asarray(result.labels.class_label == label.value, dtype=bool)
        mask = active if active.any() else np.ones(len(result), dtype=bool)
        summary: dict[FeatureField, float] = {}
        for feature in fields:
            values = np.asarray(result.readings[feature.sensor_id][feature.field], dtype=np.float64)[mask]
            finite = values[np.isfinite(values)]
            summary[feature] = float(np.median(finite)) if finite.size else float("nan")
        return summary

    def evaluate(
        self, scenario: BaseScenario[Any], fields: Iterable[FeatureField], label: ClassLabel
    ) -> dict[FeatureField, float]:
        """The mean over ``n_repeats`` runs of ``summarise(run(scenario, k))`` (NaN if never measured)."""
        wanted = list(fields)
        runs = [self.summarise(self.run(scenario, k), wanted, label) for k in range(self.n_repeats)]
        summary = {}
        for feature in wanted:
            values = np.asarray([run[feature] for run in runs])
            finite = values[np.isfinite(values)]
            summary[feature] = float(finite.mean()) if finite.size else float("nan")
        return summary
