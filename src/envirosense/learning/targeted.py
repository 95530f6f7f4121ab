"""``TargetedPolicy`` (strategy ``alm``): one candidate pool per cycle, label-balanced, and one selection
over it.

- **Pool.** The cycle's probe (a fresh uniform draw, simulated anyway to find the weak spots) is the
  pool's first part; proposals fill it up to ``pool_factor`` × the budget, so alm simulates as many
  samples as pool-margin. ``exploration_share`` of the proposal runs (all, by default) are random draws,
  label-balanced by default (``targeting.exploration_draw``: every class label equally, where a uniform
  draw follows the catalogue, mostly normal scenarios); the rest go to the weak spots (variations of the
  failing scenario, crafting when switched on; see ``proposals``).
- **Budget by progress.** A spot's share of the targeted runs is its priority times its class's measured
  learning progress (``allocation``), so classes that do not improve lose budget.
- **Selection.** One selection of the budget over the whole pool: uncertain samples that are unlike each
  other, at most ``max_share_per_run`` of any scenario run (``joint_selection``).
"""

from __future__ import annotations

from collections.abc import Sequence

from envirosense.learning.allocation import ProgressLedger, progress_weights
from envirosense.learning.budget import split_budget
from envirosense.learning.config import BudgetConfig, TargetingConfig
from envirosense.learning.context import CycleContext
from envirosense.learning.joint_selection import PoolSelector
from envirosense.learning.policies import Acquired, RandomPolicy, baseline_suggestion, whole_runs
from envirosense.learning.proposals import Proposer
from envirosense.learning.sampling import SampleMaker
from envirosense.learning.sources import (
    DefinitionDraw,
    contrast_definitions,
    label_balanced_definitions,
    lookalike_definitions,
    random_definitions,
    runs_for,
)
from envirosense.learning.state import DatasetSlice
from envirosense.learning.suggestions import Suggestion, SuggestionAction
from envirosense.learning.weak_spots import spot_key
from envirosense.models.interface import ModelInterface
from envirosense.repository.errors import RepositoryError
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.schemas import WeakSpot

EXPLORATION_DRAWS: dict[str, DefinitionDraw] = {
    "scenario": random_definitions,
    "label": label_balanced_definitions,
    "lookalike": lookalike_definitions,
    "contrast": contrast_definitions,
}
"""``targeting.exploration_draw`` → how the uniform proposals are drawn."""

UNKNOWN_CLASS = "unknown"
"""The progress arm of a spot whose class cannot be told."""


class TargetedPolicy:
    """Label-balanced candidate pool (optionally with progress-weighted targeted proposals), one diverse
    uncertain selection (module docstring).

    Parameters
    ----------
    maker:
        Shared simulation and selection machinery.
    repository:
        Base scenarios of variations, crafting, class look-ups and exploration defaults.
    model_interface:
        Scores candidates under the champion.
    targeting, budget:
        The run's targeting and budget settings.
    pool_factor:
        The run's pool-margin factor, used when ``targeting.pool_factor`` is None.
    """

    name = "alm"
    uses_probe = True

    def __init__(
        self,
        maker: SampleMaker,
        repository: ScenarioRepositoryInterface,
        model_interface: ModelInterface,
        targeting: TargetingConfig,
        budget: BudgetConfig,
        pool_factor: int,
    ) -> None:
        self.maker = maker
        self.targeting = targeting
        self.budget = budget
        self.pool_factor = targeting.pool_factor or pool_factor
        self.proposer = Proposer(maker, repository, model_interface, targeting, budget)
        self.selector = PoolSelector(maker, targeting)
        self.exploration = RandomPolicy(maker, EXPLORATION_DRAWS[targeting.exploration_draw])

    def proposal_runs(self, budget: int) -> int:
        """Scenario runs proposed per cycle: ``pool_factor`` × ``budget`` samples minus the probe's."""
        per_run = self.budget.samples_per_scenario_run
        return max(0, self.pool_factor * budget - self.budget.probe_samples) // per_run

    def suggest(self, context: CycleContext, weak_spots: Sequence[WeakSpot], budget: int) -> list[Suggestion]:
        """Proposal suggestions of ``proposal_runs(budget)`` runs: the exploration share uniformly drawn,
        the rest over the weak spots by priority × learning progress (the allocation is recorded)."""
        per_run = self.budget.samples_per_scenario_run
        labels = [self._class_of(spot) for spot in weak_spots]
        priorities = [spot.priority for spot in weak_spots]
        ledger = ProgressLedger(context.folder.parent)
        if self.targeting.progress_budget:
            priorities = progress_weights(
                priorities, labels, ledger.progress(context.index), self.targeting.progress_rate
            )
        split = split_budget(
            priorities,
            self.proposal_runs(budget),
            exploration_share=self.budget.exploration_share,
            min_per_spot=runs_for(self.budget.min_samples_per_spot, per_run),
            max_spots=self.budget.max_spots_per_cycle,
        )
        funded: dict[str, int] = {}
        suggestions: list[Suggestion] = []
        for spot, label, runs in zip(weak_spots, labels, split.per_spot, strict=True):
            if runs > 0:
                funded[label] = funded.get(label, 0) + runs
                suggestions.extend(self._suggest_for_spot(context, spot, runs))
        ledger.record(context.index, funded)
        if split.exploration > 0:
            suggestions.append(
                baseline_suggestion(context, split.exploration * per_run, SuggestionAction.RANDOM, "exploration")
            )
        return suggestions

    def _class_of(self, spot: WeakSpot) -> str:
        if spot.target_class is not None:
            return spot.target_class
        try:
            return self.proposer.class_label(spot.original_scenario_id) or UNKNOWN_CLASS
        except RepositoryError:
            return UNKNOWN_CLASS

    def _suggest_for_spot(self, context: CycleContext, spot: WeakSpot, runs: int) -> list[Suggestion]:
        cfg = self.targeting
        can_vary = cfg.use_variation and spot.original_scenario_id is not None
        can_craft = cfg.use_crafting and spot.sample_features_summary is not None
        if can_vary and can_craft:
            crafted = round(runs * cfg.craft_share)
            shares = [(SuggestionAction.VARIATION, runs - crafted), (SuggestionAction.CRAFT, crafted)]
        elif can_vary:
            shares = [(SuggestionAction.VARIATION, runs)]
        elif can_craft:
            shares = [(SuggestionAction.CRAFT, runs)]
        elif spot.target_class is not None:
            shares = [(SuggestionAction.CLASS_KNOWN, runs)]
        else:
            shares = [(SuggestionAction.EXPLORATION, runs)]
        suggestions = []
        for action, action_runs in shares:
            if action_runs <= 0:
                continue
            count = action_runs * self.budget.samples_per_scenario_run
            draw_key = Suggestion.make_draw_key(context.index, spot_key(spot), action)
            varying = action is SuggestionAction.VARIATION
            plan = self.proposer.variation_plan(context, spot, count, draw_key) if varying else []
            suggestions.append(
                Suggestion(
                    suggestion_id=Suggestion.make_id(context.run_id, context.index, spot.weak_spot_id, action),
                    draw_key=draw_key,
                    weak_spot_id=spot.weak_spot_id,
                    action=action,
                    samples=count,
                    base_scenario_id=spot.original_scenario_id,
                    target_class=spot.target_class,
                    sensor_id=spot.sensor_id,
                    param_modifications=plan,
                    rationale=f"{spot.weak_spot_type.value} on {spot.sensor_id or 'class level'}, "
                    f"priority {spot.priority:.2f}",
                )
            )
        return suggestions

    def apply(self, context: CycleContext, suggestion: Suggestion) -> Acquired:
        """Simulate the suggestion's candidates; they join the pool that ``finish`` selects from."""
        if suggestion.action is SuggestionAction.RANDOM:
            return self.exploration.apply(context, suggestion)
        return self.proposer.apply(context, suggestion)

    def finish(self, context: CycleContext, acquired: Acquired, keep: int) -> Acquired:
        """One selection of ``keep`` samples (whole runs' worth) over the proposals and the probe."""
        probe = [DatasetSlice(path=context.probe_dataset)] if context.probe_dataset else []
        count = whole_runs(keep, self.budget.samples_per_scenario_run)
        kept, reason = self.selector.select(context, [*acquired.datasets, *probe], count)
        return Acquired(kept, acquired.scenarios, [*acquired.degraded, *([reason] if reason else [])])
