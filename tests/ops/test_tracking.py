from __future__ import annotations

from pathlib import Path

from envirosense.ops.tracking import PARENT_TAG, ExperimentTracker, default_tracking_uri


def test_parent_and_nested_cycle_runs_are_logged_once(tmp_path: Path) -> None:
    tracker = ExperimentTracker(default_tracking_uri(tmp_path), artifact_location=tmp_path / "artifacts")
    parent = tracker.parent_run("run-a", {"strategy": "alm", "seed": 3})
    cycle = tracker.cycle_run("run-a", 1, {"budget": 100})
    tracker.log_metrics(cycle, {"macro_f1": 0.7, "samples_total": 1200}, step=1)
    artifact = tmp_path / "weak_spots.json"
    artifact.write_text("[]")
    tracker.log_artifact(cycle, artifact)

    again = ExperimentTracker(default_tracking_uri(tmp_path))
    assert again.parent_run("run-a", {}) == parent
    assert again.cycle_run("run-a", 1, {}) == cycle
    assert again.cycle_run("run-a", 2, {}) != cycle

    stored = again.client.get_run(cycle)
    assert stored.data.tags[PARENT_TAG] == parent
    assert stored.data.metrics["macro_f1"] == 0.7
    assert stored.data.params["budget"] == "100"
    assert again.client.get_run(parent).data.params["strategy"] == "alm"
    assert [item.path for item in again.client.list_artifacts(cycle)] == ["weak_spots.json"]
