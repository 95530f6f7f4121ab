"""Ctrl-C (or SIGTERM, which the CLI turns into it) during a run leaves it recorded as interrupted."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from envirosense.learning.assembly import Workspace, build_manager
from envirosense.learning.settings import RunSettings
from envirosense.ops.tracking import CYCLE_TAG, RUN_TAG, ExperimentTracker
from tests.learning.loop_helpers import write_small_config

pytestmark = pytest.mark.slow


def test_an_interrupted_run_is_recorded_as_interrupted_and_resumes(tmp_path: Path) -> None:
    settings = RunSettings.from_file(write_small_config(tmp_path, tmp_path / "ws", strategy="random"))

    def interrupt(event: str, fields: Mapping[str, Any]) -> None:
        if event == "cycle_done":
            raise KeyboardInterrupt

    manager = build_manager(settings, "stopped", on_event=interrupt)
    with pytest.raises(KeyboardInterrupt):
        manager.run()
    assert manager.store.run("stopped").status == "interrupted"
    assert _parent_status(settings) == "KILLED"

    history = build_manager(settings, "stopped").run()
    assert history.status == "completed" and [c.cycle_index for c in history.cycles] == [0, 1, 2]
    assert _parent_status(settings) == "FINISHED"


def _parent_status(settings: RunSettings) -> str:
    tracker = ExperimentTracker(Workspace.from_settings(settings).tracking_uri)
    runs = tracker.client.search_runs(
        [tracker.experiment_id], filter_string=f"tags.`{RUN_TAG}` = 'stopped' and tags.`{CYCLE_TAG}` = 'none'"
    )
    assert len(runs) == 1
    return str(runs[0].info.status)
