"""Failure-seeking search in the style of VerifAI's cross-entropy and multi-armed-bandit samplers.

Every searched parameter's range is cut into ``n_buckets`` equal buckets (in unit coordinates). A
candidate picks one bucket per parameter and a uniform point inside it, is simulated on a short run,
and is scored by a caller-supplied function (the active-learning loop passes the current model's
uncertainty or error on that run). Scores steer later picks toward buckets that scored high:

- ``cross_entropy``: one categorical distribution per parameter; after each batch the distributions
  move toward the bucket frequencies of the elite (top-scoring) candidates, with smoothing and a floor.
- ``bandit``: every bucket is an arm with a count and a reward sum (the score clipped to [0, 1]); picks
  follow Thompson sampling from Beta posteriors, which keeps the parameters' picks independent of each
  other (a deterministic rule such as UCB1 tends to lock the parameters' buckets into fixed pairs). A
  craft's picks are all drawn from the posteriors as they stood when it began (batched Thompson
  sampling); its scores update them for the next craft.

A craft's candidates are drawn first and simulated as one batch (``SimulationBatch``: in this process,
or on the run's long-lived executor); a ``BatchScoreFunction`` then scores the round in one call.

The state (distributions, counts, the generator's state) persists across ``craft`` calls and can be
saved and restored, so a resumed loop continues exactly where it stopped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from envirosense.ops.logging import get_logger
from envirosense.repository.crafting.base import (
    CraftRequest,
    CraftResult,
    choose_class,
    driver_parameters,
    params_at,
    search_dimensions,
    start_params,
)
from envirosense.repository.crafting.batch import InProcessBatch, SimulationBatch, SimulationJob
from envirosense.repository.crafting.forward import ForwardModel
from envirosense.repository.errors import CraftingError
from envirosense.repository.sensors import driven_fields
from envirosense.simulation.parameters import ParamModel, ScenarioParams, param_ranges
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario

ScoreFunction = Callable[[BaseScenario[Any], SimulationResult], float]
"""``score(scenario, short_run) -> float``: higher means the model fails more there."""


@runtime_checkable
class BatchScoreFunction(Protocol):
    """Scores a whole round of candidates at once (one model call for the round, not one per candidate)."""

    def score_batch(self, scenarios: Sequence[BaseScenario[Any]], runs: Sequence[SimulationResult]) -> list[float]:
        """One score per candidate, in order; higher means the model fails more there."""
        ...


SamplerKind = Literal["cross_entropy", "bandit"]
STATE_FORMAT = 1

_log = get_logger(__name__)


@dataclass
class RegionState:
    """Sampling state of one (class, searched parameters) region; arrays are ``(n_parameters, n_buckets)``."""

    parameters: list[str]
    probabilities: NDArray[np.float64]
    counts: NDArray[np.float64]
    reward_sums: NDArray[np.float64]
    scores: list[float] = field(default_factory=list)

    @classmethod
    def fresh(cls, parameters: list[str], n_buckets: int) -> RegionState:
        shape = (len(parameters), n_buckets)
        return cls(parameters, np.full(shape, 1.0 / n_buckets), np.zeros(shape), np.zeros(shape))

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters,
            "probabilities": self.probabilities.tolist(),
            "counts": self.counts.tolist(),
            "reward_sums": self.reward_sums.tolist(),
            "scores": self.scores,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegionState:
        return cls(
            list(data["parameters"]),
            np.asarray(data["probabilities"], dtype=np.float64),
            np.asarray(data["counts"], dtype=np.float64),
            np.asarray(data["reward_sums"], dtype=np.float64),
            [float(score) for score in data["scores"]],
        )


class FailureSeekingCrafter:
    """Concentrates sampling on parameter regions where ``score`` is high.

    Parameters: ``score`` (see ``ScoreFunction``), ``rng`` (the only source of randomness; its state is
    part of the saved state), ``sampler`` (``"cross_entropy"`` or ``"bandit"``), ``n_buckets`` per
    parameter, ``candidates_per_craft`` (simulator runs per ``craft`` call), ``smoothing`` (weight kept
    by the old distribution in a cross-entropy update, in [0, 1)), ``elite_fraction`` (share of a batch
    that counts as elite), ``min_probability`` (floor of every bucket's probability, keeps exploring),
    ``exploration`` (weight of the evidence in the bandit's Beta posteriors: lower explores longer),
    ``forward`` (the short run handed to ``score``) and ``batch`` (runs a craft's candidates as one
    batch; default ``InProcessBatch``). ``score`` may instead be a ``BatchScoreFunction``, which scores
    the whole round in one call.
    """

    name = "failure_seeking"

    def __init__(
        self,
        score: ScoreFunction | BatchScoreFunction,
        *,
        rng: np.random.Generator,
        sampler: SamplerKind = "cross_entropy",
        n_buckets: int = 5,
        candidates_per_craft: int = 12,
        smoothing: float = 0.6,
        elite_fraction: float = 0.25,
        min_probability: float = 0.02,
        exploration: float = 1.0,
        forward: ForwardModel | None = None,
        batch: SimulationBatch | None = None,
    ) -> None:
        if sampler not in ("cross_entropy", "bandit"):
            raise ValueError(f"sampler must be 'cross_entropy' or 'bandit', not {sampler!r}")
        if n_buckets < 2 or candidates_per_craft < 1 or not 0 <= smoothing < 1 or not 0 < elite_fraction <= 1:
            raise ValueError(
                "need n_buckets >= 2, candidates_per_craft >= 1, 0 <= smoothing < 1, 0 < elite_fraction <= 1"
            )
        if not 0 <= min_probability * n_buckets < 1:
            raise ValueError("min_probability * n_buckets must be below 1")
        self.score = score
        self.rng = rng
        self.sampler: SamplerKind = sampler
        self.n_buckets = n_buckets
        self.candidates_per_craft = candidates_per_craft
        self.smoothing = smoothing
        self.elite_fraction = elite_fraction
        self.min_probability = min_probability
        self.exploration = exploration
        self.forward = forward or ForwardModel(n_steps=16)
        self.batch = batch or InProcessBatch()
        self.regions: dict[str, RegionState] = {}
        self.evaluations = 0

    # --- crafting ------------------------------------------------------------------------------

    def craft(self, request: CraftRequest) -> CraftResult:
        cls = choose_class(request.target_label, request.targets, request.start)
        paths = self.searched_parameters(cls, request)
        dimensions = search_dimensions(cls, paths)
        base = start_params(cls, request.start)
        key = f"{cls.__name__}|{','.join(paths)}"
        region = self.regions.setdefault(key, RegionState.fresh(paths, self.n_buckets))
        # The whole round is drawn before anything is scored, so its runs go to the batch at once. The
        # bandit's picks therefore come from its posterior as it stood when the round began.
        picks: list[NDArray[np.int64]] = []
        candidates: list[ParamModel] = []
        for _ in range(self.candidates_per_craft):
            buckets = self._pick_buckets(region)
            units = (buckets + self.rng.uniform(size=len(paths))) / self.n_buckets
            picks.append(buckets)
            candidates.append(params_at(cls, base, dimensions, units.tolist()))
        scenarios = [cls(params) for params in candidates]
        # Each candidate runs on its own device and weather, drawn from the crafter's generator: a search
        # on one fixed device would seek that device's defects instead of the model's.
        seeds = self.rng.integers(0, 2**32, size=len(scenarios))
        outcomes = self.batch.run(
            [
                SimulationJob(scenario, self.forward.times(scenario), int(seed), request.target_label, keep_run=True)
                for scenario, seed in zip(scenarios, seeds, strict=True)
            ]
        )
        runs = [outcome.run for outcome in outcomes if outcome.run is not None]
        scores = self._scores(scenarios, runs)
        for scenario, buckets, score in zip(scenarios, picks, scores, strict=True):
            if not math.isfinite(score):
                raise CraftingError(f"the score function returned {score} for {scenario!r}")
            self.evaluations += 1
            region.scores.append(score)
            if self.sampler == "bandit":
                rows = np.arange(len(paths))
                region.counts[rows, buckets] += 1
                region.reward_sums[rows, buckets] += min(max(score, 0.0), 1.0)
        if self.sampler == "cross_entropy":
            self._update_distributions(region, picks, scores)
        best = int(np.argmax(scores))
        report = {
            "method": self.name,
            "sampler": self.sampler,
            "scenario_class": cls.__name__,
            "searched_parameters": paths,
            "best_score": scores[best],
            "mean_score": float(np.mean(scores)),
            "candidates": len(scores),
            "total_evaluations": self.evaluations,
        }
        _log.info(
            "crafted",
            crafter=self.name,
            sampler=self.sampler,
            scenario_class=cls.__name__,
            best_score=scores[best],
            mean_score=report["mean_score"],
        )
        return CraftResult(scenario_class=cls, params=candidates[best], report=report)

    def _scores(self, scenarios: list[BaseScenario[Any]], runs: list[SimulationResult]) -> list[float]:
        if isinstance(self.score, BatchScoreFunction):
            scores = [float(score) for score in self.score.score_batch(scenarios, runs)]
        else:
            scores = [float(self.score(scenario, run)) for scenario, run in zip(scenarios, runs, strict=True)]
        if len(scores) != len(scenarios):
            raise CraftingError(f"the score function returned {len(scores)} scores for {len(scenarios)} candidates")
        return scores

    @staticmethod
    def searched_parameters(cls: type[BaseScenario[Any]], request: CraftRequest) -> list[str]:
        """Drivers of the request's features; else every driver of the class; else its own parameters."""
        ranges = param_ranges(cls.params_model)
        numeric = [path for path, declared in ranges.items() if declared.choices is None]
        paths = driver_parameters(cls, request.targets)
        if not paths:
            paths = [path for path in driven_fields(cls) if path in numeric]
        if not paths:
            shared = set(param_ranges(ScenarioParams))
            paths = [path for path in numeric if path not in shared] or numeric
        return paths

    def _pick_buckets(self, region: RegionState) -> NDArray[np.int64]:
        """One bucket index per searched parameter, shape ``(n_parameters,)``."""
        if self.sampler == "cross_entropy":
            return np.asarray([self.rng.choice(self.n_buckets, p=row) for row in region.probabilities], dtype=np.int64)
        successes = region.reward_sums
        failures = region.counts - region.reward_sums
        draws = self.rng.beta(1.0 + self.exploration * successes, 1.0 + self.exploration * failures)
        return np.asarray(np.argmax(draws, axis=1), dtype=np.int64)

    def _update_distributions(self, region: RegionState, picks: list[NDArray[np.int64]], scores: list[float]) -> None:
        n_elite = max(1, math.ceil(self.elite_fraction * len(scores)))
        elite = np.argsort(-np.asarray(scores), kind="stable")[:n_elite]
        frequencies = np.zeros_like(region.probabilities)
        rows = np.arange(len(region.parameters))
        for index in elite:
            frequencies[rows, picks[int(index)]] += 1.0 / n_elite
        updated = self.smoothing * region.probabilities + (1.0 - self.smoothing) * frequencies
        updated = np.maximum(updated, self.min_probability)
        region.probabilities = updated / updated.sum(axis=1, keepdims=True)

    # --- state ---------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: settings, regions and the generator's state (JSON-ready)."""
        return {
            "format": STATE_FORMAT,
            "sampler": self.sampler,
            "n_buckets": self.n_buckets,
            "evaluations": self.evaluations,
            "rng": self.rng.bit_generator.state,
            "regions": {key: region.to_dict() for key, region in self.regions.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a ``state_dict``; the sampler, bucket count and generator kind must match."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown failure-seeking state format {state.get('format')!r}")
        if state["sampler"] != self.sampler or state["n_buckets"] != self.n_buckets:
            raise ValueError(
                f"state is for sampler={state['sampler']!r}, n_buckets={state['n_buckets']}; "
                f"this crafter has sampler={self.sampler!r}, n_buckets={self.n_buckets}"
            )
        if state["rng"]["bit_generator"] != self.rng.bit_generator.state["bit_generator"]:
            raise ValueError(f"state holds a {state['rng']['bit_generator']} generator state")
        self.rng.bit_generator.state = state["rng"]
        self.evaluations = int(state["evaluations"])
        self.regions = {key: RegionState.from_dict(region) for key, region in state["regions"].items()}

    def save_state(self, path: Path | str) -> None:
        """Write ``state_dict()`` as JSON (atomically: a temporary file, then a rename)."""
        target = Path(path)
        temporary = target.with_suffix(target.suffix + ".tmp")
        temporary.write_text(json.dumps(self.state_dict()))
        temporary.replace(target)

    def load_state(self, path: Path | str) -> None:
        self.load_state_dict(json.loads(Path(path).read_text()))
