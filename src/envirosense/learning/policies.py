"""Acquisition policies: what a cycle simulates and which simulated samples join the training set.

A policy is handed the cycle's ``CycleContext`` (run, cycle index, champion, config with the budget,
seeded generators, the probe dataset and the weak spots once they exist) and answers three questions:

- ``suggest``: which suggestions (scenario runs to simulate, with the samples each may add) the cycle
  makes for the prioritised weak spots;
- ``apply``: simulate one approved suggestion, returning the dataset slices that join the training set and
  the scenarios it created;
- ``finish``: a last look over everything the cycle acquired (e.g. one selection over the whole cycle).

``uses_probe`` says whether the cycle evaluates the champion on a fresh probe set and identifies weak
spots first (the targeted policy does; the baselines do not need to). The runner never looks at the
strategy's name: ``learning.policy_registry`` maps each ``strategy`` of the config to its policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from envirosense.learning.context import CycleContext
from envirosense.learning.history import CraftedScenario
from envirosense.learning.sampling import SampleMaker, created_scenarios
from envirosense.learning.sources import DefinitionDraw, random_definitions
from envirosense.learning.state import DatasetSlice
from envirosense.learning.suggestions import Suggestion, SuggestionAction
from envirosense.schemas import WeakSpot


@dataclass(frozen=True)
class Acquired:
    """What applying suggestions produced: training ``datasets``, the ``scenarios`` created, and the
    ``degraded`` steps done without a service that was down."""

    datasets: list[DatasetSlice] = field(default_factory=list)
    scenarios: list[CraftedScenario] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)

    def __add__(self, other: Acquired) -> Acquired:
        """Both acquisitions, this one's entries first."""
        return Acquired(
            [*self.datasets, *other.datasets], [*self.scenarios, *other.scenarios], [*self.degraded, *other.degraded]
        )


class AcquisitionPolicy(Protocol):
    """Decides what a cycle simulates and what it keeps (see the module docstring)."""

    name: str
    uses_probe: bool

    def suggest(self, context: CycleContext, weak_spots: Sequence[WeakSpot], budget: int) -> list[Suggestion]:
        """Suggestions for ``weak_spots`` (best first) spending ``budget`` samples."""
        ...

    def apply(self, context: CycleContext, suggestion: Suggestion) -> Acquired:
        """Simulate ``suggestion``; the slices returned join the training set (before ``finish``)."""
        ...

    def finish(self, context: CycleContext, acquired: Acquired, keep: int) -> Acquired:
        """The cycle's final acquisition from everything its suggestions acquired: at most ``keep`` samples,
        the budget ``suggest`` was given (a policy that keeps every sample it acquired returns ``acquired``)."""
        ...


def whole_runs(samples: int, samples_per_run: int) -> int:
    """``samples`` rounded down to whole scenario runs, in samples."""
    return samples // samples_per_run * samples_per_run


def baseline_suggestion(context: CycleContext, samples: int, action: SuggestionAction, why: str) -> Suggestion:
    """One suggestion of ``samples`` samples by ``action`` that no weak spot asked for."""
    return Suggestion(
        suggestion_id=Suggestion.make_id(context.run_id, context.index, None, action),
        draw_key=Suggestion.make_draw_key(context.index, None, action),
        action=action,
        samples=samples,
        rationale=why,
    )


class RandomPolicy:
    """Baseline: the cycle's budget in uniformly drawn scenario runs (or runs of another ``draw``), every
    sample kept."""

    name = "random"
    uses_probe = False

    def __init__(self, maker: SampleMaker, draw: DefinitionDraw = random_definitions) -> None:
        self.maker = maker
        self.draw = draw

    def suggest(self, context: CycleContext, weak_spots: Sequence[WeakSpot], budget: int) -> list[Suggestion]:
        samples = whole_runs(budget, self.maker.samples_per_run)
        return [baseline_suggestion(context, samples, SuggestionAction.RANDOM, "random")]

    def apply(self, context: CycleContext, suggestion: Suggestion) -> Acquired:
        definitions = self.maker.random_runs(context, suggestion, self.draw)
        out = context.folder / suggestion.suggestion_id
        return Acquired(
            self.maker.generate(
                context, definitions, out, "random", context.lineage(suggestion.weak_spot_id), key=suggestion.stream
            ),
            created_scenarios(definitions, suggestion, self.maker.samples_per_run),
        )

    def finish(self, context: CycleContext, acquired: Acquired, keep: int) -> Acquired:
        return acquired


class PoolMarginPolicy:
    """Baseline: pool-based margin sampling. Simulate a random pool of ``pool_factor`` × the budget (or of
    ``pool_samples`` samples, when given: a fixed simulation cost per cycle), its runs drawn by ``draw``
    (default: class and parameters uniformly), and keep the samples the champion separates least (smallest
    top-two probability margin)."""

    uses_probe = False

    def __init__(
        self,
        maker: SampleMaker,
        pool_factor: int,
        *,
        pool_samples: int | None = None,
        draw: DefinitionDraw = random_definitions,
        name: str = "pool-margin",
    ) -> None:
        self.maker = maker
        self.pool_factor = pool_factor
        self.pool_samples = pool_samples
        self.draw = draw
        self.name = name

    def suggest(self, context: CycleContext, weak_spots: Sequence[WeakSpot], budget: int) -> list[Suggestion]:
        samples = whole_runs(budget, self.maker.samples_per_run)
        return [baseline_suggestion(context, samples, SuggestionAction.POOL, "pool")]

    def pool_size(self, keep: int) -> int:
        """Samples simulated for a pool that keeps ``keep``: never fewer than ``keep``."""
        wanted = keep * self.pool_factor if self.pool_samples is None else self.pool_samples
        return max(keep, whole_runs(wanted, self.maker.samples_per_run))

    def apply(self, context: CycleContext, suggestion: Suggestion) -> Acquired:
        pool_size = self.pool_size(suggestion.samples)
        candidates, scenarios = simulate_pool(self.maker, context, suggestion, pool_size, self.draw)
        kept, degraded = self.maker.select(context, candidates, suggestion.samples, key=suggestion.stream)
        return Acquired(kept, scenarios, [degraded] if degraded else [])

    def finish(self, context: CycleContext, acquired: Acquired, keep: int) -> Acquired:
        return acquired


def simulate_pool(
    maker: SampleMaker,
    context: CycleContext,
    suggestion: Suggestion,
    samples: int,
    draw: DefinitionDraw = random_definitions,
) -> tuple[list[DatasetSlice], list[CraftedScenario]]:
    """A random pool of ``samples`` samples for ``suggestion``, its runs drawn by ``draw`` (default: class and
    parameters uniformly): its dataset slices and scenarios."""
    pool = suggestion.model_copy(update={"samples": samples})
    definitions = maker.random_runs(context, pool, draw)
    out = context.folder / suggestion.suggestion_id
    candidates = maker.generate(
        context, definitions, out, "pool", context.lineage(suggestion.weak_spot_id), key=suggestion.stream
    )
    return candidates, created_scenarios(definitions, suggestion, maker.samples_per_run)
