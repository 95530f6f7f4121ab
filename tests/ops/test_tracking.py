from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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


def _count_searches(tracker: ExperimentTracker, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The filter of every search the tracker makes; each search still reaches the real store."""
    filters: list[str] = []
    search = tracker.client.search_runs

    def counting(*args: Any, **kwargs: Any) -> Any:
        filters.append(kwargs["filter_string"])
        return search(*args, **kwargs)

    monkeypatch.setattr(tracker.client, "search_runs", counting)
    return filters


def test_the_parent_run_is_searched_for_once_per_tracker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each cycle searches for its own run only; the parent is searched once, created or found."""
    tracker = ExperimentTracker(default_tracking_uri(tmp_path), artifact_location=tmp_path / "artifacts")
    filters = _count_searches(tracker, monkeypatch)
    parent = tracker.parent_run("run-a", {"seed": 3})
    cycles = [tracker.cycle_run("run-a", index, {}) for index in range(3)]
    assert tracker.parent_run("run-a", {}) == parent
    assert sum("'none'" in f for f in filters) == 1 and len(filters) == 4, filters
    assert {tracker.client.get_run(c).data.tags[PARENT_TAG] for c in cycles} == {parent}

    resumed = ExperimentTracker(default_tracking_uri(tmp_path))  # a resumed run in a new process finds it
    filters = _count_searches(resumed, monkeypatch)
    assert [resumed.cycle_run("run-a", index, {}) for index in range(3)] == cycles
    assert resumed.parent_run("run-a", {}) == parent and sum("'none'" in f for f in filters) == 1, filters
    other = resumed.cycle_run("run-b", 0, {})  # another run of the same tracker has its own parent
    assert resumed.client.get_run(other).data.tags[PARENT_TAG] != parent
    assert sum("'none'" in f for f in filters) == 2
