"""Ctrl-C (SIGINT to the whole process group, as a terminal sends it) and SIGTERM stop a real
``envirosense run`` quietly: no traceback from the run or its pool workers, the run recorded as
``interrupted``, the exact resume command printed, and a started MLflow parent run ended KILLED."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from envirosense.learning.assembly import Workspace
from envirosense.learning.settings import RunSettings
from envirosense.learning.store import RunStore
from envirosense.ops.tracking import CYCLE_TAG, RUN_TAG, ExperimentTracker
from envirosense.repository import make_engine
from tests.learning.loop_helpers import write_small_config

pytestmark = pytest.mark.slow

WAIT_S = 240.0


def _start(config: Path, run_id: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "envirosense", "run", "--config", str(config), "--run-id", run_id, "--no-report"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the point to interrupt"
        time.sleep(0.2)


def _interrupted(process: subprocess.Popen[str], send: Callable[[], None], settings: RunSettings, run_id: str) -> str:
    send()
    _, stderr = process.communicate(timeout=WAIT_S)
    return _stopped_quietly(process, stderr, settings, run_id)


def _stopped_quietly(process: subprocess.Popen[str], stderr: str, settings: RunSettings, run_id: str) -> str:
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    # The pool's semaphores are released by the run's exit handlers; Python's resource tracker reports
    # ("leaked semaphore objects") only those of a process that died without them (kill -9).
    assert "leaked" not in stderr, stderr
    assert f"`envirosense run --resume {run_id}`" in stderr, stderr
    store = RunStore(make_engine(Workspace.from_settings(settings).database_url))
    assert store.run(run_id).status == "interrupted"
    return stderr


def test_ctrl_c_during_a_cycle_stops_quietly_and_ends_the_mlflow_run_killed(tmp_path: Path) -> None:
    config = write_small_config(tmp_path, tmp_path / "ws", strategy="random")
    settings = RunSettings.from_file(config)
    process = _start(config, "ctrl-c")
    summary = tmp_path / "ws" / "runs" / "ctrl-c" / "cycle-0" / "cycle_summary.json"
    _wait_for(summary.exists, process)

    _interrupted(process, lambda: os.killpg(process.pid, signal.SIGINT), settings, "ctrl-c")

    tracker = ExperimentTracker(Workspace.from_settings(settings).tracking_uri)
    parents = tracker.client.search_runs(
        [tracker.experiment_id], filter_string=f"tags.`{RUN_TAG}` = 'ctrl-c' and tags.`{CYCLE_TAG}` = 'none'"
    )
    assert [run.info.status for run in parents] == ["KILLED"]


def test_ctrl_c_pressed_again_and_again_while_the_run_stops_changes_nothing(tmp_path: Path) -> None:
    """Every Ctrl-C after the first lands somewhere in the shutdown: the clean-up, the error line, the
    interpreter's exit (where Python's own handler is gone and SIGINT would kill the process)."""
    config = write_small_config(tmp_path, tmp_path / "ws", strategy="random")
    settings = RunSettings.from_file(config)
    process = _start(config, "twice")
    summary = tmp_path / "ws" / "runs" / "twice" / "cycle-0" / "cycle_summary.json"
    _wait_for(summary.exists, process)

    os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + WAIT_S
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(ProcessLookupError):  # the process ended between the poll and the kill
            os.killpg(process.pid, signal.SIGINT)
        time.sleep(0.02)
    _, stderr = process.communicate(timeout=WAIT_S)

    _stopped_quietly(process, stderr, settings, "twice")


def test_sigterm_while_the_shared_datasets_generate_stops_quietly(tmp_path: Path) -> None:
    config = write_small_config(tmp_path, tmp_path / "ws", strategy="random")
    settings = RunSettings.from_file(config)
    process = _start(config, "term")
    datasets = tmp_path / "ws" / "datasets"
    _wait_for(lambda: any(datasets.glob("initial-*/manifest.json")), process)

    _interrupted(process, lambda: os.killpg(process.pid, signal.SIGTERM), settings, "term")
