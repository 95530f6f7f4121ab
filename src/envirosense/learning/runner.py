"""The cycle runner: one cycle as a resumable machine of recorded, idempotent steps.

started → evaluated (the champion on a fresh probe set) → identified (weak spots) → suggested →
reviewed → generated (the policy applies every approved suggestion) → trained → candidate_evaluated →
done. Each step's outputs are recorded in the store before the next step begins; a resumed cycle skips
the steps recorded and redoes the one that was interrupted (ids, seeds and folders are deterministic;
the generator and the registry skip what exists). Cycle 0 trains the initial model on the initial set.

Each cycle is timed into the steps of ``ops.timing.CYCLE_STEPS`` by a ``StepTimer`` bound for the cycle:
the runner times its own steps, and the collaborators (store, registry, repository calls, selection,
tracking) time their parts with ``ops.timing.timed``. Every recorded step carries the profile so far, so
a resumed cycle adds to the seconds recorded before the interruption (the seconds between the last
recorded step and the interruption are lost). The summary holds the profile (``step_seconds``); the
``cycle_profile`` event hands it to the listeners once the cycle is recorded done.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import structlog

from envirosense.generation import Lineage
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.context import CycleContext, EventCallback, derived_seed
from envirosense.learning.degradation import ServiceGuard, StepSkippedError
from envirosense.learning.history import CycleSummary, RunHistory
from envirosense.learning.policies import Acquired, AcquisitionPolicy
from envirosense.learning.sampling import SampleMaker, repository_call
from envirosense.learning.sources import random_definitions, runs_for, save_definitions
from envirosense.learning.state import CycleRecord, CycleState, CycleStep, DatasetSlice, SuggestionStatus, write_json
from envirosense.learning.store import StateStore
from envirosense.learning.strategies import SensorFamilyRouter, prioritise
from envirosense.learning.suggestions import Suggestion
from envirosense.learning.weak_spots import identify_weak_spots, spot_order
from envirosense.models.datasets import EvaluationDataset
from envirosense.models.interface import ModelInterface
from envirosense.ops import metrics
from envirosense.ops.failpoints import failpoint
from envirosense.ops.logging import get_logger
from envirosense.ops.timing import (
    CANDIDATE_EVALUATION,
    CYCLE_STEP_SECONDS,
    OTHER,
    PRIORITISATION,
    PROBE_EVALUATION,
    PROBE_GENERATION,
    TARGETED_GENERATION,
    TRAINING,
    WEAK_SPOT_IDENTIFICATION,
    StepTimer,
    ordered_profile,
    timed,
    timing,
)
from envirosense.schemas import ModelPerformanceData, WeakSpot

log = get_logger(__name__)


class Trainer(Protocol):
    """What the runner needs of ``CandidateTrainer``."""

    def train(self, datasets: Sequence[EvaluationDataset], *, key: str, seed: int) -> int: ...

    def promote(self, version: int) -> None: ...


def load_history(store: StateStore, run_id: str) -> RunHistory:
    """The completed cycles of ``run_id`` as recorded in ``store``."""
    run = store.run(run_id)
    cycles = [r.state.summary for r in store.cycles(run_id) if r.step is CycleStep.DONE and r.state.summary]
    return RunHistory(run_id=run_id, strategy=run.strategy, status=run.status, cycles=cycles)


class CycleClock:
    """The time profile of one cycle: the ``timer``'s steps plus the profile ``carried`` from before a resume,
    and ``other``, the wall time since ``started`` spent outside every step."""

    def __init__(self, carried: Mapping[str, float] | None = None) -> None:
        self.timer = StepTimer(histogram=CYCLE_STEP_SECONDS)
        self.carried = dict(carried or {})
        self.started = time.perf_counter()

    def other(self) -> float:
        return max(time.perf_counter() - self.started - self.timer.total, 0.0)

    def profile(self) -> dict[str, float]:
        """Seconds per step so far, ``CYCLE_STEPS`` order."""
        seconds = dict(self.carried)
        for step, spent in [*self.timer.profile().items(), (OTHER, self.other())]:
            seconds[step] = seconds.get(step, 0.0) + spent
        return ordered_profile(seconds)


def training_slices(store: StateStore, run_id: str, index: int) -> list[DatasetSlice]:
    """Every training slice of cycles 0…``index``, in cycle order."""
    return [entry for r in store.cycles(run_id) if r.cycle_index <= index for entry in r.state.datasets or []]


class CycleRunner:
    """Runs (or resumes) one cycle of a run; every collaborator is passed in.

    ``policy`` decides what is simulated and kept; ``maker`` simulates the probe; ``trainer`` fits and
    registers candidates; ``model_interface`` gives the probe feedback, ``scoring_interface`` scores
    candidates on ``evaluation_dataset``; ``guard`` waits or skips while a service is down;
    ``listeners`` receive ``(event, fields)`` (``cycle_step``, ``cycle_done`` with the ``summary``, …).
    """

    def __init__(
        self,
        store: StateStore,
        policy: AcquisitionPolicy,
        maker: SampleMaker,
        trainer: Trainer,
        model_interface: ModelInterface,
        scoring_interface: ModelInterface,
        guard: ServiceGuard,
        *,
        run_dir: Path,
        initial_dataset: Path,
        evaluation_dataset: Path,
        listeners: Sequence[EventCallback] = (),
    ) -> None:
        self.store, self.policy, self.maker, self.trainer = store, policy, maker, trainer
        self.model_interface, self.scoring_interface, self.guard = model_interface, scoring_interface, guard
        self.run_dir, self.initial_dataset, self.evaluation_dataset = run_dir, initial_dataset, evaluation_dataset
        self.listeners = tuple(listeners)

    def emit(self, event: str, fields: Mapping[str, Any]) -> None:
        for listener in self.listeners:
            listener(event, fields)

    def context(self, run_id: str, index: int, champion: str | None, config: ActiveLearningConfig) -> CycleContext:
        return CycleContext(run_id, index, champion, config, self.run_dir / f"cycle-{index}", self.emit)

    def run_cycle(self, context: CycleContext) -> CycleSummary | None:
        """Run or resume the cycle of ``context``; ``None`` when it waits for a manual review."""
        record = self.store.cycle(context.run_id, context.index)
        clock = CycleClock(record.state.step_seconds if record is not None else None)
        with structlog.contextvars.bound_contextvars(cycle=context.index), timing(clock.timer):
            return self._steps(context, record, clock)

    def _steps(self, context: CycleContext, record: CycleRecord | None, clock: CycleClock) -> CycleSummary | None:
        run_id, index = context.run_id, context.index
        metrics.CYCLE_INDEX.set(index)
        step, state = (record.step, record.state) if record is not None else (CycleStep.STARTED, CycleState())
        if record is None:
            self.store.record_step(run_id, index, CycleStep.STARTED, CycleState())
        metrics.CYCLE_STEP.set(step.order)
        self.emit("cycle_step", {"cycle": index, "step": step.value})  # begun, or resumed at ``step``
        bound = log.bind(cycle=index, model_version=context.champion)

        def done(target: CycleStep, update: CycleState) -> None:
            nonlocal step, state
            failpoint(f"cycle-{index}:before-{target.value}")
            update = update.model_copy(update={"step_seconds": clock.profile()})
            self.store.record_step(run_id, index, target, update)
            step, state = target, state.merged(update)
            metrics.CYCLE_STEP.set(target.order)
            bound.info("cycle_step", step=target.value)
            self.emit("cycle_step", {"cycle": index, "step": target.value})

        def due(target: CycleStep) -> bool:
            return step.order < target.order

        if index == 0 and due(CycleStep.GENERATED):
            done(CycleStep.GENERATED, CycleState(datasets=[DatasetSlice(path=str(self.initial_dataset))]))
        if index > 0:
            if due(CycleStep.EVALUATED):
                done(CycleStep.EVALUATED, self._evaluate_probe(context))
            if due(CycleStep.IDENTIFIED):
                done(CycleStep.IDENTIFIED, self._identify(context, state))
            if due(CycleStep.SUGGESTED):
                done(CycleStep.SUGGESTED, self._suggest(context))
            if due(CycleStep.REVIEWED):
                pending = self.store.suggestions(run_id, index, SuggestionStatus.PENDING)
                if pending:
                    bound.info("waiting_for_review", pending=len(pending))
                    return None
                done(CycleStep.REVIEWED, CycleState())
            if due(CycleStep.GENERATED):
                done(CycleStep.GENERATED, self._generate(replace(context, probe_dataset=state.probe_dataset)))
        if due(CycleStep.TRAINED):
            done(CycleStep.TRAINED, self._train(context))
        if due(CycleStep.CANDIDATE_EVALUATED):
            done(CycleStep.CANDIDATE_EVALUATED, self._evaluate_candidate(context, state))
        if due(CycleStep.DONE):
            summary = self._finish(context, state)
            CYCLE_STEP_SECONDS.labels(step=OTHER).observe(clock.other())
            summary = summary.model_copy(update={"step_seconds": clock.profile()})
            done(CycleStep.DONE, CycleState(summary=summary))
            metrics.CYCLE_SECONDS.observe(time.perf_counter() - clock.started)
            metrics.CYCLE_MACRO_F1.set(summary.macro_f1)
            self.emit("cycle_profile", {"cycle": index, "step_seconds": summary.step_seconds})
        assert state.summary is not None
        return state.summary

    def _evaluate_probe(self, context: CycleContext) -> CycleState:
        """Simulate this cycle's probe set and evaluate the champion on it (policies that use a probe)."""
        if not self.policy.uses_probe:
            return CycleState()
        with timed(PROBE_EVALUATION):
            return self._probe(context)

    def _probe(self, context: CycleContext) -> CycleState:
        budget = context.config.budget
        definitions = random_definitions(
            context.rng(context.index, "probe"),
            runs_for(budget.probe_samples, budget.samples_per_scenario_run),
            f"{context.run_id}-c{context.index}-probe",
            tags=("probe",),
        )
        with repository_call("save"):
            save_definitions(self.maker.repository, definitions)

        def probe() -> tuple[str, ModelPerformanceData]:
            with timed(PROBE_GENERATION):
                made = self.maker.generate(
                    context,
                    definitions,
                    context.folder / "probe",
                    "probe",
                    Lineage(cycle_id=context.cycle_id),
                    key="probe",
                    guarded=False,
                )
            with metrics.observe(metrics.MODEL_FEEDBACK_SECONDS, purpose="probe"):
                return made[0].path, self.model_interface.get_model_performance_feedback(made[0].path, context.champion)

        try:
            dataset, feedback = self.guard.call("probe", probe, skippable=True)
        except StepSkippedError as skipped:
            return CycleState(degraded_probe=[skipped.reason])
        path = write_json(context.folder / "probe_feedback.json", feedback.model_dump(mode="json"))
        return CycleState(probe_dataset=dataset, probe_feedback=str(path))

    def _identify(self, context: CycleContext, state: CycleState) -> CycleState:
        if not self.policy.uses_probe or state.probe_feedback is None:
            return CycleState(weak_spot_ids=[])
        with timed(WEAK_SPOT_IDENTIFICATION):
            return self._weak_spots(context, state.probe_feedback)

    def _weak_spots(self, context: CycleContext, probe_feedback: str) -> CycleState:
        feedback = ModelPerformanceData.model_validate_json(Path(probe_feedback).read_text("utf-8"))
        spots = identify_weak_spots(feedback, context.config.weak_spots, cycle_id=context.cycle_id)
        with timed(PRIORITISATION):
            kept = prioritise(spots, SensorFamilyRouter(context.config.strategies))
        rows = [
            {"spot": k.spot.model_dump(mode="json"), "strategy": k.strategy, "utility": k.spot.priority} for k in kept
        ]
        self.store.save_weak_spots(context.run_id, context.index, rows)
        for row in kept:
            metrics.WEAK_SPOTS.labels(type=row.spot.weak_spot_type.value, strategy=row.strategy).inc()
        log.info("weak_spots_identified", found=len(spots), kept=len(kept), cycle=context.index)
        uncertain = [s.uncertainty_score for s in feedback.uncertain_samples]
        mean_uncertainty = float(np.mean(uncertain)) if uncertain else None
        return CycleState(weak_spot_ids=[k.spot.weak_spot_id for k in kept], mean_uncertainty=mean_uncertainty)

    def weak_spots(self, context: CycleContext) -> list[WeakSpot]:
        """The cycle's recorded weak spots, best first."""
        spots = [WeakSpot.model_validate(row["spot"]) for row in self.store.weak_spots(context.run_id, context.index)]
        return sorted(spots, key=spot_order)

    @timed(PRIORITISATION)
    def _suggest(self, context: CycleContext) -> CycleState:
        suggestions = self.policy.suggest(context, self.weak_spots(context), context.config.budget.samples_per_cycle)
        status = SuggestionStatus.APPROVED if context.config.review == "auto" else SuggestionStatus.PENDING
        rows = [
            {
                "suggestion_id": s.suggestion_id,
                "weak_spot_id": s.weak_spot_id,
                "action": s.action.value,
                "samples": s.samples,
                "payload": s.model_dump(mode="json"),
                "status": status.value,
            }
            for s in suggestions
        ]
        self.store.save_suggestions(context.run_id, context.index, rows)
        return CycleState(suggestion_ids=[s.suggestion_id for s in suggestions])

    @timed(TARGETED_GENERATION)
    def _generate(self, context: CycleContext) -> CycleState:
        context = replace(context, weak_spots=tuple(self.weak_spots(context)))
        acquired = Acquired()
        rows = self.store.suggestions(context.run_id, context.index)
        applying = sorted(
            (
                Suggestion.model_validate(row["payload"])
                for row in rows
                if row["status"] != SuggestionStatus.REJECTED.value
            ),
            key=lambda suggestion: suggestion.stream,
        )
        for position, suggestion in enumerate(applying):
            made = self.policy.apply(context, suggestion)
            failpoint(f"cycle-{context.index}:applied-suggestion-{position}")
            acquired += made
            self.store.set_suggestion_status(suggestion.suggestion_id, SuggestionStatus.APPLIED)
        final = self.policy.finish(context, acquired, context.config.budget.samples_per_cycle)
        return CycleState(
            datasets=final.datasets,
            scenarios=final.scenarios,
            degraded_generate=final.degraded,
        )

    @timed(TRAINING)
    def _train(self, context: CycleContext) -> CycleState:
        loaded = [entry.load() for entry in training_slices(self.store, context.run_id, context.index)]
        version = self.trainer.train(
            [source for source, _ in loaded],
            key=f"{context.run_id}/cycle-{context.index}",
            seed=derived_seed(context.seed, context.index, "train") % 2**32,
        )
        return CycleState(candidate_version=str(version), samples_total=sum(count for _, count in loaded))

    @timed(CANDIDATE_EVALUATION)
    def _evaluate_candidate(self, context: CycleContext, state: CycleState) -> CycleState:
        """Deploy the candidate (a model server loads it; nothing for a local model) and score it on the
        held-out set. Both wait while the service is down: a cycle cannot be finished without them."""
        candidate = str(state.candidate_version)
        self.guard.call("deploy", lambda: self.model_interface.deploy(candidate))

        def score() -> ModelPerformanceData:
            with metrics.observe(metrics.MODEL_FEEDBACK_SECONDS, purpose="candidate"):
                return self.scoring_interface.get_model_performance_feedback(str(self.evaluation_dataset), candidate)

        feedback = self.guard.call("candidate_evaluation", score)
        path = write_json(context.folder / "evaluation_feedback.json", feedback.model_dump(mode="json"))
        return CycleState(evaluation_feedback=str(path))

    def _finish(self, context: CycleContext, state: CycleState) -> CycleSummary:
        assert state.evaluation_feedback is not None and state.candidate_version is not None
        feedback = ModelPerformanceData.model_validate_json(Path(state.evaluation_feedback).read_text("utf-8"))
        previous = load_history(self.store, context.run_id).cycles
        best = max((c.macro_f1 for c in previous if c.promoted), default=-math.inf)
        promoted = feedback.overall_metrics.macro_f1_score >= best
        if promoted:
            self.trainer.promote(int(state.candidate_version))
            self.store.set_run(context.run_id, champion_version=state.candidate_version)
        summary = CycleSummary(
            cycle_index=context.index,
            samples_total=int(state.samples_total or 0),
            samples_simulated=((previous[-1].samples_simulated or 0) if previous else int(state.samples_total or 0))
            + self.maker.counter.take(),
            macro_f1=feedback.overall_metrics.macro_f1_score,
            accuracy=feedback.overall_metrics.accuracy,
            per_class_f1={label: m.f1_score for label, m in feedback.per_class_metrics.items()},
            mean_uncertainty=state.mean_uncertainty,
            model_version=state.candidate_version,
            promoted=promoted,
            confusion_matrix=feedback.confusion_matrix,
            weak_spots=[
                WeakSpot.model_validate(r["spot"]) for r in self.store.weak_spots(context.run_id, context.index)
            ],
            scenarios=state.scenarios or [],
            degraded=[*(state.degraded_probe or []), *(state.degraded_generate or [])],
        )
        log.info("cycle_done", cycle=context.index, macro_f1=summary.macro_f1, samples=summary.samples_total)
        self.emit(
            "cycle_done",
            {
                "cycle": context.index,
                "macro_f1": summary.macro_f1,
                "samples": summary.samples_total,
                "summary": summary,
            },
        )
        return summary
