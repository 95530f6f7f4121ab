"""The ActiveLearningManager: weak spots → targeted scenarios → new data → a better model, cycle by cycle.

A cycle is: evaluate the champion on a fresh *probe* set → identify weak spots → prioritise them (each
routed to the strategy of its sensor family) → the acquisition policy suggests scenarios within the
budget → (review) → the policy generates and selects → retrain on all data so far → register the
``candidate`` → evaluate it on the held-out *evaluation* set → promote it to ``champion`` when it is at
least as good → record. Cycle 0 trains the initial model on a random set.

Weak spots come from the probe set, never from the evaluation set: choosing scenarios from the set that
scores the model would leak it into training. The steps run in ``CycleRunner``, each recorded in the
``RunStore`` before the next begins, so ``run()`` on a run that was interrupted continues where it
stopped, losing and duplicating nothing. Which samples a cycle acquires is the ``AcquisitionPolicy``'s
decision (``learning.policies``): the targeted ``alm`` and the ``random`` and ``pool-margin`` baselines
run through the same machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import structlog

from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.context import CycleContext, EventCallback
from envirosense.learning.degradation import ServiceGuard
from envirosense.learning.history import CycleSummary, RunHistory
from envirosense.learning.policies import Acquired, AcquisitionPolicy
from envirosense.learning.policy_registry import PolicyParts, build_policy
from envirosense.learning.runner import CycleRunner, Trainer, load_history
from envirosense.learning.sampling import SampleGenerator, SampleMaker
from envirosense.learning.state import CycleStep, DatasetSlice, RunStatus
from envirosense.learning.stopping import stop_reason
from envirosense.learning.store import StateStore, UnknownRunError
from envirosense.learning.strategies import SensorFamilyRouter, prioritise
from envirosense.learning.suggestions import Suggestion
from envirosense.learning.weak_spots import identify_weak_spots
from envirosense.models.interface import ModelInterface
from envirosense.ops import metrics
from envirosense.ops.logging import get_logger
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.schemas import ModelPerformanceData, WeakSpot

__all__ = ["ActiveLearningManager", "EventCallback", "load_history"]


class ActiveLearningManager:
    """Drives active-learning cycles for one run.

    Parameters
    ----------
    model_interface:
        Where performance feedback comes from (``LocalModelInterface`` or ``ServedModelInterface``).
    repository:
        Scenario store used for variation, crafting, known scenarios and exploration defaults.
    generator:
        Turns scenario definitions into Avro datasets (``MLDataGenerator``).
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
    listeners:
        Callbacks ``(event, fields)`` for progress displays and trackers (``learning.tracking``).
    policy:
        The acquisition policy (default: the one ``config.strategy`` names).
    """

    def __init__(
        self,
        model_interface: ModelInterface,
        repository: ScenarioRepositoryInterface,
        generator: SampleGenerator,
        trainer: Trainer,
        store: StateStore,
        config: ActiveLearningConfig,
        *,
        run_id: str,
        workspace: Path,
        evaluation_dataset: Path,
        initial_dataset: Path,
        scoring_interface: ModelInterface | None = None,
        listeners: Sequence[EventCallback] = (),
        policy: AcquisitionPolicy | None = None,
    ) -> None:
        self.model_interface = model_interface
        self.scoring_interface = scoring_interface or model_interface
        self.repository = repository
        self.trainer = trainer
        self.store = store
        self.config = config
        self.run_id = run_id
        self.run_dir = workspace / "runs" / run_id
        self.evaluation_dataset = evaluation_dataset
        self.initial_dataset = initial_dataset
        self.guard = ServiceGuard(config.resilience)
        self.maker = SampleMaker(
            generator, repository, model_interface, self.guard, config.budget.samples_per_scenario_run
        )
        self.policy = policy or build_policy(config, PolicyParts(self.maker, repository, model_interface))
        self.runner = CycleRunner(
            store,
            self.policy,
            self.maker,
            trainer,
            model_interface,
            self.scoring_interface,
            self.guard,
            run_dir=self.run_dir,
            initial_dataset=initial_dataset,
            evaluation_dataset=evaluation_dataset,
            listeners=listeners,
        )
        self.log = get_logger(__name__, run_id=run_id, strategy=config.strategy)

    def context(self, index: int | None = None) -> CycleContext:
        """The context of cycle ``index`` (default: the next cycle to run), from the champion on record."""
        if index is None:
            done = [r.cycle_index for r in self.store.cycles(self.run_id) if r.step is CycleStep.DONE]
            index = max(done) + 1 if done else 0
        try:
            champion = self.store.run(self.run_id).champion_version
        except UnknownRunError:
            champion = None
        return self.runner.context(self.run_id, index, champion, self.config)

    # --- the public verbs ------------------------------------------------------------------------

    def identify_weak_spots(self, performance_data: ModelPerformanceData) -> list[WeakSpot]:
        """Weak spots of ``performance_data``, prioritised by the strategy of each spot's sensor family:
        ``priority`` is the strategy's utility, best first; spots a strategy drops are left out. The cycle's
        ``identified`` step makes the same call."""
        cycle_id = self.context().cycle_id
        spots = identify_weak_spots(performance_data, self.config.weak_spots, cycle_id=cycle_id)
        return [kept.spot for kept in prioritise(spots, SensorFamilyRouter(self.config.strategies))]

    def suggest_scenario_modifications(
        self, weak_spots: Sequence[WeakSpot], budget: int | None = None
    ) -> list[Suggestion]:
        """The policy's suggestions for the prioritised ``weak_spots`` within ``budget`` samples (default:
        the cycle's); what the cycle's ``suggested`` step records."""
        samples = self.config.budget.samples_per_cycle if budget is None else budget
        return self.policy.suggest(self.context(), weak_spots, samples)

    def generate_targeted_samples(
        self, weak_spots: Sequence[WeakSpot], budget: int | None = None
    ) -> list[DatasetSlice]:
        """Suggest for ``weak_spots`` within ``budget`` samples (default: the cycle's), simulate every
        suggestion now and keep what the policy keeps (at most ``budget``), as the cycle's ``generated`` step
        does but with no review, no probe set and nothing recorded in the store; returns the dataset slices
        that would join the training set."""
        context = replace(self.context(), weak_spots=tuple(weak_spots))
        keep = self.config.budget.samples_per_cycle if budget is None else budget
        suggestions = sorted(self.suggest_scenario_modifications(weak_spots, keep), key=lambda s: s.stream)
        acquired = sum((self.policy.apply(context, suggestion) for suggestion in suggestions), Acquired())
        return self.policy.finish(context, acquired, keep).datasets

    def run_cycle(self) -> CycleSummary | None:
        """Run (or resume) the next cycle; ``None`` when it waits for a manual review."""
        return self.runner.run_cycle(self.context())

    def run(self, max_cycles: int | None = None) -> RunHistory:
        """Run cycles until a stopping rule fires (or ``max_cycles`` cycles after the initial model); a run
        that was interrupted (or waits for review) continues where it stopped."""
        self.store.create_run(self.run_id, self.config.strategy, self.config.model_dump(mode="json"))
        self.store.set_run(self.run_id, status=RunStatus.RUNNING)
        limit = self.config.stopping.max_cycles if max_cycles is None else max_cycles
        with structlog.contextvars.bound_contextvars(run_id=self.run_id):
            try:
                while True:
                    history = self.history()
                    reason = stop_reason(history, self.config.stopping, limit)
                    if reason is not None:
                        return self._stop(RunStatus.COMPLETED, "run_complete", reason=reason)
                    context = self.context()
                    if self.runner.run_cycle(context) is None:
                        return self._stop(RunStatus.WAITING_FOR_REVIEW, "waiting_for_review", cycle=context.index)
            except KeyboardInterrupt:
                metrics.RUNS_FINISHED.labels(status=RunStatus.INTERRUPTED.value).inc()
                self.log.warning("run_interrupted")
                self.store.set_run(self.run_id, status=RunStatus.INTERRUPTED)
                self.runner.emit("run_interrupted", {})
                raise
            except Exception:
                metrics.RUNS_FINISHED.labels(status=RunStatus.FAILED.value).inc()
                self.log.exception("run_failed")
                self.store.set_run(self.run_id, status=RunStatus.FAILED)
                raise

    def _stop(self, status: RunStatus, event: str, **fields: object) -> RunHistory:
        self.store.set_run(self.run_id, status=status)
        metrics.RUNS_FINISHED.labels(status=status.value).inc()
        history = self.history()
        self.log.info(event, cycles=len(history.cycles) - 1, **fields)
        self.runner.emit(event, dict(fields))
        return history

    def history(self) -> RunHistory:
        """The run's completed cycles as recorded."""
        return load_history(self.store, self.run_id)
