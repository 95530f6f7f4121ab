"""Typed records of a run's state: a dataset slice, what a cycle recorded, a run.

The ``RunStore`` stores a cycle's state as JSON under these field names; runs written before these
records existed used the same names, so they load (and resume) unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from envirosense.generation.reader import iter_samples
from envirosense.learning.history import CraftedScenario, CycleSummary


class RunStatus(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    WAITING_FOR_REVIEW = "waiting_for_review"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class CycleStep(StrEnum):
    """The last step a cycle completed, in order."""

    STARTED = "started"
    EVALUATED = "evaluated"
    IDENTIFIED = "identified"
    SUGGESTED = "suggested"
    REVIEWED = "reviewed"
    GENERATED = "generated"
    TRAINED = "trained"
    CANDIDATE_EVALUATED = "candidate_evaluated"
    DONE = "done"

    @property
    def order(self) -> int:
        return list(CycleStep).index(self)


class SuggestionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"


class DatasetSlice(BaseModel):
    """Training data of one dataset folder: all its samples, or only those listed in ``sample_ids``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="Dataset folder (Avro files and manifest).")
    samples: int | None = Field(
        None, ge=0, description="Samples the slice holds; None when not counted (the shared initial set)."
    )
    sample_ids: tuple[str, ...] | None = Field(
        None, description="The selected samples, sorted; None: every sample of the folder."
    )

    def load(self) -> tuple[Path | list[dict[str, Any]], int]:
        """The slice as a trainer input and its sample count: the folder itself when it is whole, else the
        list of the selected sample dicts (in the folder's order)."""
        path = Path(self.path)
        if self.sample_ids is None:
            count = self.samples if self.samples is not None else sum(1 for _ in iter_samples(path, validate=False))
            return path, count
        wanted = set(self.sample_ids)
        selected = [sample for sample in iter_samples(path) if sample["sample_id"] in wanted]
        return selected, len(selected)

    def ids(self) -> list[str]:
        """The ids of the slice's samples, in the folder's order (read through ``load``)."""
        source, _ = self.load()
        samples = iter_samples(source, validate=False) if isinstance(source, Path) else source
        return [str(sample["sample_id"]) for sample in samples]


class CycleState(BaseModel):
    """What a cycle recorded so far; each step sets its fields (``None``: not recorded, or not applicable)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    probe_dataset: str | None = Field(None, description="evaluated: the probe dataset folder.")
    probe_feedback: str | None = Field(None, description="evaluated: the champion's feedback on it (JSON file).")
    degraded_probe: list[str] | None = Field(None, description="evaluated: why the probe was skipped.")
    weak_spot_ids: list[str] | None = Field(None, description="identified: the kept weak spots, best first.")
    mean_uncertainty: float | None = Field(None, description="identified: mean score of uncertain probe samples.")
    suggestion_ids: list[str] | None = Field(None, description="suggested: the cycle's suggestions.")
    datasets: list[DatasetSlice] | None = Field(None, description="generated: the cycle's new training data.")
    scenarios: list[CraftedScenario] | None = Field(None, description="generated: the scenarios it created.")
    degraded_generate: list[str] | None = Field(None, description="generated: steps done without a service.")
    candidate_version: str | None = Field(None, description="trained: the registered candidate.")
    samples_total: int | None = Field(None, ge=0, description="trained: samples the candidate was trained on.")
    evaluation_feedback: str | None = Field(None, description="candidate_evaluated: held-out feedback (JSON).")
    summary: CycleSummary | None = Field(None, description="done: the cycle's summary.")
    step_seconds: dict[str, float] | None = Field(
        None, description="every step: the cycle's time profile so far, s (a resumed cycle adds to it)."
    )

    def merged(self, update: CycleState) -> CycleState:
        """This state with the fields ``update`` set replaced."""
        return self.model_copy(update={name: getattr(update, name) for name in update.model_fields_set})

    def to_json(self) -> dict[str, Any]:
        """The fields set, as stored."""
        return self.model_dump(mode="json", include=set(self.model_fields_set))

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> CycleState:
        return cls.model_validate(dict(stored))


class CycleRecord(NamedTuple):
    """One cycle as stored: its index, the last step it completed and its state."""

    cycle_index: int
    step: CycleStep
    state: CycleState


@dataclass(frozen=True)
class RunRecord:
    """A run as stored."""

    run_id: str
    strategy: str
    config: dict[str, Any]
    status: str
    champion_version: str | None
    created_utc: datetime
    updated_utc: datetime


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (a temporary file renamed over it); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)
    return path
