"""The MLflow listener on a real local store: a cycle's summary as metrics and artifact, its time profile as
``step_seconds.<step>`` metrics once the cycle is recorded done, and its own calls timed as tracking."""

from __future__ import annotations

from pathlib import Path

import pytest

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
