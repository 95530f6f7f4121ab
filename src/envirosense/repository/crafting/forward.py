"""The simulator as a forward model: parameters → short runs on a seeded population → one summary per field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from envirosense.repository.crafting.batch import InProcessBatch, SimulationBatch, SimulationJob
from envirosense.repository.sensors import FeatureField
from envirosense.schemas import ClassLabel
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario


@dataclass(frozen=True)
class PopulationSummary:
    """Per field: the mean and the standard deviation (ddof 1) over the population of simulation seeds
    of each run's summary, and how many runs measured it; NaN when none did."""

    mean: dict[FeatureField, float]
    sd: dict[FeatureField, float]
    count: dict[FeatureField, int]


@dataclass(frozen=True)
class ForwardModel:
    """Simulate ``n_steps`` timesteps spread evenly over a scenario and summarise reading fields.

    The summary of a field is its median over the timesteps labelled with the class of interest
    (all timesteps when none are), ignoring null readings (``batch.summarise``), averaged over a
    population of ``n_repeats`` simulation seeds drawn from ``seed`` (``simulation_seeds``). A seed fixes
    everything random in a run, the device included (its calibration offsets, drift and defective
    pixels), so the population averages over devices as well as weather and noise. The same ``seed``
    always draws the same population (common random numbers: a search over parameters sees a
    deterministic objective); another ``seed`` draws a fresh one. The runs of a population (or of
    many, ``populations``) go to a ``SimulationBatch`` as one batch.
    """

    n_steps: int = 32
    n_repeats: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_steps < 1 or self.n_repeats < 1:
            raise ValueError("n_steps and n_repeats must be >= 1")

    def simulation_seeds(self) -> list[int]:
        """The ``n_repeats`` simulation seeds of the population, drawn from ``seed``."""
        drawn = np.random.default_rng(self.seed).integers(0, 2**32, size=self.n_repeats)
        return [int(value) for value in drawn]

    def times(self, scenario: BaseScenario[Any]) -> NDArray[np.float64]:
        """``n_steps`` times in seconds, shape ``(n_steps,)``, from 0 up to the scenario's duration."""
        duration = float(scenario.params.duration_seconds)
        return np.linspace(0.0, duration, self.n_steps, endpoint=False, dtype=np.float64)

    def jobs(
        self, scenario: BaseScenario[Any], fields: Iterable[FeatureField], label: ClassLabel, *, keep_run: bool = False
    ) -> list[SimulationJob]:
        """One ``SimulationJob`` per seed of the population, in ``simulation_seeds`` order."""
        times, wanted = self.times(scenario), tuple(fields)
        return [
            SimulationJob(scenario, times, seed, label, wanted, keep_run=keep_run) for seed in self.simulation_seeds()
        ]

    def run(self, scenario: BaseScenario[Any], repeat: int = 0) -> SimulationResult:
        """One short run on the population's seed number ``repeat``."""
        seed = self.simulation_seeds()[repeat]
        return scenario.simulate(self.times(scenario), np.random.default_rng(seed))

    def populations(
        self,
        scenarios: Sequence[BaseScenario[Any]],
        fields: Iterable[FeatureField],
        label: ClassLabel,
        batch: SimulationBatch | None = None,
    ) -> list[PopulationSummary]:
        """``population`` of each scenario, all ``len(scenarios) × n_repeats`` runs as one ``batch``
        (default: in this process)."""
        wanted = tuple(fields)
        jobs = [job for scenario in scenarios for job in self.jobs(scenario, wanted, label)]
        outcomes = (batch or InProcessBatch()).run(jobs)
        n = self.n_repeats
        return [summarise_population([o.summary for o in outcomes[i : i + n]], wanted) for i in range(0, len(jobs), n)]

    def population(
        self,
        scenario: BaseScenario[Any],
        fields: Iterable[FeatureField],
        label: ClassLabel,
        batch: SimulationBatch | None = None,
    ) -> PopulationSummary:
        """Mean and spread of each field's summary over the population's runs."""
        return self.populations([scenario], fields, label, batch)[0]

    def evaluate(
        self, scenario: BaseScenario[Any], fields: Iterable[FeatureField], label: ClassLabel
    ) -> dict[FeatureField, float]:
        """The population mean of each field's summary (NaN if never measured)."""
        return self.population(scenario, fields, label).mean


def summarise_population(
    runs: Sequence[dict[FeatureField, float]], fields: Iterable[FeatureField]
) -> PopulationSummary:
    """Mean, spread (ddof 1) and count of the finite summaries of each field over ``runs``."""
    mean, sd, count = {}, {}, {}
    for feature in fields:
        values = np.asarray([run[feature] for run in runs], dtype=np.float64)
        finite = values[np.isfinite(values)]
        mean[feature] = float(finite.mean()) if finite.size else float("nan")
        sd[feature] = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
        count[feature] = int(finite.size)
    return PopulationSummary(mean, sd, count)
