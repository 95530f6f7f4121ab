"""kill -9 one real run at 12 points spread over every step of a cycle (killed, resumed up to the next
point, killed again, …, resumed to the end) and compare it with an uninterrupted run of the same seed:
identical cycle records and datasets, no sample lost, none duplicated.

Each failpoint fires *after* its step's work and *before* the step is recorded, the worst moment: the
work is done but the run does not know it, so the resume must redo it without duplicating anything.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from envirosense.learning.assembly import Workspace
from envirosense.learning.settings import RunSettings
from envirosense.models.registry import ModelRegistry
from tests.faults.fault_harness import RUN_ID, fingerprint, run_cli, run_env
from tests.learning.loop_helpers import write_small_config

pytestmark = pytest.mark.slow

KILL_POINTS = [
    "cycle-0:before-trained",
    "cycle-0:before-done",
    "cycle-1:before-evaluated",
    "cycle-1:before-identified",
    "cycle-1:before-suggested",
    "cycle-1:before-reviewed",
    "cycle-1:applied-suggestion-0",
    "cycle-1:applied-suggestion-2",
    "cycle-1:before-generated",
    "cycle-1:before-trained",
    "cycle-1:before-candidate_evaluated",
    "cycle-1:before-done",
]


def test_kill_9_at_every_step_then_resume_equals_an_uninterrupted_run(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    config = write_small_config(tmp_path, tmp_path / "ws")
    first, *later = KILL_POINTS
    killed = run_cli(config, "--run-id", RUN_ID, "--cycles", "1", failpoint=first)
    assert killed.returncode == -signal.SIGKILL, f"{first} was not reached:\n{killed.stderr[-2000:]}"
    for point in later:
        killed = run_cli(config, "--resume", RUN_ID, failpoint=point)
        assert killed.returncode == -signal.SIGKILL, f"{point} was not reached on resume:\n{killed.stderr[-2000:]}"
    resumed = run_cli(config, "--resume", RUN_ID)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    after = fingerprint(config, RUN_ID)
    assert after["status"] == "completed"
    assert after["duplicates"] == []
    assert [c["step"] for c in after["cycles"]] == ["done", "done"]
    assert after == reference
    # Killed after registering and before recording it, a cycle's resumed training found its version.
    tracking_uri = Workspace.from_settings(RunSettings.from_file(config)).tracking_uri
    assert [v.version for v in ModelRegistry.for_run(RUN_ID, tracking_uri).list_versions()] == [2, 1]


def test_kill_9_before_the_first_cycle_then_a_bare_resume_equals_an_uninterrupted_run(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    """Killed while the shared sets are made, the run is already recorded with its whole configuration:
    ``--resume RUN_ID`` with no ``--config`` (only the workspace) ends as the uninterrupted run."""
    config = write_small_config(tmp_path, tmp_path / "ws")
    killed = run_cli(config, "--run-id", RUN_ID, "--cycles", "1", failpoint="setup:recorded")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    killed = run_cli(config, "--resume", RUN_ID, failpoint="setup:initial-set")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    bare = [sys.executable, "-m", "envirosense", "run", "--resume", RUN_ID, "--workspace", str(tmp_path / "ws")]
    resumed = subprocess.run(
        [*bare, "--no-report"], env=run_env(), capture_output=True, text=True, timeout=600, check=False
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert fingerprint(config, RUN_ID) == reference
