"""Candidate scenarios around a weak spot: variations of the scenario that failed, crafted scenarios,
fresh scenarios of the spot's class, the exploration default. An action that cannot be done falls back
along variation → craft → class → exploration, so one spot's failure never stops the cycle."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from envirosense.generation.batches import simulation_batch
from envirosense.learning.config import BudgetConfig, TargetingConfig
from envirosense.learning.context import CycleContext
from envirosense.learning.degradation import StepSkippedError
from envirosense.learning.policies import Acquired
from envirosense.learning.sampling import SampleMaker, created_scenarios, repository_call, scenario_definition
from envirosense.learning.sources import random_definitions, runs_for, save_definitions
from envirosense.learning.suggestions import Suggestion, SuggestionAction
from envirosense.learning.targeting import explained_driver_params, neighbourhood_modifications
from envirosense.models.interface import ModelInterface
from envirosense.ops import metrics
from envirosense.ops.logging import get_logger
from envirosense.repository.crafting import Crafter, FailureSeekingCrafter
from envirosense.repository.crafting.batch import CountingBatch
from envirosense.repository.errors import RepositoryError
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.schemas import ClassLabel, ScenarioDefinition, WeakSpot
from envirosense.simulation.registry import classes_for_label
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario

FALLBACK_ORDER = (
    SuggestionAction.VARIATION,
    SuggestionAction.CRAFT,
    SuggestionAction.CLASS_KNOWN,
    SuggestionAction.EXPLORATION,
)

log = get_logger(__name__)


class TargetingError(Exception):
    """A targeted action cannot be done for this suggestion (no base scenario, no feature summary, …);
    the proposer falls back to the next action."""


class ChampionErrorScore:
    """Mean probability ``champion`` gives to wrong classes over each candidate's short simulated window;
    a crafting round's candidates are scored in one model call (``BatchScoreFunction``)."""

    def __init__(self, model_interface: ModelInterface, champion: str | None) -> None:
        self.model_interface = model_interface
        self.champion = champion

    def score_batch(self, scenarios: Sequence[BaseScenario[Any]], runs: Sequence[SimulationResult]) -> list[float]:
        samples: list[dict[str, Any]] = []
        for k, (scenario, run) in enumerate(zip(scenarios, runs, strict=True)):
            samples += run.to_unsaved_samples(f"probe-{k}", scenario.scenario_id, 0)
        predictions = self.model_interface.predict_proba(samples, self.champion)
        wrong = predictions.true_class_error()
        bounds = np.cumsum([0, *(len(run) for run in runs)])
        return [float(np.mean(wrong[start:stop])) for start, stop in pairwise(bounds)]


class Proposer:
    """Simulates one suggestion's candidate scenarios around its weak spot (see the module docstring).

    Parameters
    ----------
    maker:
        Shared simulation machinery.
    repository:
        Base scenarios of variations, crafting, class look-ups and exploration defaults.
    model_interface:
        Scores crafted candidates under the champion (failure-seeking crafting).
    targeting, budget:
        The run's targeting and budget settings.
    """

    def __init__(
        self,
        maker: SampleMaker,
        repository: ScenarioRepositoryInterface,
        model_interface: ModelInterface,
        targeting: TargetingConfig,
        budget: BudgetConfig,
    ) -> None:
        self.maker = maker
        self.repository = repository
        self.model_interface = model_interface
        self.targeting = targeting
        self.budget = budget

    def variation_plan(
        self, context: CycleContext, spot: WeakSpot, samples: int, draw_key: str
    ) -> list[dict[str, Any]]:
        """Parameter changes of one variation per run of ``samples`` around the spot's failing scenario
        (none when the scenario is gone)."""
        assert spot.original_scenario_id is not None
        try:
            with repository_call("get_by_id"):
                base = self.repository.get_scenario_by_id(spot.original_scenario_id)
        except RepositoryError as exc:
            log.warning("variation_base_missing", scenario_id=spot.original_scenario_id, error=str(exc))
            return []
        return neighbourhood_modifications(
            type(base).params_model,
            base.params.model_dump(mode="json"),
            explained_driver_params(type(base).sensor_drivers, spot),
            runs_for(samples, self.budget.samples_per_scenario_run),
            context.rng(draw_key),
            spread=self.targeting.neighbourhood_spread,
            driver_spread=self.targeting.driver_spread,
        )

    def apply(self, context: CycleContext, suggestion: Suggestion) -> Acquired:
        """Simulate the first action of the fallback chain that can be done, from ``suggestion.action``."""
        out = context.folder / suggestion.suggestion_id
        bound = log.bind(
            cycle=context.index,
            suggestion_id=suggestion.suggestion_id,
            weak_spot_id=suggestion.weak_spot_id,
            model_version=context.champion,
        )
        for action in FALLBACK_ORDER[FALLBACK_ORDER.index(suggestion.action) :]:
            metrics.TARGETING_ATTEMPTS.labels(action=action.value).inc()
            try:
                definitions = self._definitions(context, suggestion, action)
            except (RepositoryError, TargetingError, StepSkippedError) as exc:
                metrics.TARGETING_FAILURES.labels(action=action.value).inc()
                bound.warning("targeting_failed", action=action.value, error=str(exc))
                context.emit("targeting_failed", {"action": action.value, "error": str(exc)})
                continue
            if not definitions:
                continue
            ids = sorted({d.scenario_definition_id for d in definitions})
            bound.info("scenarios_targeted", action=action.value, scenario_ids=ids)
            acted = suggestion.model_copy(update={"action": action})
            made = self.maker.generate(
                context,
                definitions,
                out,
                action.value,
                context.lineage(suggestion.weak_spot_id),
                key=suggestion.stream,
            )
            return Acquired(made, created_scenarios(definitions, acted, self.budget.samples_per_scenario_run))
        return Acquired()

    def _definitions(
        self, context: CycleContext, suggestion: Suggestion, action: SuggestionAction
    ) -> list[ScenarioDefinition]:
        runs = runs_for(suggestion.samples, self.budget.samples_per_scenario_run)
        if action is SuggestionAction.VARIATION:
            return self._variations(context, suggestion)
        if action is SuggestionAction.CRAFT:
            return [scenario_definition(self._craft(context, suggestion))] * runs
        if action is SuggestionAction.CLASS_KNOWN:
            return self._class_runs(context, suggestion, runs)
        with repository_call("get_exploration_default"):
            default = self.repository.get_default_exploration_scenario("exploration-default", suggestion.sensor_id)
        return [scenario_definition(default)] * runs

    def _variations(self, context: CycleContext, suggestion: Suggestion) -> list[ScenarioDefinition]:
        if suggestion.base_scenario_id is None or not suggestion.param_modifications:
            raise TargetingError("no base scenario or no variation plan")
        sensor_context = {
            "sensor_id": suggestion.sensor_id,
            "weak_spot_ids": [suggestion.weak_spot_id] if suggestion.weak_spot_id else [],
            "cycle_id": context.cycle_id,
            "model_version": context.champion,
        }
        variations = []
        for i, change in enumerate(suggestion.param_modifications):
            with repository_call("create_variation"):
                variation = self.repository.create_scenario_variation(
                    suggestion.base_scenario_id, f"{suggestion.suggestion_id}-{i}", change, sensor_context
                )
            variations.append(scenario_definition(variation))
        return variations

    def _craft(self, context: CycleContext, suggestion: Suggestion) -> BaseScenario[Any]:
        spot = next((s for s in context.weak_spots if s.weak_spot_id == suggestion.weak_spot_id), None)
        summary = spot.sample_features_summary if spot is not None else None
        if summary is None:
            raise TargetingError("the weak spot has no feature summary to craft from")
        target = suggestion.target_class or self.class_label(suggestion.base_scenario_id)
        crafter: Crafter | None = None
        if self.targeting.failure_seeking:
            crafter = FailureSeekingCrafter(
                ChampionErrorScore(self.model_interface, context.champion),
                rng=context.rng(suggestion.stream, "craft"),
                batch=CountingBatch(simulation_batch(self.maker.generator), self.maker.counter.add),
            )

        def craft() -> BaseScenario[Any]:
            with repository_call("craft"):
                return self.repository.craft_scenario_from_features(
                    summary,
                    suggestion.base_scenario_id or f"{context.run_id}-c{context.index}",
                    target,
                    suggestion.sensor_id,
                    crafter=crafter,
                )

        return self.maker.guard.call("craft", craft, skippable=True)

    def _class_runs(self, context: CycleContext, suggestion: Suggestion, runs: int) -> list[ScenarioDefinition]:
        target = suggestion.target_class or self.class_label(suggestion.base_scenario_id)
        if target is None:
            raise TargetingError("no class to look up")
        # Fresh parameters for every run, drawn over the whole declared ranges of the classes that produce
        # the label: a weak class needs coverage, not the catalogue's few typical instances.
        definitions = random_definitions(
            context.rng(suggestion.stream, "class"),
            runs,
            f"{context.run_id}-c{context.index}-{suggestion.suggestion_id}-class",
            tags=("class_known",),
            classes=classes_for_label(ClassLabel(target)),
        )
        with repository_call("save_class_scenarios"):
            save_definitions(self.repository, definitions)
        return definitions

    def class_label(self, scenario_id: str | None) -> str | None:
        """The class label of a stored scenario (None without an id)."""
        if scenario_id is None:
            return None
        with repository_call("get_by_id"):
            return self.repository.get_scenario_by_id(scenario_id).class_label.value
