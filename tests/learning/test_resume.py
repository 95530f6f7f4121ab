"""kill -9 a real run at several points of a cycle, resume it, and compare with an uninterrupted run of
the same seed: identical cycle records and datasets, nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from loop_helpers import write_small_config

from envirosense.generation.reader import iter_samples
from envirosense.learning.assembly import Workspace
from envirosense.learning.settings import RunSettings
from envirosense.learning.store import RunStore
from envirosense.ops.failpoints import FAILPOINT_ENV
from envirosense.repository import make_engine

pytestmark = pytest.mark.slow

RUN_ID = "resumable"
KILL_POINTS = [
    "cycle-0:before-trained",
    "cycle-1:before-identified",
    "cycle-1:applied-suggestion-0",
    "cycle-1:before-trained",
    "cycle-1:before-done",
]


def _run(config: Path, *extra: str, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != FAILPOINT_ENV}
    if failpoint is not None:
        env[FAILPOINT_ENV] = failpoint
    command = [sys.executable, "-m", "envirosense", "run", "--config", str(config), "--cycles", "1", "--no-report"]
    return subprocess.run([*command, *extra], env=env, capture_output=True, text=True, timeout=600, check=False)


def _fingerprint(config: Path) -> dict[str, Any]:
    workspace = Workspace.from_settings(RunSettings.from_file(config))
    store = RunStore(make_engine(workspace.database_url))
    cycles = []
    all_ids: list[str] = []
    for index, step, outputs in store.cycles(RUN_ID):
        ids: list[str] = []
        for entry in outputs.get("datasets", []):
            ids.extend(sample["sample_id"] for sample in iter_samples(Path(entry["path"]), validate=False))
        all_ids.extend(ids if index > 0 else [])
        summary = outputs["summary"]
        cycles.append(
            {
                "index": index,
                "step": step.value,
                "samples_total": summary["samples_total"],
                "macro_f1": summary["macro_f1"],
                "promoted": summary["promoted"],
                "weak_spots": sorted(row["weak_spot_id"] for row in store.weak_spots(RUN_ID, index)),
                "suggestions": sorted(
                    (row["suggestion_id"], row["status"]) for row in store.suggestions(RUN_ID, index)
                ),
                "sample_ids": sorted(ids),
            }
        )
    duplicates = [sample_id for sample_id, n in Counter(all_ids).items() if n > 1]
    return {"cycles": cycles, "duplicates": duplicates, "status": store.run(RUN_ID)["status"]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("reference")
    config = write_small_config(directory, directory / "ws")
    finished = _run(config, "--run-id", RUN_ID)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return _fingerprint(config)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_then_resume_equals_an_uninterrupted_run(point: str, reference: dict[str, Any], tmp_path: Path) -> None:
    config = write_small_config(tmp_path, tmp_path / "ws")
    killed = _run(config, "--run-id", RUN_ID, failpoint=point)
    assert killed.returncode == -signal.SIGKILL, f"the failpoint {point} was not reached:\n{killed.stderr[-2000:]}"
    resumed = _run(config, "--resume", RUN_ID)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    after = _fingerprint(config)
    assert after["duplicates"] == []
    assert after == reference
