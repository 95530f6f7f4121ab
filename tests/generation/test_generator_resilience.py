"""Interrupted and broken generations: kill -9 of the real command, a worker killed mid-unit."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envirosense.generation import IncompleteDatasetError, MLDataGenerator, UnitEvent, iter_samples, load_manifest
from envirosense.simulation import scenario_class
from tests.generation.generation_helpers import GenerateRequest, kill_pool_workers, snapshot

SCENARIOS = ("baseline_operation", "arcing_event", "cellulose_pyrolysis")
RUNS = 6
REQUEST: GenerateRequest = {"seed": 5, "samples_per_run": 400, "interval_seconds": 3.0, "runs_per_scenario": RUNS}


def _command(output: Path) -> list[str]:
    script = Path(sys.executable).with_name("envirosense")
    prefix = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from envirosense.cli.app import main; main()"]
    )
    options = [
        "--seed",
        str(REQUEST["seed"]),
        "--samples-per-run",
        str(REQUEST["samples_per_run"]),
        "--interval",
        str(REQUEST["interval_seconds"]),
        "--runs-per-scenario",
        str(RUNS),
        "--workers",
        "1",
    ]
    return [*prefix, "generate", str(output), *(arg for name in SCENARIOS for arg in ("-s", name)), *options]


def _reference(directory: Path) -> dict[str, object]:
    MLDataGenerator(workers=0).generate([scenario_class(name)() for name in SCENARIOS], directory, **REQUEST)
    return snapshot(directory)


@pytest.mark.slow
def test_kill_9_mid_generation_then_rerun_gives_the_uninterrupted_dataset(tmp_path: Path) -> None:
    reference = _reference(tmp_path / "reference")
    total = len(SCENARIOS) * RUNS
    target = tmp_path / "killed"
    process = subprocess.Popen(
        _command(target), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(target.glob("*.avro"))) < 3:
            assert process.poll() is None, "the generation ended before it could be killed"
            assert time.monotonic() < deadline, "no package file appeared within 120 s"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the pool's forkserver and workers, same session
    assert process.returncode == -signal.SIGKILL
    written = len(list(target.glob("*.avro")))
    assert 3 <= written < total, f"killed after {written} of {total} files: not mid-generation"
    manifest = load_manifest(target)
    assert manifest is not None and manifest.status == "in_progress"
    with pytest.raises(IncompleteDatasetError):
        next(iter_samples(target))

    rerun = subprocess.run(_command(target), capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{written} already present" in " ".join(rerun.stdout.split())
    assert not list(target.glob(".*.tmp"))
    assert snapshot(target) == reference


@pytest.mark.slow
def test_a_worker_killed_mid_unit_costs_only_the_units_in_flight(tmp_path: Path) -> None:
    reference = _reference(tmp_path / "reference")
    target = tmp_path / "pool"
    files_at_kill: list[int] = []

    def kill_a_worker_after_two_units(event: UnitEvent) -> None:
        # Runs in the generating thread between two units, so the generation cannot finish meanwhile,
        # and most units are not even submitted yet: the pool is bound to notice the death. Waiting here
        # until the worker is gone leaves no race with the machine's load.
        if not files_at_kill and event.units_done == 2:
            assert kill_pool_workers(1) == 1, "no pool worker found"
            files_at_kill.append(len(list(target.glob("*.avro"))))

    report = MLDataGenerator(workers=2).generate(
        [scenario_class(name)() for name in SCENARIOS], target, **REQUEST, progress=kill_a_worker_after_two_units
    )
    assert files_at_kill == [2]
    assert report.pool_restarts == 1
    assert report.attempts == 1
    assert report.units_written == len(SCENARIOS) * RUNS
    assert snapshot(target) == reference
