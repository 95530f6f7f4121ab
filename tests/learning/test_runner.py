"""The cycle runner and the stopping rules with in-memory collaborators: every stopping rule, resume after a
crash before any step is recorded, manual review, promotion and the training set a cycle selects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envirosense.generation import MLDataGenerator
from envirosense.learning.config import ActiveLearningConfig, StoppingConfig
from envirosense.learning.history import CycleSummary, RunHistory
from envirosense.learning.manager import ActiveLearningManager
from envirosense.learning.state import CycleRecord, CycleStep, DatasetSlice, SuggestionStatus
from envirosense.learning.stopping import stop_reason
from envirosense.ops.timing import (
    CANDIDATE_EVALUATION,
    OTHER,
    PRIORITISATION,
    TARGETED_GENERATION,
    TRAINING,
)
from envirosense.repository import SQLiteScenarioRepository
from envirosense.schemas import ModelPerformanceData
from tests.learning.fakes import CountingTrainer, CrashError, ListPolicy, MemoryStore, ScriptedModel


def _history(f1: list[float], samples: list[int] | None = None, uncertainty: float | None = None) -> RunHistory:
    cycles = [
        CycleSummary(
            cycle_index=i,
            samples_total=(samples or [100 * (i + 1) for i in range(len(f1))])[i],
            macro_f1=value,
            accuracy=value,
            per_class_f1={},
            mean_uncertainty=uncertainty,
            model_version=str(i + 1),
        )
        for i, value in enumerate(f1)
    ]
    return RunHistory(run_id="r", strategy="alm", status="running", cycles=cycles)


LOOSE = StoppingConfig(max_cycles=10, target_macro_f1=None, plateau_cycles=None)


@pytest.mark.parametrize(
    ("history", "rules", "reason"),
    [
        (_history([]), LOOSE, None),
        (_history([0.5, 0.6]), LOOSE, None),
        (_history([0.5, 0.6, 0.7]), LOOSE.model_copy(update={"max_cycles": 2}), "max_cycles"),
        (_history([0.5, 0.96]), LOOSE.model_copy(update={"target_macro_f1": 0.95}), "target_macro_f1"),
        (
            _history([0.5, 0.6], [100, 400]),
            LOOSE.model_copy(update={"total_sample_budget": 400}),
            "total_sample_budget",
        ),
        (_history([0.5, 0.6], [100, 399]), LOOSE.model_copy(update={"total_sample_budget": 400}), None),
        (_history([0.5, 0.7, 0.701, 0.69]), LOOSE.model_copy(update={"plateau_cycles": 2}), "plateau"),
        (_history([0.5, 0.7, 0.701, 0.75]), LOOSE.model_copy(update={"plateau_cycles": 2}), None),
        (
            _history([0.5, 0.6], uncertainty=0.1),
            LOOSE.model_copy(update={"min_mean_uncertainty": 0.2}),
            "low_uncertainty",
        ),
        (_history([0.5, 0.6], uncertainty=0.3), LOOSE.model_copy(update={"min_mean_uncertainty": 0.2}), None),
        (_history([0.5, 0.6], uncertainty=None), LOOSE.model_copy(update={"min_mean_uncertainty": 0.2}), None),
    ],
)
def test_stopping_rules(history: RunHistory, rules: StoppingConfig, reason: str | None) -> None:
    assert stop_reason(history, rules, rules.max_cycles) == reason


def test_the_plateau_is_measured_on_the_champion_curve() -> None:
    """A worse candidate does not lower the curve: 0.7 stays the best, so two cycles without a gain stop."""
    rules = LOOSE.model_copy(update={"plateau_cycles": 2, "plateau_min_gain": 0.01})
    assert stop_reason(_history([0.5, 0.7, 0.4, 0.705]), rules, 10) == "plateau"


Build = Callable[..., ActiveLearningManager]


@pytest.fixture
def build(
    tmp_path: Path,
    initial_dataset: Path,
    repository: SQLiteScenarioRepository,
    make_performance: Callable[..., ModelPerformanceData],
) -> Build:
    def make(store: MemoryStore, trainer: CountingTrainer, **config: Any) -> ActiveLearningManager:
        settings = {
            "strategy": "random",
            "seed": 1,
            "budget": {"samples_per_cycle": 40, "samples_per_scenario_run": 10},
        }
        settings["stopping"] = {"max_cycles": 2, "target_macro_f1": None, "plateau_cycles": None}
        model = ScriptedModel({"1": 0.5, "2": 0.4, "3": 0.6}, make_performance)
        return ActiveLearningManager(
            model,
            repository,
            MLDataGenerator(workers=1),
            trainer,
            store,
            ActiveLearningConfig.model_validate(settings | config),
            run_id="r",
            workspace=tmp_path / "ws",
            evaluation_dataset=tmp_path / "evaluation",
            initial_dataset=initial_dataset,
            policy=ListPolicy(),
        )

    return make


def _untimed(record: CycleRecord) -> CycleRecord:
    """The record without its time profile (seconds differ from run to run; they are not its result)."""
    summary = record.state.summary
    state = record.state.model_copy(
        update={"step_seconds": None, "summary": summary.model_copy(update={"step_seconds": {}}) if summary else None}
    )
    return CycleRecord(record.cycle_index, record.step, state)


def _fingerprint(store: MemoryStore, trainer: CountingTrainer) -> dict[str, Any]:
    return {
        "cycles": [_untimed(record) for record in store.cycles("r")],
        "suggestions": store.suggestions("r"),
        "versions": trainer.versions,
        "champion": store.run("r").champion_version,
        "status": store.run("r").status,
    }


def test_a_run_trains_on_every_slice_so_far_and_promotes_only_improvements(build: Build) -> None:
    store, trainer = MemoryStore(), CountingTrainer()
    history = build(store, trainer).run()
    assert [c.cycle_index for c in history.cycles] == [0, 1, 2]
    assert [c.samples_total for c in history.cycles] == [12, 52, 92]
    assert [c.promoted for c in history.cycles] == [True, False, True]
    assert store.run("r").champion_version == "3" and trainer.promoted == [1, 3]
    assert history.status == "completed"
    slices = store.cycles("r")[1].state.datasets
    assert slices == [DatasetSlice(path=s.path, samples=20) for s in slices or []] and len(slices or []) == 2


RECORDS = 5 + 9 + 9
"""Steps a run of two cycles records: cycle 0 started, generated, trained, candidate evaluated, done;
cycles 1 and 2 every step from started to done."""


@pytest.mark.parametrize("crash_at", range(1, RECORDS + 1))
def test_a_run_resumed_after_a_crash_at_any_step_equals_an_uninterrupted_one(build: Build, crash_at: int) -> None:
    reference_store, reference_trainer = MemoryStore(), CountingTrainer()
    build(reference_store, reference_trainer).run()
    assert reference_store.recorded == RECORDS

    store, trainer = MemoryStore(crash_at=crash_at), CountingTrainer()
    with pytest.raises(CrashError):
        build(store, trainer).run()
    assert store.run("r").status == "failed"
    store.crash_at = None
    build(store, trainer).run()
    assert _fingerprint(store, trainer) == _fingerprint(reference_store, reference_trainer)


def test_every_cycle_records_its_time_profile_in_step_order(build: Build) -> None:
    """The summary's ``step_seconds`` hold the steps the random policy performs, in ``CYCLE_STEPS`` order,
    and add up to about the cycle's wall time (``other`` is the rest), never negative."""
    history = build(MemoryStore(), CountingTrainer()).run()
    first, later = history.cycles[0], history.cycles[1]
    assert list(first.step_seconds) == [TRAINING, CANDIDATE_EVALUATION, OTHER]
    assert list(later.step_seconds) == [PRIORITISATION, TARGETED_GENERATION, TRAINING, CANDIDATE_EVALUATION, OTHER]
    assert all(seconds >= 0 for cycle in history.cycles for seconds in cycle.step_seconds.values())
    assert later.step_seconds[TARGETED_GENERATION] > 0  # the policy's simulation


def test_a_resumed_cycle_keeps_the_seconds_recorded_before_the_crash(build: Build) -> None:
    """Crash before cycle 2 is recorded done: the profile recorded with its last step carries over, so the
    steps not redone keep their seconds exactly and the redone finish only adds."""
    store, trainer = MemoryStore(crash_at=RECORDS), CountingTrainer()
    with pytest.raises(CrashError):
        build(store, trainer).run()
    record = store.cycle("r", 2)
    assert record is not None and record.step is CycleStep.CANDIDATE_EVALUATED
    carried = record.state.step_seconds or {}
    assert carried[TRAINING] > 0
    store.crash_at = None
    summary = build(store, trainer).run().cycles[2]
    for step in (TARGETED_GENERATION, TRAINING, CANDIDATE_EVALUATION):
        assert summary.step_seconds[step] == carried[step]
    assert summary.step_seconds[OTHER] >= carried[OTHER]


def test_manual_review_waits_then_skips_the_rejected(build: Build) -> None:
    store, trainer = MemoryStore(), CountingTrainer()
    history = build(store, trainer, review="manual").run(max_cycles=1)
    assert history.status == "waiting_for_review" and len(history.cycles) == 1
    assert store.cycle("r", 1) is not None and store.cycle("r", 1).step is CycleStep.SUGGESTED  # type: ignore[union-attr]
    first, second = store.suggestions("r", 1)
    store.set_suggestion_status(first["suggestion_id"], SuggestionStatus.REJECTED)
    store.set_suggestion_status(second["suggestion_id"], SuggestionStatus.APPROVED)
    history = build(store, trainer, review="manual").run(max_cycles=1)
    assert history.status == "completed"
    assert history.cycles[1].samples_total - history.cycles[0].samples_total == 20
    assert {row["status"] for row in store.suggestions("r", 1)} == {"rejected", "applied"}
