"""In-memory stand-ins for the cycle runner's collaborators, for fast unit tests of the runner and the
policies. The real ones keep their own contract tests (test_store.py, the model-interface contract, the
generator's suite); these only honour the same calls."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from envirosense.generation.reader import iter_samples
from envirosense.learning.context import CycleContext
from envirosense.learning.policies import Acquired
from envirosense.learning.state import CycleRecord, CycleState, CycleStep, RunRecord, RunStatus, SuggestionStatus
from envirosense.learning.store import UnknownRunError
from envirosense.learning.suggestions import Suggestion, SuggestionAction
from envirosense.models.datasets import EvaluationDataset
from envirosense.models.interface import ModelInterface, Predictions
from envirosense.schemas import ModelPerformanceData, WeakSpot


class CrashError(Exception):
    """Raised by ``MemoryStore`` in place of a kill: the step's work is done, its record is not."""


class MemoryStore:
    """A ``StateStore`` in a dict; with ``crash_at`` = n, the n-th ``record_step`` raises ``CrashError`` instead
    of recording (the worst moment, as the kill -9 failpoints)."""

    def __init__(self, crash_at: int | None = None) -> None:
        self.crash_at = crash_at
        self.recorded = 0
        self.runs_: dict[str, RunRecord] = {}
        self.cycles_: dict[tuple[str, int], CycleRecord] = {}
        self.spots: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.suggestions_: dict[str, dict[str, Any]] = {}

    def create_run(self, run_id: str, strategy: str, config: dict[str, Any]) -> bool:
        if run_id in self.runs_:
            return False
        now = datetime.now(UTC)
        self.runs_[run_id] = RunRecord(run_id, strategy, config, RunStatus.RUNNING.value, None, now, now)
        return True

    def run(self, run_id: str) -> RunRecord:
        if run_id not in self.runs_:
            raise UnknownRunError(run_id)
        return self.runs_[run_id]

    def set_run(self, run_id: str, *, status: RunStatus | None = None, champion_version: str | None = None) -> None:
        run = self.runs_[run_id]
        self.runs_[run_id] = RunRecord(
            run.run_id,
            run.strategy,
            run.config,
            status.value if status else run.status,
            champion_version or run.champion_version,
            run.created_utc,
            datetime.now(UTC),
        )

    def cycle(self, run_id: str, cycle_index: int) -> CycleRecord | None:
        return self.cycles_.get((run_id, cycle_index))

    def cycles(self, run_id: str) -> list[CycleRecord]:
        return [record for (run, _), record in sorted(self.cycles_.items()) if run == run_id]

    def record_step(self, run_id: str, cycle_index: int, step: CycleStep, update: CycleState) -> None:
        self.recorded += 1
        if self.crash_at is not None and self.recorded == self.crash_at:
            raise CrashError(f"before recording {step.value} of cycle {cycle_index}")
        known = self.cycles_.get((run_id, cycle_index))
        state = known.state.merged(update) if known else update
        self.cycles_[(run_id, cycle_index)] = CycleRecord(cycle_index, step, CycleState.from_json(state.to_json()))

    def save_weak_spots(self, run_id: str, cycle_index: int, spots: Sequence[dict[str, Any]]) -> None:
        self.spots[(run_id, cycle_index)] = [copy.deepcopy(dict(spot)) for spot in spots]

    def weak_spots(self, run_id: str, cycle_index: int | None = None) -> list[dict[str, Any]]:
        rows = [
            {**row, "cycle_index": index}
            for (run, index), rows in sorted(self.spots.items())
            if run == run_id and cycle_index in (None, index)
            for row in rows
        ]
        return sorted(rows, key=lambda row: (row["cycle_index"], -(row["utility"] or 0.0)))

    def save_suggestions(self, run_id: str, cycle_index: int, suggestions: Sequence[dict[str, Any]]) -> None:
        for row in suggestions:
            self.suggestions_.setdefault(row["suggestion_id"], {**row, "run_id": run_id, "cycle_index": cycle_index})

    def suggestions(
        self, run_id: str | None = None, cycle_index: int | None = None, status: SuggestionStatus | None = None
    ) -> list[dict[str, Any]]:
        rows = [
            dict(row)
            for row in self.suggestions_.values()
            if run_id in (None, row["run_id"])
            and cycle_index in (None, row["cycle_index"])
            and (status is None or row["status"] == status.value)
        ]
        return sorted(rows, key=lambda row: (row["cycle_index"], row["suggestion_id"]))

    def set_suggestion_status(
        self,
        suggestion_id: str,
        status: SuggestionStatus,
        *,
        expected: Sequence[SuggestionStatus] = (),
        note: str | None = None,
    ) -> bool:
        row = self.suggestions_.get(suggestion_id)
        if row is None or (expected and row["status"] not in {s.value for s in expected}):
            return False
        row["status"] = status.value
        return True


class CountingTrainer:
    """Registers version 1, 2, … per distinct key (idempotent like ``CandidateTrainer``) and remembers
    how many samples each was trained on."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.promoted: list[int] = []

    def train(self, datasets: Sequence[EvaluationDataset], *, key: str, seed: int) -> int:
        return self.versions.setdefault(key, len(self.versions) + 1)

    def promote(self, version: int) -> None:
        self.promoted.append(version)


class ScriptedModel(ModelInterface):
    """Feedback with the macro-F1 scripted per model version; ``predict_proba`` gives each sample a margin
    fixed by its id (a stable hash), so least-separated selection is predictable."""

    def __init__(self, f1_by_version: dict[str, float], make_performance: Any) -> None:
        self.f1_by_version = f1_by_version
        self.make_performance = make_performance
        self.deployed: list[str | None] = []

    def get_model_performance_feedback(
        self, evaluation_dataset: EvaluationDataset, model_version_tag: str | None = None
    ) -> ModelPerformanceData:
        feedback: ModelPerformanceData = self.make_performance()
        f1 = self.f1_by_version.get(str(model_version_tag), 0.5)
        overall = feedback.overall_metrics.model_copy(update={"macro_f1_score": f1})
        return feedback.model_copy(update={"overall_metrics": overall})

    def deploy(self, model_version_tag: str | None) -> None:
        self.deployed.append(model_version_tag)

    def predict_proba(self, samples: EvaluationDataset, model_version_tag: str | None = None) -> Predictions:
        assert isinstance(samples, Path)
        ids = [str(s["sample_id"]) for s in iter_samples(samples, validate=False)]
        top = np.array([0.5 + (sum(map(ord, i)) % 50) / 100 for i in ids])
        proba = np.column_stack([top, 1.0 - top])
        return Predictions(ids, ["normal"] * len(ids), ["normal", "arcing"], proba)


@dataclass
class ListPolicy:
    """An ``AcquisitionPolicy`` that splits the budget into ``parts`` suggestions and 'acquires' a slice of
    the suggested size for each (no files: the slices are counted, never read)."""

    parts: int = 2
    uses_probe: bool = False
    name: str = "list"
    applied: list[str] = field(default_factory=list)

    def suggest(self, context: CycleContext, weak_spots: Sequence[WeakSpot], budget: int) -> list[Suggestion]:
        return [
            Suggestion(
                suggestion_id=f"{context.run_id}-c{context.index}-{part}",
                action=SuggestionAction.RANDOM,
                samples=budget // self.parts,
            )
            for part in range(self.parts)
        ]

    def apply(self, context: CycleContext, suggestion: Suggestion) -> Acquired:
        from envirosense.learning.state import DatasetSlice

        self.applied.append(suggestion.suggestion_id)
        return Acquired([DatasetSlice(path=str(context.folder / suggestion.suggestion_id), samples=suggestion.samples)])

    def finish(self, context: CycleContext, acquired: Acquired, keep: int) -> Acquired:
        return acquired


@dataclass
class RecordingGenerator:
    """Stands in for ``MLDataGenerator`` where only what is asked matters: records each request and reports
    ``samples_per_run`` samples per run, writing nothing."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def generate(self, scenarios: Sequence[Any], output_dir: Path, **options: Any) -> Any:
        from types import SimpleNamespace

        self.calls.append({"definitions": list(scenarios), "output_dir": output_dir, **options})
        runs = len(scenarios) * options.get("runs_per_scenario", 1)
        return SimpleNamespace(total_samples=runs * options["samples_per_run"])
