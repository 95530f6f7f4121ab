"""Shared harness of the fault-injection tests: run ``envirosense run`` as a real process (optionally
killed with SIGKILL at a failpoint) and fingerprint what a run recorded, to compare runs field by field."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from envirosense.learning.assembly import Workspace
from envirosense.learning.settings import RunSettings
from envirosense.learning.store import RunStore
from envirosense.ops.failpoints import FAILPOINT_ENV
from envirosense.repository import DATABASE_URL_ENV, make_engine

RUN_TIMEOUT_S = 600
RUN_ID = "resumable"


def run_env(failpoint: str | None = None, **extra: str) -> dict[str, str]:
    """This process's environment without inherited failpoints or database URLs, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if key not in (FAILPOINT_ENV, DATABASE_URL_ENV)}
    if failpoint is not None:
        env[FAILPOINT_ENV] = failpoint
    return {**env, **extra}


def run_command(config: Path, *extra: str, log_args: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-m", "envirosense", *log_args, "run", "--config", str(config), "--no-report", *extra]


def run_cli(
    config: Path, *extra: str, failpoint: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``envirosense run --config CONFIG --no-report EXTRA…`` to its end (or its SIGKILL)."""
    return subprocess.run(
        run_command(config, *extra),
        env=env or run_env(failpoint),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def fingerprint(config: Path, run_id: str, database_url: str | None = None) -> dict[str, Any]:
    """What the run recorded: per cycle its step, sample count, macro-F1, the model version it trained
    and whether it was promoted, weak spots, suggestions with their status and the ids of the training
    samples it selected, in order; plus the run's champion version, its status and samples seen twice."""
    overrides = {"database_url": database_url} if database_url else {}
    workspace = Workspace.from_settings(RunSettings.from_file(config, **overrides))
    engine = make_engine(workspace.database_url)
    try:
        store = RunStore(engine)
        cycles = []
        all_ids: list[str] = []
        for index, step, state in store.cycles(run_id):
            # The training set the cycle selected, in order: each slice's kept samples, slice by slice.
            ids = [sample_id for entry in state.datasets or [] for sample_id in entry.ids()]
            all_ids.extend(ids if index > 0 else [])
            summary = state.summary
            assert summary is not None
            cycles.append(
                {
                    "index": index,
                    "step": step.value,
                    "samples_total": summary.samples_total,
                    "macro_f1": summary.macro_f1,
                    "candidate_version": state.candidate_version,
                    "model_version": summary.model_version,
                    "promoted": summary.promoted,
                    "weak_spots": sorted(row["weak_spot_id"] for row in store.weak_spots(run_id, index)),
                    "suggestions": sorted(
                        (row["suggestion_id"], row["status"]) for row in store.suggestions(run_id, index)
                    ),
                    "sample_ids": ids,
                }
            )
        duplicates = [sample_id for sample_id, n in Counter(all_ids).items() if n > 1]
        run = store.run(run_id)
        return {
            "cycles": cycles,
            "duplicates": duplicates,
            "champion_version": run.champion_version,
            "status": run.status,
        }
    finally:
        engine.dispose()
