"""Did the run beat its baselines? Final macro-F1, area under the learning curve and samples to a target,
per strategy, with bootstrap intervals over seeds.

A learning curve is the champion's held-out macro-F1 against training samples (``RunHistory.learning_curve``).
Its AUBC is the mean macro-F1 over a sample range every compared run covers (linear interpolation), so
runs of different lengths are scored on the same range. Runs of the same strategy (different seeds) are
pooled: each figure is the mean over them with a 95 % percentile-bootstrap interval, and the difference to
the reported run's strategy resamples both groups independently (unpaired).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from envirosense.learning.history import RunHistory

FloatArray = NDArray[np.float64]
BOOTSTRAP_ROUNDS = 2000
AUBC_GRID_POINTS = 200


class Estimate(BaseModel):
    """A mean over runs and its 95 % bootstrap interval (equal to the mean for a single run)."""

    model_config = ConfigDict(frozen=True)

    mean: float
    low: float
    high: float
    n: int

    def text(self, digits: int = 3, signed: bool = False) -> str:
        sign = "+" if signed else ""
        value = f"{self.mean:{sign}.{digits}f}"
        return value if self.n < 2 else f"{value} [{self.low:{sign}.{digits}f}, {self.high:{sign}.{digits}f}]"


class StrategyResult(BaseModel):
    """One strategy's runs, scored on the common range."""

    model_config = ConfigDict(frozen=True)

    strategy: str
    run_ids: list[str]
    final_macro_f1: Estimate
    aubc: Estimate
    final_difference: Estimate | None
    aubc_difference: Estimate | None
    samples_to_target: list[float]

    def reach_text(self) -> str:
        reached = [s for s in self.samples_to_target if math.isfinite(s)]
        if not reached:
            return "not reached"
        mean = f"{np.mean(reached):.0f}"
        missed = len(self.samples_to_target) - len(reached)
        return mean if not missed else f"{mean} ({missed} of {len(self.samples_to_target)} runs never reached it)"


class Comparison(BaseModel):
    """The reported run's strategy first, then each baseline strategy."""

    model_config = ConfigDict(frozen=True)

    reference: str
    target_macro_f1: float
    aubc_range: tuple[float, float]
    results: list[StrategyResult]


def aubc(samples: Sequence[float], scores: Sequence[float], start: float, end: float) -> float:
    """Mean of the learning curve over ``[start, end]`` training samples (linear interpolation)."""
    if end <= start:
        return float(np.interp(start, np.asarray(samples, dtype=float), np.asarray(scores, dtype=float)))
    grid = np.linspace(start, end, AUBC_GRID_POINTS)
    return float(np.mean(np.interp(grid, np.asarray(samples, dtype=float), np.asarray(scores, dtype=float))))


def samples_to_reach(samples: Sequence[float], scores: Sequence[float], target: float) -> float:
    """Training samples at which the curve first reaches ``target`` (interpolated); ``inf`` if never."""
    for i, score in enumerate(scores):
        if score >= target:
            if i == 0:
                return float(samples[0])
            x0, x1, y0, y1 = samples[i - 1], samples[i], scores[i - 1], scores[i]
            return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0)) if y1 > y0 else float(x1)
    return math.inf


def bootstrap_mean(values: FloatArray, rng: np.random.Generator, rounds: int = BOOTSTRAP_ROUNDS) -> Estimate:
    """Mean of ``values`` (one per run) with the 2.5 and 97.5 percentiles of ``rounds`` resampled means."""
    if values.size < 2:
        mean = float(values.mean())
        return Estimate(mean=mean, low=mean, high=mean, n=int(values.size))
    means = rng.choice(values, size=(rounds, values.size), replace=True).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(mean=float(values.mean()), low=float(low), high=float(high), n=int(values.size))


def bootstrap_difference(
    first: FloatArray, second: FloatArray, rng: np.random.Generator, rounds: int = BOOTSTRAP_ROUNDS
) -> Estimate:
    """``mean(first) − mean(second)`` with an unpaired bootstrap interval (each group resampled on its own)."""
    mean = float(first.mean() - second.mean())
    if first.size < 2 and second.size < 2:
        return Estimate(mean=mean, low=mean, high=mean, n=1)
    a = rng.choice(first, size=(rounds, first.size), replace=True).mean(axis=1)
    b = rng.choice(second, size=(rounds, second.size), replace=True).mean(axis=1)
    low, high = np.percentile(a - b, [2.5, 97.5])
    return Estimate(mean=mean, low=float(low), high=float(high), n=int(min(first.size, second.size)))


def default_target(runs: Sequence[RunHistory]) -> float:
    """Just under the median final macro-F1 of all runs (median − 0.01), a level most runs reach, so that
    "samples to target" says who got there first; but at least halfway from the best starting score to the
    best final one, since a level the runs start above tells nothing."""
    curves = [run.learning_curve()[1] for run in runs]
    finals = [scores[-1] for scores in curves]
    start, best = max(scores[0] for scores in curves), max(finals)
    return round(max(float(np.median(finals)) - 0.01, (start + best) / 2), 3)


def compare_runs(
    run: RunHistory,
    others: Sequence[RunHistory],
    rng: np.random.Generator,
    *,
    target: float | None = None,
) -> Comparison:
    """Score ``run`` and ``others`` per strategy; differences are the run's strategy minus each other's."""
    everyone = [run, *(other for other in others if other.run_id != run.run_id)]
    if any(not r.cycles for r in everyone):
        empty = [r.run_id for r in everyone if not r.cycles]
        raise ValueError(f"runs without a completed cycle cannot be compared: {', '.join(empty)}")
    curves = {r.run_id: r.learning_curve() for r in everyone}
    start = float(max(samples[0] for samples, _ in curves.values()))
    end = float(min(samples[-1] for samples, _ in curves.values()))
    goal = default_target(everyone) if target is None else target
    groups: dict[str, list[RunHistory]] = {}
    for r in everyone:
        groups.setdefault(r.strategy, []).append(r)
    areas = {
        strategy: np.array([aubc(*curves[r.run_id], start, end) for r in members])
        for strategy, members in groups.items()
    }
    finals = {strategy: np.array([curves[r.run_id][1][-1] for r in members]) for strategy, members in groups.items()}
    mine = run.strategy
    results = [
        StrategyResult(
            strategy=strategy,
            run_ids=[r.run_id for r in members],
            final_macro_f1=bootstrap_mean(finals[strategy], rng),
            aubc=bootstrap_mean(areas[strategy], rng),
            final_difference=None if strategy == mine else bootstrap_difference(finals[mine], finals[strategy], rng),
            aubc_difference=None if strategy == mine else bootstrap_difference(areas[mine], areas[strategy], rng),
            samples_to_target=[samples_to_reach(*curves[r.run_id], goal) for r in members],
        )
        for strategy, members in groups.items()
    ]
    return Comparison(reference=run.strategy, target_macro_f1=goal, aubc_range=(start, end), results=results)
