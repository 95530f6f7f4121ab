"""MLflow tracking of a run as a listener of the cycle runner: one parent run per loop run, one child run
per cycle with its metrics and its summary as an artifact."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.history import CycleSummary
from envirosense.learning.state import write_json
from envirosense.ops.deferred_stop import uninterrupted
from envirosense.ops.timing import BOOKKEEPING_TRACKING, timed
from envirosense.ops.tracking import ExperimentTracker
from envirosense.simulation.parameters import flatten_params

ENDINGS = {"run_complete": "FINISHED", "run_interrupted": "KILLED"}
"""Loop events that end the parent MLflow run, and the status they end it with."""


class MlflowListener:
    """Logs each ``cycle_done`` event's summary to MLflow (idempotent: a resumed cycle finds its runs), each
    ``cycle_profile`` event's time profile as ``step_seconds.<step>`` metrics, and
    ends the parent run FINISHED when the loop completes (``run_complete``), KILLED when it is interrupted.

    Parameters
    ----------
    tracker:
        The experiment tracker.
    run_id:
        The loop run's id (names the parent MLflow run).
    config:
        The run's config, logged flattened as the parent run's parameters.
    run_dir:
        The run's folder; each cycle's ``cycle_summary.json`` artifact is written there first.
    """

    def __init__(self, tracker: ExperimentTracker, run_id: str, config: ActiveLearningConfig, run_dir: Path) -> None:
        self.tracker = tracker
        self.run_id = run_id
        self.config = config
        self.run_dir = run_dir
        self._parent_id: str | None = None
        self._cycle_ids: dict[int, str] = {}

    @timed(BOOKKEEPING_TRACKING)
    def __call__(self, event: str, fields: Mapping[str, Any]) -> None:
        with uninterrupted():  # a Ctrl-C inside MLflow's store transaction would leave its database locked
            if event == "cycle_done":
                self.track(fields["summary"])
            elif event == "cycle_profile":
                self.track_profile(fields["cycle"], fields["step_seconds"])
            elif event in ENDINGS:
                self.tracker.finish(self._parent(), ENDINGS[event])

    def _parent(self) -> str:
        if self._parent_id is None:
            self._parent_id = self.tracker.parent_run(self.run_id, flatten_params(self.config.model_dump(mode="json")))
        return self._parent_id

    def _cycle(self, index: int, params: Mapping[str, Any]) -> str:
        if index not in self._cycle_ids:
            self._cycle_ids[index] = self.tracker.cycle_run(self.run_id, index, params)
        return self._cycle_ids[index]

    def track(self, summary: CycleSummary) -> None:
        parent = self._parent()
        run = self._cycle(summary.cycle_index, {"model_version": summary.model_version})
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
        self.tracker.log_artifact(run, write_json(artifact, summary.model_dump(mode="json")))
        self.tracker.finish(run)

    def track_profile(self, cycle: int, step_seconds: Mapping[str, float]) -> None:
        """Log the cycle's time profile as ``step_seconds.<step>`` metrics of its run (and its parent's, at
        step ``cycle``), once the cycle is recorded done."""
        logged = {f"step_seconds.{step}": seconds for step, seconds in step_seconds.items()}
        self.tracker.log_metrics(self._cycle(cycle, {}), logged, step=cycle)
        self.tracker.log_metrics(self._parent(), logged, step=cycle)
