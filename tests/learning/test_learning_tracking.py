"""The MLflow listener on a real local store: a cycle's summary as metrics and artifact, its time profile as
``step_seconds.<step>`` metrics once the cycle is recorded done, and its own calls timed as tracking."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from pathlib import Path

import pytest

from envirosense.cli.interrupts import STOP_SIGNALS, stop_once
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.history import CycleSummary
from envirosense.learning.tracking import MlflowListener
from envirosense.ops.timing import BOOKKEEPING_TRACKING, StepTimer, timing
from envirosense.ops.tracking import ExperimentTracker, default_tracking_uri


def test_the_cycle_profile_is_logged_as_step_seconds_metrics(tmp_path: Path) -> None:
    tracker = ExperimentTracker(default_tracking_uri(tmp_path), artifact_location=tmp_path / "artifacts")
    listener = MlflowListener(tracker, "run-a", ActiveLearningConfig(), tmp_path / "runs" / "run-a")
    summary = CycleSummary(
        cycle_index=1, samples_total=120, macro_f1=0.7, accuracy=0.8, per_class_f1={"normal": 0.9}, model_version="2"
    )
    profile = {"training": 1.5, "bookkeeping.models": 0.25, "other": 0.125}
    timer = StepTimer()
    with timing(timer):
        listener("cycle_done", {"cycle": 1, "summary": summary})
        listener("cycle_profile", {"cycle": 1, "step_seconds": profile})
    assert list(timer.profile()) == [BOOKKEEPING_TRACKING] and timer.total > 0

    cycle = tracker.client.get_run(tracker.cycle_run("run-a", 1, {})).data.metrics
    parent = tracker.client.get_run(tracker.parent_run("run-a", {})).data.metrics
    for metrics in (cycle, parent):
        assert {key: value for key, value in metrics.items() if key.startswith("step_seconds.")} == pytest.approx(
            {f"step_seconds.{step}": seconds for step, seconds in profile.items()}
        )
    assert cycle["macro_f1"] == 0.7


class _InterruptedTracker(ExperimentTracker):
    """A real tracker that receives Ctrl-C while it writes metrics (the signal arrives inside MLflow)."""

    def log_metrics(self, mlflow_run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        super().log_metrics(mlflow_run_id, metrics, step)


def test_a_ctrl_c_during_a_write_stops_after_it_and_the_run_still_ends_killed(tmp_path: Path) -> None:
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    signal.signal(signal.SIGINT, stop_once)
    try:
        tracker = _InterruptedTracker(default_tracking_uri(tmp_path), artifact_location=tmp_path / "artifacts")
        listener = MlflowListener(tracker, "run-b", ActiveLearningConfig(), tmp_path / "runs" / "run-b")
        with pytest.raises(KeyboardInterrupt):
            listener("cycle_profile", {"cycle": 1, "step_seconds": {"training": 1.5}})
        listener("run_interrupted", {})  # what the manager does next: ends the parent run, no lock in the way
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    parent = tracker.client.get_run(tracker.parent_run("run-b", {}))
    assert parent.data.metrics["step_seconds.training"] == 1.5  # the write the stop landed in finished
    assert parent.info.status == "KILLED"
