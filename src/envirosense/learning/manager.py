"""The ActiveLearningManager: weak spots → targeted scenarios → new data → a better model, cycle by cycle.

A cycle is: evaluate the champion on a fresh *probe* set → identify weak spots → prioritise them (each
routed to the strategy of its sensor family) → suggest scenarios for them within the budget → (review) →
generate → retrain on all data so far → register the ``candidate`` → evaluate it on the held-out
*evaluation* set → promote it to ``champion`` when it is at least as good → record. Cycle 0 trains the
initial model on a random set.

Weak spots come from the probe set, never from the evaluation set: choosing scenarios from the set that
scores the model would leak it into training. Every step is recorded in the ``RunStore`` before the next
begins and is idempotent (deterministic ids, seeds and folders; the generator and the registry skip what
exists), so ``run(resume=True)`` after a crash continues where the run stopped, losing and duplicating
nothing. The ``random`` and ``pool-margin`` baselines run through the same machinery.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from envirosense.generation import GenerationReport, Lineage, MLDataGenerator
from envirosense.generation.reader import iter_samples
from envirosense.learning.budget import split_budget
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.degradation import ServiceGuard, StepSkippedError
from envirosense.learning.history import CraftedScenario, CycleSummary, RunHistory
from envirosense.learning.progress import generation_progress
from envirosense.learning.sources import random_definitions, runs_for, save_definitions
from envirosense.learning.store import CycleStep, RunStatus, RunStore, SuggestionStatus
from envirosense.learning.strategies import SensorFamilyRouter
from envirosense.learning.suggestions import Suggestion, SuggestionAction
from envirosense.learning.targeting import explained_driver_params, neighbourhood_modifications
from envirosense.learning.trainer import CandidateTrainer
from envirosense.learning.weak_spots import identify_weak_spots
from envirosense.models.interface import ModelInterface
from envirosense.ops import metrics
from envirosense.ops.failpoints import failpoint
from envirosense.ops.logging import get_logger
from envirosense.ops.tracking import ExperimentTracker
from envirosense.repository.crafting.failure_seeking import FailureSeekingCrafter
from envirosense.repository.errors import RepositoryError
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.schemas import ClassLabel, ModelPerformanceData, ScenarioDefinition, WeakSpot
from envirosense.simulation.parameters import flatten_params
from envirosense.simulation.registry import classes_for_label
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario

EventCallback = Callable[[str, Mapping[str, Any]], None]

FALLBACK_ORDER = (
    SuggestionAction.VARIATION,
    SuggestionAction.CRAFT,
    SuggestionAction.CLASS_KNOWN,
    SuggestionAction.EXPLORATION,
)


def load_history(store: RunStore, run_id: str) -> RunHistory:
    """The completed cycles of ``run_id`` as recorded in ``store``."""
    run = store.run(run_id)
    cycles = [
        CycleSummary.model_validate(outputs["summary"])
        for _, step, outputs in store.cycles(run_id)
        if step is CycleStep.DONE
    ]
    return RunHistory(run_id=run_id, strategy=run["strategy"], status=run["status"], cycles=cycles)


def derived_rng(*parts: object) -> np.random.Generator:
    """A generator seeded from ``parts`` (run seed, cycle, purpose…): independent streams per purpose."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def derived_seed(*parts: object) -> int:
    return int(derived_rng(*parts).integers(0, 2**62))


class ActiveLearningManager:
    """Drives active-learning cycles for one run.

    Parameters
    ----------
    model_interface:
        Where performance feedback comes from (``LocalModelInterface`` or ``ApiBasedModelInterface``).
    repository:
        Scenario store used for variation, crafting, known scenarios and exploration defaults.
    generator:
        Turns scenario definitions into Avro datasets.
    trainer:
        Fits on all data so far and registers the ``candidate`` (in this run's registered model).
    store:
        Where the run's state (cycles, weak spots, suggestions) is recorded.
    config:
        Strategy, budget, thresholds and stopping rules.
    run_id:
        Id of the run (its state, folders, MLflow runs and registered model are keyed by it).
    workspace:
        Folder for the run's datasets and feedback files (``runs/<run_id>/``) and shared datasets.
    evaluation_dataset:
        The fixed held-out evaluation set (a dataset folder). Never used to choose scenarios.
    initial_dataset:
        The initial training set (a dataset folder), shared by runs that compare strategies.
    scoring_interface:
        Interface for the held-out evaluation, where only metrics matter (default: ``model_interface``);
        one that skips explanations and reliance makes cycles cheaper.
    tracker:
        Optional MLflow experiment tracker.
    on_event:
        Optional callback ``(event, fields)`` for progress displays.
    """

    def __init__(
        self,
        model_interface: ModelInterface,
        repository: ScenarioRepositoryInterface,
        generator: MLDataGenerator,
        trainer: CandidateTrainer,
        store: RunStore,
        config: ActiveLearningConfig,
        *,
        run_id: str,
        workspace: Path,
        evaluation_dataset: Path,
        initial_dataset: Path,
        scoring_interface: ModelInterface | None = None,
        tracker: ExperimentTracker | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self.model_interface = model_interface
        self.scoring_interface = scoring_interface or model_interface
        self.repository = repository
        self.generator = generator
        self.trainer = trainer
        self.store = store
        self.config = config
        self.run_id = run_id
        self.workspace = workspace
        self.run_dir = workspace / "runs" / run_id
        self.evaluation_dataset = evaluation_dataset
        self.initial_dataset = initial_dataset
        self.tracker = tracker
        self.on_event = on_event
        self.router = SensorFamilyRouter(config.strategies)
        self.guard = ServiceGuard(config.resilience)
        self.log = get_logger(__name__, run_id=run_id, strategy=config.strategy)
        self._cycle_index = 0
        self._champion: str | None = None
        self._degraded: list[str] = []

    # --- the public verbs ------------------------------------------------------------------------

    def identify_weak_spots(self, performance_data: ModelPerformanceData) -> list[WeakSpot]:
        """Weak spots of ``performance_data``, prioritised by the strategy of each spot's sensor family:
        ``priority`` is the strategy's utility, best first; spots a strategy drops are left out."""
        spots = identify_weak_spots(performance_data, self.config.weak_spots, cycle_id=self._cycle_id())
        routed = self.router(spots)
        return [
            spots[index].model_copy(update={"priority": float(utility)})
            for index, utility in zip(routed.prioritization.indices, routed.prioritization.utilities, strict=True)
        ]

    def suggest_scenario_modifications(
        self, weak_spots: Sequence[WeakSpot], budget: int | None = None
    ) -> list[Suggestion]:
        """Suggestions for the prioritised ``weak_spots`` within ``budget`` samples (default: the cycle's),
        with the configured share kept for exploration.

        The budget is split in whole scenario runs of ``samples_per_scenario_run`` samples, so the samples
        generated equal the budget (rounded down to whole runs), as for the baselines."""
        cfg = self.config.budget
        per_run = cfg.samples_per_scenario_run
        split = split_budget(
            [spot.priority for spot in weak_spots],
            (cfg.samples_per_cycle if budget is None else budget) // per_run,
            exploration_share=cfg.exploration_share,
            min_per_spot=runs_for(cfg.min_samples_per_spot, per_run),
            max_spots=cfg.max_spots_per_cycle,
        )
        suggestions: list[Suggestion] = []
        for spot, runs in zip(weak_spots, split.per_spot, strict=True):
            if runs > 0:
                suggestions.extend(self._suggest_for_spot(spot, runs))
        if split.exploration > 0:
            action = SuggestionAction.PROBE if cfg.explore_from_probe else SuggestionAction.RANDOM
            suggestions.append(self._random_suggestion(split.exploration * per_run, action, "exploration"))
        return suggestions

    def generate_targeted_samples(
        self, weak_spots: Sequence[WeakSpot], budget: int | None = None
    ) -> list[dict[str, Any]]:
        """Suggest for ``weak_spots`` and generate every suggestion now (no review); returns the datasets."""
        datasets: list[dict[str, Any]] = []
        for suggestion in self.suggest_scenario_modifications(weak_spots, budget):
            datasets.extend(self._apply(suggestion)[0])
        return datasets

    def run_cycle(self) -> CycleSummary | None:
        """Run (or resume) the next cycle; ``None`` when it waits for a manual review."""
        cycles = self.store.cycles(self.run_id)
        done = [index for index, step, _ in cycles if step is CycleStep.DONE]
        index = (max(done) + 1) if done else 0
        return self._run_cycle(index)

    def run(self, max_cycles: int | None = None) -> RunHistory:
        """Run cycles until a stopping rule fires (or ``max_cycles`` cycles after the initial model);
        resumes a run that was interrupted."""
        self.store.create_run(self.run_id, self.config.strategy, self.config.model_dump(mode="json"))
        self.store.set_run(self.run_id, status=RunStatus.RUNNING)
        limit = self.config.stopping.max_cycles if max_cycles is None else max_cycles
        with structlog.contextvars.bound_contextvars(run_id=self.run_id):
            try:
                while True:
                    history = self.history()
                    reason = self._stop_reason(history, limit)
                    if reason is not None:
                        self.store.set_run(self.run_id, status=RunStatus.COMPLETED)
                        metrics.RUNS_FINISHED.labels(status=RunStatus.COMPLETED.value).inc()
                        self.log.info("run_complete", reason=reason, cycles=len(history.cycles) - 1)
                        self._emit("run_complete", reason=reason)
                        return self.history()
                    if self.run_cycle() is None:
                        self.store.set_run(self.run_id, status=RunStatus.WAITING_FOR_REVIEW)
                        metrics.RUNS_FINISHED.labels(status=RunStatus.WAITING_FOR_REVIEW.value).inc()
                        self._emit("waiting_for_review", cycle=self._cycle_index)
                        return self.history()
            except Exception:
                metrics.RUNS_FINISHED.labels(status=RunStatus.FAILED.value).inc()
                self.log.exception("run_failed")
                self.store.set_run(self.run_id, status=RunStatus.FAILED)
                raise

    def history(self) -> RunHistory:
        """The run's completed cycles as recorded."""
        return load_history(self.store, self.run_id)

    # --- stopping ---------------------------------------------------------------------------------

    def _stop_reason(self, history: RunHistory, limit: int) -> str | None:
        rules = self.config.stopping
        if not history.cycles:
            return None
        last = history.cycles[-1]
        _, curve = history.learning_curve()
        if last.cycle_index >= limit:
            return "max_cycles"
        if rules.target_macro_f1 is not None and curve[-1] >= rules.target_macro_f1:
            return "target_macro_f1"
        if rules.total_sample_budget is not None and last.samples_total >= rules.total_sample_budget:
            return "total_sample_budget"
        if rules.plateau_cycles is not None and len(curve) > rules.plateau_cycles:
            before = curve[-rules.plateau_cycles - 1]
            if curve[-1] - before < rules.plateau_min_gain:
                return "plateau"
        if (
            rules.min_mean_uncertainty is not None
            and last.mean_uncertainty is not None
            and last.mean_uncertainty < rules.min_mean_uncertainty
        ):
            return "low_uncertainty"
        return None

    # --- one cycle ----------------------------------------------------------------------------------

    def _cycle_id(self) -> str:
        return f"{self.run_id}:cycle-{self._cycle_index}"

    def _emit(self, event: str, **fields: Any) -> None:
        if self.on_event is not None:
            self.on_event(event, fields)

    def _run_cycle(self, index: int) -> CycleSummary | None:
        with structlog.contextvars.bound_contextvars(cycle=index):
            return self._run_cycle_steps(index)

    def _run_cycle_steps(self, index: int) -> CycleSummary | None:
        self._cycle_index = index
        started = time.perf_counter()
        metrics.CYCLE_INDEX.set(index)
        state = self.store.cycle(self.run_id, index)
        step, outputs = state if state is not None else (CycleStep.STARTED, {})
        if state is None:
            self.store.record_step(self.run_id, index, CycleStep.STARTED, {})
        metrics.CYCLE_STEP.set(step.order)
        run = self.store.run(self.run_id)
        self._champion = run["champion_version"]
        log = self.log.bind(cycle=index, model_version=self._champion)
        cycle_dir = self.run_dir / f"cycle-{index}"

        def reached(target: CycleStep) -> bool:
            return step.order >= target.order

        def record(target: CycleStep, **values: Any) -> None:
            nonlocal step
            failpoint(f"cycle-{index}:before-{target.value}")
            outputs.update(values)
            self.store.record_step(self.run_id, index, target, values)
            step = target
            metrics.CYCLE_STEP.set(target.order)
            log.info("cycle_step", step=target.value)
            self._emit("cycle_step", cycle=index, step=target.value)

        if index == 0:
            if not reached(CycleStep.GENERATED):
                record(CycleStep.GENERATED, datasets=[{"path": str(self.initial_dataset), "samples": None}])
        else:
            if not reached(CycleStep.EVALUATED):
                record(CycleStep.EVALUATED, **self._evaluate_probe(cycle_dir))
            if not reached(CycleStep.IDENTIFIED):
                record(CycleStep.IDENTIFIED, **self._identify(outputs))
            if not reached(CycleStep.SUGGESTED):
                record(CycleStep.SUGGESTED, **self._suggest(outputs))
            if not reached(CycleStep.REVIEWED):
                pending = self.store.suggestions(self.run_id, index, SuggestionStatus.PENDING)
                if pending:
                    log.info("waiting_for_review", pending=len(pending))
                    return None
                record(CycleStep.REVIEWED)
            if not reached(CycleStep.GENERATED):
                record(CycleStep.GENERATED, **self._generate(cycle_dir))
        if not reached(CycleStep.TRAINED):
            record(CycleStep.TRAINED, **self._train(index))
        if not reached(CycleStep.CANDIDATE_EVALUATED):
            record(CycleStep.CANDIDATE_EVALUATED, **self._evaluate_candidate(outputs, cycle_dir))
        if not reached(CycleStep.DONE):
            summary = self._finish(index, outputs)
            record(CycleStep.DONE, summary=summary.model_dump(mode="json"))
            metrics.CYCLE_SECONDS.observe(time.perf_counter() - started)
            metrics.CYCLE_MACRO_F1.set(summary.macro_f1)
        return CycleSummary.model_validate(outputs["summary"])

    # --- steps --------------------------------------------------------------------------------------

    def _evaluate_probe(self, cycle_dir: Path) -> dict[str, Any]:
        """Generate this cycle's probe set and evaluate the champion on it (alm only)."""
        if self.config.strategy != "alm":
            return {}
        cfg = self.config.budget
        definitions = random_definitions(
            derived_rng(self.config.seed, self._cycle_index, "probe"),
            runs_for(cfg.probe_samples, cfg.samples_per_scenario_run),
            f"{self.run_id}-c{self._cycle_index}-probe",
            tags=("probe",),
        )
        with self._repository_call("save"):
            save_definitions(self.repository, definitions)

        def probe() -> tuple[str, ModelPerformanceData]:
            made = self._generate_definitions(
                definitions, cycle_dir / "probe", "probe", Lineage(cycle_id=self._cycle_id()), guarded=False
            )
            with metrics.observe(metrics.MODEL_FEEDBACK_SECONDS, purpose="probe"):
                return str(made[0]["path"]), self.model_interface.get_model_performance_feedback(
                    str(made[0]["path"]), self._champion
                )

        try:
            dataset, feedback = self.guard.call("probe", probe, skippable=True)
        except StepSkippedError as skipped:
            return {"degraded_probe": [skipped.reason]}
        path = cycle_dir / "probe_feedback.json"
        _write_json(path, feedback.model_dump(mode="json"))
        return {"probe_dataset": dataset, "probe_feedback": str(path)}

    def _identify(self, outputs: Mapping[str, Any]) -> dict[str, Any]:
        if self.config.strategy != "alm" or "probe_feedback" not in outputs:
            return {"weak_spot_ids": []}
        feedback = ModelPerformanceData.model_validate_json(Path(outputs["probe_feedback"]).read_text("utf-8"))
        spots = identify_weak_spots(feedback, self.config.weak_spots, cycle_id=self._cycle_id())
        routed = self.router(spots)
        prioritised = []
        for index, utility in zip(routed.prioritization.indices, routed.prioritization.utilities, strict=True):
            spot = spots[index].model_copy(update={"priority": float(utility)})
            prioritised.append(
                {"spot": spot.model_dump(mode="json"), "strategy": routed.strategy_of[int(index)], "utility": utility}
            )
        self.store.save_weak_spots(self.run_id, self._cycle_index, prioritised)
        for row in prioritised:
            metrics.WEAK_SPOTS.labels(type=row["spot"]["weak_spot_type"], strategy=row["strategy"]).inc()
        self.log.info("weak_spots_identified", found=len(spots), kept=len(prioritised), cycle=self._cycle_index)
        mean_uncertainty = (
            float(np.mean([s.uncertainty_score for s in feedback.uncertain_samples]))
            if feedback.uncertain_samples
            else None
        )
        return {"weak_spot_ids": [p["spot"]["weak_spot_id"] for p in prioritised], "mean_uncertainty": mean_uncertainty}

    def _suggest(self, outputs: Mapping[str, Any]) -> dict[str, Any]:
        budget = self.config.budget
        whole_runs = budget.samples_per_cycle // budget.samples_per_scenario_run * budget.samples_per_scenario_run
        if self.config.strategy == "random":
            suggestions = [self._random_suggestion(whole_runs, SuggestionAction.RANDOM, "random")]
        elif self.config.strategy == "pool-margin":
            suggestions = [self._random_suggestion(whole_runs, SuggestionAction.POOL, "pool")]
        else:
            rows = self.store.weak_spots(self.run_id, self._cycle_index)
            spots = [WeakSpot.model_validate(row["spot"]) for row in rows]
            spots.sort(key=lambda spot: (-spot.priority, spot.weak_spot_id))
            suggestions = self.suggest_scenario_modifications(spots)
        status = SuggestionStatus.APPROVED if self.config.review == "auto" else SuggestionStatus.PENDING
        self.store.save_suggestions(
            self.run_id,
            self._cycle_index,
            [
                {
                    "suggestion_id": s.suggestion_id,
                    "weak_spot_id": s.weak_spot_id,
                    "action": s.action.value,
                    "samples": s.samples,
                    "payload": s.model_dump(mode="json"),
                    "status": status.value,
                }
                for s in suggestions
            ],
        )
        return {"suggestion_ids": [s.suggestion_id for s in suggestions]}

    def _generate(self, cycle_dir: Path) -> dict[str, Any]:
        datasets: list[dict[str, Any]] = []
        scenarios: list[dict[str, Any]] = []
        self._degraded = []
        budget = 0
        for position, row in enumerate(self.store.suggestions(self.run_id, self._cycle_index)):
            if row["status"] == SuggestionStatus.REJECTED.value:
                continue
            suggestion = Suggestion.model_validate(row["payload"])
            made, created = self._apply(suggestion, cycle_dir)
            failpoint(f"cycle-{self._cycle_index}:applied-suggestion-{position}")
            datasets.extend(made)
            scenarios.extend(created)
            budget += suggestion.samples
            self.store.set_suggestion_status(suggestion.suggestion_id, SuggestionStatus.APPLIED)
        if self._selecting_over_cycle():
            probe = self._probe_dataset()
            pool = datasets + ([{"path": probe}] if probe else [])
            datasets = self._select_least_separated(pool, budget)
        return {"datasets": datasets, "scenarios": scenarios, "degraded_generate": self._degraded}

    def _train(self, index: int) -> dict[str, Any]:
        sources = self._training_sources(index)
        version = self.trainer.train(
            [source for source, _ in sources],
            key=f"{self.run_id}/cycle-{index}",
            seed=derived_seed(self.config.seed, index, "train") % 2**32,
        )
        return {"candidate_version": str(version), "samples_total": sum(count for _, count in sources)}

    def _evaluate_candidate(self, outputs: Mapping[str, Any], cycle_dir: Path) -> dict[str, Any]:
        """Deploy the candidate (a model server loads it; nothing for a local model) and score it on the
        held-out set. Both wait while the service is down: a cycle cannot be finished without them."""
        candidate = str(outputs["candidate_version"])
        self.guard.call("deploy", lambda: self.model_interface.deploy(candidate))

        def score() -> ModelPerformanceData:
            with metrics.observe(metrics.MODEL_FEEDBACK_SECONDS, purpose="candidate"):
                return self.scoring_interface.get_model_performance_feedback(str(self.evaluation_dataset), candidate)

        feedback = self.guard.call("candidate_evaluation", score)
        path = cycle_dir / "evaluation_feedback.json"
        _write_json(path, feedback.model_dump(mode="json"))
        return {"evaluation_feedback": str(path)}

    def _finish(self, index: int, outputs: Mapping[str, Any]) -> CycleSummary:
        feedback = ModelPerformanceData.model_validate_json(Path(outputs["evaluation_feedback"]).read_text("utf-8"))
        candidate = str(outputs["candidate_version"])
        previous = self.history().cycles
        best = max((c.macro_f1 for c in previous if c.promoted), default=-math.inf)
        promoted = feedback.overall_metrics.macro_f1_score >= best
        if promoted:
            self.trainer.promote(int(candidate))
            self.store.set_run(self.run_id, champion_version=candidate)
        spots = [WeakSpot.model_validate(row["spot"]) for row in self.store.weak_spots(self.run_id, index)]
        summary = CycleSummary(
            cycle_index=index,
            samples_total=int(outputs["samples_total"]),
            macro_f1=feedback.overall_metrics.macro_f1_score,
            accuracy=feedback.overall_metrics.accuracy,
            per_class_f1={label: m.f1_score for label, m in feedback.per_class_metrics.items()},
            mean_uncertainty=outputs.get("mean_uncertainty"),
            model_version=candidate,
            promoted=promoted,
            confusion_matrix=feedback.confusion_matrix,
            weak_spots=spots,
            scenarios=[CraftedScenario.model_validate(s) for s in outputs.get("scenarios", [])],
            degraded=[*outputs.get("degraded_probe", []), *outputs.get("degraded_generate", [])],
        )
        self._track(summary)
        self.log.info(
            "cycle_done", cycle=index, macro_f1=summary.macro_f1, samples=summary.samples_total, promoted=promoted
        )
        self._emit("cycle_done", cycle=index, macro_f1=summary.macro_f1, samples=summary.samples_total)
        return summary

    def _track(self, summary: CycleSummary) -> None:
        if self.tracker is None:
            return
        parent = self.tracker.parent_run(self.run_id, flatten_params(self.config.model_dump(mode="json")))
        run = self.tracker.cycle_run(self.run_id, summary.cycle_index, {"model_version": summary.model_version})
        logged: dict[str, float] = {
            "macro_f1": summary.macro_f1,
            "accuracy": summary.accuracy,
            "samples_total": float(summary.samples_total),
            "weak_spots": float(len(summary.weak_spots)),
            **{f"f1.{label}": value for label, value in summary.per_class_f1.items()},
        }
        for spot in summary.weak_spots:
            for key in (f"weak_spots.type.{spot.weak_spot_type.value}", f"weak_spots.sensor.{spot.sensor_id}"):
                logged[key] = logged.get(key, 0.0) + 1.0
        self.tracker.log_metrics(run, logged, step=summary.cycle_index)
        self.tracker.log_metrics(
            parent,
            {"macro_f1": summary.macro_f1, "samples_total": float(summary.samples_total)},
            step=summary.cycle_index,
        )
        artifact = self.run_dir / f"cycle-{summary.cycle_index}" / "cycle_summary.json"
        _write_json(artifact, summary.model_dump(mode="json"))
        self.tracker.log_artifact(run, artifact)
        self.tracker.finish(run)

    # --- suggestions --------------------------------------------------------------------------------

    def _random_suggestion(self, samples: int, action: SuggestionAction, why: str) -> Suggestion:
        return Suggestion(
            suggestion_id=Suggestion.make_id(self.run_id, self._cycle_index, None, action),
            action=action,
            samples=samples,
            rationale=why,
        )

    def _suggest_for_spot(self, spot: WeakSpot, runs: int) -> list[Suggestion]:
        cfg = self.config.targeting
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
            count = action_runs * self.config.budget.samples_per_scenario_run
            suggestion_id = Suggestion.make_id(self.run_id, self._cycle_index, spot.weak_spot_id, action)
            suggestions.append(
                Suggestion(
                    suggestion_id=suggestion_id,
                    weak_spot_id=spot.weak_spot_id,
                    action=action,
                    samples=count,
                    base_scenario_id=spot.original_scenario_id,
                    target_class=spot.target_class,
                    sensor_id=spot.sensor_id,
                    param_modifications=self._variation_plan(spot, count, suggestion_id)
                    if action is SuggestionAction.VARIATION
                    else [],
                    rationale=f"{spot.weak_spot_type.value} on {spot.sensor_id or 'class level'}, "
                    f"priority {spot.priority:.2f}",
                )
            )
        return suggestions

    def _variation_plan(self, spot: WeakSpot, samples: int, suggestion_id: str) -> list[dict[str, Any]]:
        assert spot.original_scenario_id is not None
        try:
            with self._repository_call("get_by_id"):
                base = self.repository.get_scenario_by_id(spot.original_scenario_id)
        except RepositoryError as exc:
            self.log.warning("variation_base_missing", scenario_id=spot.original_scenario_id, error=str(exc))
            return []
        cfg = self.config.targeting
        return neighbourhood_modifications(
            type(base).params_model,
            base.params.model_dump(mode="json"),
            explained_driver_params(type(base).sensor_drivers, spot),
            self._simulated_runs(samples),
            derived_rng(self.config.seed, suggestion_id),
            spread=cfg.neighbourhood_spread,
            driver_spread=cfg.driver_spread,
        )

    # --- applying suggestions -----------------------------------------------------------------------

    def _apply(
        self, suggestion: Suggestion, cycle_dir: Path | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Materialise ``suggestion``'s scenarios and generate its samples; returns (datasets, scenarios).

        A targeted action that fails falls back along variation → craft → class → exploration, so one
        spot's failure never stops the cycle.
        """
        out = (cycle_dir or self.run_dir / f"cycle-{self._cycle_index}") / suggestion.suggestion_id
        log = self.log.bind(
            cycle=self._cycle_index,
            suggestion_id=suggestion.suggestion_id,
            weak_spot_id=suggestion.weak_spot_id,
            model_version=self._champion,
        )
        lineage = Lineage(
            weak_spot_ids=(suggestion.weak_spot_id,) if suggestion.weak_spot_id else (),
            cycle_id=self._cycle_id(),
            triggering_model_version=self._champion,
        )
        if suggestion.action is SuggestionAction.RANDOM:
            definitions = self._random_run_definitions(suggestion)
            return self._generate_definitions(definitions, out, "random", lineage), _created(
                definitions, suggestion, self.config.budget.samples_per_scenario_run
            )
        if suggestion.action is SuggestionAction.POOL:
            return self._pool_margin(suggestion, out, lineage)
        if suggestion.action is SuggestionAction.PROBE:
            return self._from_probe(suggestion, out)
        start = FALLBACK_ORDER.index(suggestion.action)
        for action in FALLBACK_ORDER[start:]:
            metrics.TARGETING_ATTEMPTS.labels(action=action.value).inc()
            try:
                definitions = self._targeted_definitions(suggestion, action)
            except (RepositoryError, ValueError, LookupError, StepSkippedError) as exc:
                metrics.TARGETING_FAILURES.labels(action=action.value).inc()
                log.warning("targeting_failed", action=action.value, error=str(exc))
                self._emit("targeting_failed", action=action.value, error=str(exc))
                continue
            if definitions:
                log.info(
                    "scenarios_targeted",
                    action=action.value,
                    scenario_ids=sorted({d.scenario_definition_id for d in definitions}),
                )
                acted = suggestion.model_copy(update={"action": action})
                made = self._generate_definitions(definitions, out, action.value, lineage, samples=suggestion.samples)
                if self._selecting() and not self._selecting_over_cycle():
                    made = self._select_least_separated(made, suggestion.samples)
                return made, _created(definitions, acted, self.config.budget.samples_per_scenario_run)
        return [], []

    def _targeted_definitions(self, suggestion: Suggestion, action: SuggestionAction) -> list[ScenarioDefinition]:
        context = {
            "sensor_id": suggestion.sensor_id,
            "weak_spot_ids": [suggestion.weak_spot_id] if suggestion.weak_spot_id else [],
            "cycle_id": self._cycle_id(),
            "model_version": self._champion,
        }
        runs = self._simulated_runs(suggestion.samples)
        if action is SuggestionAction.VARIATION:
            if suggestion.base_scenario_id is None or not suggestion.param_modifications:
                raise ValueError("no base scenario or no variation plan")
            variations = []
            for i, change in enumerate(suggestion.param_modifications):
                with self._repository_call("create_variation"):
                    variation = self.repository.create_scenario_variation(
                        suggestion.base_scenario_id, f"{suggestion.suggestion_id}-{i}", change, context
                    )
                variations.append(_definition(variation))
            return variations
        if action is SuggestionAction.CRAFT:
            summary = self._features_summary(suggestion)
            target = suggestion.target_class or self._scenario_class_label(suggestion.base_scenario_id)

            def craft() -> BaseScenario[Any]:
                with self._crafter(suggestion), self._repository_call("craft"):
                    return self.repository.craft_scenario_from_features(
                        summary,
                        suggestion.base_scenario_id or f"{self.run_id}-c{self._cycle_index}",
                        target,
                        suggestion.sensor_id,
                    )

            crafted = self.guard.call("craft", craft, skippable=True)
            return [_definition(crafted)] * runs
        if action is SuggestionAction.CLASS_KNOWN:
            target = suggestion.target_class or self._scenario_class_label(suggestion.base_scenario_id)
            if target is None:
                raise ValueError("no class to look up")
            # Fresh parameters for every run, drawn over the whole declared ranges of the classes that
            # produce the label: a weak class needs coverage, not the catalogue's few typical instances.
            definitions = random_definitions(
                derived_rng(self.config.seed, suggestion.suggestion_id, "class"),
                runs,
                f"{self.run_id}-c{self._cycle_index}-{suggestion.suggestion_id}-class",
                tags=("class_known",),
                classes=classes_for_label(ClassLabel(target)),
            )
            with self._repository_call("save_class_scenarios"):
                save_definitions(self.repository, definitions)
            return definitions
        with self._repository_call("get_exploration_default"):
            default = self.repository.get_default_exploration_scenario("exploration-default", suggestion.sensor_id)
        return [_definition(default)] * runs

    def _repository_call(self, operation: str) -> AbstractContextManager[None]:
        """Times a scenario-repository call into ``envirosense_repository_seconds{operation}``."""
        return metrics.observe(metrics.REPOSITORY_SECONDS, operation=operation)

    def _features_summary(self, suggestion: Suggestion) -> Any:
        rows = {row["weak_spot_id"]: row for row in self.store.weak_spots(self.run_id, self._cycle_index)}
        row = rows.get(suggestion.weak_spot_id or "")
        summary = WeakSpot.model_validate(row["spot"]).sample_features_summary if row else None
        if summary is None:
            raise ValueError("the weak spot has no feature summary to craft from")
        return summary

    def _scenario_class_label(self, scenario_id: str | None) -> str | None:
        if scenario_id is None:
            return None
        with self._repository_call("get_by_id"):
            return self.repository.get_scenario_by_id(scenario_id).class_label.value

    @contextmanager
    def _crafter(self, suggestion: Suggestion) -> Iterator[None]:
        """Use the failure-seeking search, scored by the champion, for this craft."""
        repository: Any = self.repository
        if not (self.config.targeting.failure_seeking and hasattr(repository, "crafter")):
            yield
            return
        previous = repository.crafter
        repository.crafter = FailureSeekingCrafter(
            self._model_error_score(), rng=derived_rng(self.config.seed, suggestion.suggestion_id, "craft")
        )
        try:
            yield
        finally:
            repository.crafter = previous

    def _model_error_score(self) -> Callable[[BaseScenario[Any], SimulationResult], float]:
        """Mean probability the champion gives to wrong classes over a short simulated window."""

        def score(scenario: BaseScenario[Any], run: SimulationResult) -> float:
            samples = run.to_sample_dicts(
                scenario_id=scenario.scenario_id,
                sample_ids=[f"probe-{i}" for i in range(len(run))],
                metadata=[
                    {
                        "scenario_definition_id": scenario.scenario_id,
                        "scenario_definition_version": 1,
                        "seed": 0,
                        "sample_index": i,
                    }
                    for i in range(len(run))
                ],
                generation_timestamp_utc=_EPOCH,
            )
            predictions = self.model_interface.predict_proba(samples, self._champion)
            column = {label: j for j, label in enumerate(predictions.class_labels)}
            right = [
                predictions.proba[i, column[label]] if label in column else 0.0
                for i, label in enumerate(predictions.labels)
            ]
            return float(np.mean(1.0 - np.asarray(right)))

        return score

    def _random_run_definitions(self, suggestion: Suggestion) -> list[ScenarioDefinition]:
        definitions = random_definitions(
            derived_rng(self.config.seed, self._cycle_index, suggestion.suggestion_id),
            runs_for(suggestion.samples, self.config.budget.samples_per_scenario_run),
            f"{self.run_id}-c{self._cycle_index}-{suggestion.action.value}",
            tags=(suggestion.action.value,),
        )
        with self._repository_call("save"):
            save_definitions(self.repository, definitions)
        return definitions

    def _pool_margin(
        self, suggestion: Suggestion, out: Path, lineage: Lineage
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Pool-based margin sampling: simulate ``pool_factor`` × the budget at random and keep the
        samples the champion separates least (smallest top-two probability margin)."""
        pool_suggestion = suggestion.model_copy(update={"samples": suggestion.samples * self.config.pool_factor})
        definitions = self._random_run_definitions(pool_suggestion)
        pool = self._generate_definitions(definitions, out, "pool", lineage)
        return self._select_least_separated(pool, suggestion.samples), _created(
            definitions, suggestion, self.config.budget.samples_per_scenario_run
        )

    def _from_probe(self, suggestion: Suggestion, out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Exploration from this cycle's probe: its samples the champion separates least (the probe is a
        fresh uniform draw, already simulated). Without a probe (skipped), new random scenarios instead."""
        probe = self._probe_dataset()
        if probe is None:
            random = suggestion.model_copy(update={"action": SuggestionAction.RANDOM})
            return self._apply(random, out.parent)
        if self._selecting_over_cycle():
            return [], []  # the probe joins the cycle's selection pool
        return self._select_least_separated([{"path": probe}], suggestion.samples), []

    def _probe_dataset(self) -> str | None:
        """This cycle's probe dataset folder, or None when the cycle has none (baselines, skipped probe)."""
        state = self.store.cycle(self.run_id, self._cycle_index)
        probe = state[1].get("probe_dataset") if state is not None else None
        return str(probe) if probe is not None else None

    def _selecting(self) -> bool:
        return self.config.targeting.select_factor > 1

    def _selecting_over_cycle(self) -> bool:
        return self._selecting() and self.config.strategy == "alm" and self.config.targeting.select_over == "cycle"

    def _simulated_runs(self, samples: int) -> int:
        """Scenario runs simulated for a targeted suggestion of ``samples`` samples."""
        runs = runs_for(samples, self.config.budget.samples_per_scenario_run)
        return runs * self.config.targeting.select_factor if self._selecting() else runs

    def _select_least_separated(self, entries: list[dict[str, Any]], keep: int) -> list[dict[str, Any]]:
        """Keep the ``keep`` samples of ``entries`` the champion separates least (smallest top-two
        probability margin); each entry then lists the ids it keeps (ties broken by sample id). Without the
        model (server down, ``on_service_down = "skip"``) a seeded random subset is kept instead."""

        def margins() -> list[tuple[float, str, int]]:
            ranked: list[tuple[float, str, int]] = []
            for position, entry in enumerate(entries):
                predictions = self.model_interface.predict_proba(Path(entry["path"]), self._champion)
                ranked.extend(
                    (m, sample_id, position)
                    for m, sample_id in zip(predictions.margins().tolist(), predictions.sample_ids, strict=True)
                )
            return ranked

        try:
            ranked = sorted(self.guard.call("selection", margins, skippable=True))
        except StepSkippedError as skipped:
            self._degraded.append(skipped.reason)
            ids = [
                (0.0, str(sample["sample_id"]), position)
                for position, entry in enumerate(entries)
                for sample in iter_samples(Path(entry["path"]), validate=False)
            ]
            rng = derived_rng(self.config.seed, self._cycle_index, "unselected", entries[0]["path"] if entries else "")
            ranked = [ids[i] for i in rng.permutation(len(ids))]
        kept: dict[int, list[str]] = {}
        for _, sample_id, position in ranked[:keep]:
            kept.setdefault(position, []).append(sample_id)
        return [
            {"path": entries[position]["path"], "samples": len(ids), "sample_ids": sorted(ids)}
            for position, ids in sorted(kept.items())
        ]

    # --- data -----------------------------------------------------------------------------------------

    def _generate_definitions(
        self,
        definitions: Sequence[ScenarioDefinition],
        out: Path,
        purpose: str,
        lineage: Lineage,
        samples: int | None = None,
        *,
        guarded: bool = True,
    ) -> list[dict[str, Any]]:
        """Generate one run of ``samples_per_scenario_run`` samples per definition, spread evenly over each
        scenario's duration, into the dataset folder ``out``. A definition given n times gets n runs
        (other seeds). While the generator's executor is down this waits (``guarded``; the caller guards
        otherwise)."""
        runs: dict[str, tuple[ScenarioDefinition, int]] = {}
        for definition in definitions:
            known, count = runs.get(definition.scenario_definition_id, (definition, 0))
            runs[definition.scenario_definition_id] = (known, count + 1)
        by_count: dict[int, list[ScenarioDefinition]] = {}
        for definition, count in runs.values():
            by_count.setdefault(count, []).append(definition)
        made: list[dict[str, Any]] = []
        for count, group in sorted(by_count.items()):
            folder = out if len(by_count) == 1 else out / f"runs-{count}"

            def generate(
                group: list[ScenarioDefinition] = group, folder: Path = folder, count: int = count
            ) -> GenerationReport:
                with metrics.observe(metrics.GENERATION_SECONDS, purpose=purpose):
                    return self.generator.generate(
                        group,
                        folder,
                        seed=derived_seed(self.config.seed, self._cycle_index, purpose, folder.name),
                        samples_per_run=self.config.budget.samples_per_scenario_run,
                        spread_over_duration=True,
                        runs_per_scenario=count,
                        lineage=lineage,
                        progress=generation_progress(
                            self.on_event, purpose, self.config.budget.samples_per_scenario_run
                        ),
                    )

            report = self.guard.call(f"generate-{purpose}", generate) if guarded else generate()
            metrics.GENERATED_SAMPLES.labels(purpose=purpose).inc(report.total_samples)
            made.append({"path": str(folder), "samples": report.total_samples})
        if samples is not None:
            total = sum(int(entry["samples"]) for entry in made)
            self.log.info("generated", purpose=purpose, planned=samples, made=total)
        return made

    def _training_sources(self, index: int) -> list[tuple[Any, int]]:
        """Every training dataset of cycles 0…``index`` as (dataset, sample count); pool selections are
        loaded as lists of the selected samples."""
        sources: list[tuple[Any, int]] = []
        for cycle_index, _, outputs in self.store.cycles(self.run_id):
            if cycle_index > index:
                continue
            for entry in outputs.get("datasets", []):
                path = Path(entry["path"])
                if "sample_ids" in entry:
                    wanted = set(entry["sample_ids"])
                    selected = [s for s in iter_samples(path) if s["sample_id"] in wanted]
                    sources.append((selected, len(selected)))
                else:
                    count = entry.get("samples")
                    sources.append((path, int(count) if count is not None else _count(path)))
        return sources


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""Timestamp of throw-away sample dicts scored during crafting (never written)."""


def _definition(scenario: BaseScenario[Any]) -> ScenarioDefinition:
    if scenario.definition is None:
        raise ValueError(f"{scenario!r} has no stored definition")
    return scenario.definition


def _created(
    definitions: Sequence[ScenarioDefinition], suggestion: Suggestion, samples_per_run: int
) -> list[dict[str, Any]]:
    per_run = {d.scenario_definition_id: d for d in definitions}
    counts: dict[str, int] = {}
    for definition in definitions:
        counts[definition.scenario_definition_id] = counts.get(definition.scenario_definition_id, 0) + 1
    return [
        CraftedScenario(
            scenario_definition_id=definition_id,
            scenario_class_name=definition.scenario_class_name,
            action=suggestion.action.value,
            weak_spot_id=suggestion.weak_spot_id,
            parent_scenario_id=definition.parent_scenario_id,
            params=definition.specific_params(),
            samples=counts[definition_id] * samples_per_run,
        ).model_dump(mode="json")
        for definition_id, definition in per_run.items()
    ]


def _count(path: Path) -> int:
    return sum(1 for _ in iter_samples(path, validate=False))


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)
