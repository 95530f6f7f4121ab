"""Simulation batches: the crafters' short runs, handed as one batch to wherever simulations run.

A crafter judges each round of candidates on a population of simulation seeds: candidates × seeds short
runs that do not depend on each other. A ``SimulationBatch`` runs such a list of ``SimulationJob`` and
returns one ``JobOutcome`` per job, in job order. ``InProcessBatch`` runs them one by one in this
process (the CLI, tests, a loop without a long-lived executor); ``envirosense.generation.batches``
sends them to a run's long-lived executor (a warm process pool or a Dask client). Every job carries
its own simulation seed, so a batch gives the same outcomes wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from envirosense.repository.sensors import FeatureField
from envirosense.schemas import ClassLabel
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario


@dataclass(frozen=True)
class SimulationJob:
    """One short run: ``scenario`` at ``times`` (s, shape ``(n_steps,)``) on simulation seed ``seed``.

    ``fields`` are summarised over the steps labelled ``label`` (``summarise``); ``keep_run`` returns
    the whole run as well (a caller that scores it, such as the failure-seeking crafter).
    """

    scenario: BaseScenario[Any]
    times: NDArray[np.float64]
    seed: int
    label: ClassLabel
    fields: tuple[FeatureField, ...] = ()
    keep_run: bool = False


@dataclass(frozen=True)
class JobOutcome:
    """A job's summary (field → median reading, NaN when never measured) and its run if it was kept."""

    summary: dict[FeatureField, float]
    run: SimulationResult | None = None


@runtime_checkable
class SimulationBatch(Protocol):
    """Runs a list of independent short simulations; the outcomes come back in job order."""

    def run(self, jobs: Sequence[SimulationJob]) -> list[JobOutcome]: ...


def summarise(result: SimulationResult, fields: Iterable[FeatureField], label: ClassLabel) -> dict[FeatureField, float]:
    """Median of each field over the steps labelled ``label`` (all steps when none are), ignoring null
    readings; NaN when the field was never measured."""
    active = np.asarray(result.labels.class_label == label.value, dtype=bool)
    mask = active if active.any() else np.ones(len(result), dtype=bool)
    summary: dict[FeatureField, float] = {}
    for feature in fields:
        values = np.asarray(result.readings[feature.sensor_id][feature.field], dtype=np.float64)[mask]
        finite = values[np.isfinite(values)]
        summary[feature] = float(np.median(finite)) if finite.size else float("nan")
    return summary


def run_job(job: SimulationJob) -> JobOutcome:
    """Simulate one job and summarise it."""
    result = job.scenario.simulate(job.times, np.random.default_rng(job.seed))
    return JobOutcome(summarise(result, job.fields, job.label), result if job.keep_run else None)


def run_jobs(jobs: Sequence[SimulationJob]) -> list[JobOutcome]:
    """``run_job`` over ``jobs`` in order (one chunk of a batch, on whichever process runs it)."""
    return [run_job(job) for job in jobs]


class InProcessBatch:
    """Runs every job of a batch in this process, one after the other."""

    def run(self, jobs: Sequence[SimulationJob]) -> list[JobOutcome]:
        return run_jobs(jobs)


class CountingBatch:
    """Runs batches on ``inner`` and reports each batch's simulated samples (timesteps over its jobs) to
    ``count``: what a run pays for crafting (``learning.simulation_count``)."""

    def __init__(self, inner: SimulationBatch, count: Callable[[int], None]) -> None:
        self.inner = inner
        self.count = count

    def run(self, jobs: Sequence[SimulationJob]) -> list[JobOutcome]:
        outcomes = self.inner.run(jobs)
        self.count(sum(len(job.times) for job in jobs))
        return outcomes
