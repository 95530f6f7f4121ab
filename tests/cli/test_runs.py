"""``envirosense runs`` lists the runs; ``runs show RUN_ID`` prints a run's cycles and their time profile,
from the real run store."""

from __future__ import annotations

import json
from pathlib import Path

from envirosense.learning.assembly import Workspace
from envirosense.learning.history import CycleSummary
from envirosense.learning.settings import RunSettings
from envirosense.learning.state import CycleState
from envirosense.learning.store import CycleStep, RunStore
from envirosense.repository import make_engine
from tests.cli.cli_helpers import invoke, workspace_with_runs

PROFILE = {"training": 3.0, "candidate_evaluation": 0.5, "bookkeeping.models": 0.375, "other": 0.125}


def _record_cycles(root: Path, run_id: str) -> None:
    """Cycle 0 with a time profile and its simulated samples, cycle 1 with neither (as a run older than both
    recorded it)."""
    engine = make_engine(Workspace.from_settings(RunSettings(workspace=root)).database_url)
    store = RunStore(engine)
    for index, profile, simulated in ((0, PROFILE, 340), (1, {}, None)):
        summary = CycleSummary(
            cycle_index=index,
            samples_total=100 * (index + 1),
            samples_simulated=simulated,
            macro_f1=0.5,
            accuracy=0.6,
            per_class_f1={},
            model_version=str(index + 1),
            step_seconds=profile,
        )
        store.record_step(run_id, index, CycleStep.DONE, CycleState(summary=summary))
    engine.dispose()


def test_runs_show_prints_the_time_profile_per_cycle(tmp_path: Path) -> None:
    workspace = workspace_with_runs(tmp_path / "ws", ("alm-1", "alm-2"))
    _record_cycles(workspace, "alm-1")
    listed = invoke("runs", "--workspace", str(workspace), "--json")
    assert listed.exit_code == 0, listed.output
    assert [row["run_id"] for row in json.loads(listed.output)] == ["alm-1", "alm-2"]

    shown = invoke("runs", "show", "alm-1", "--workspace", str(workspace))
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "Time profile (s per step)" in shown.output
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.strip()}
    # Steps in CYCLE_STEPS order, the untimed cycle left out, then the wall time and the bookkeeping share.
    assert [step for step in rows if step in PROFILE] == [
        "training",
        "candidate_evaluation",
        "bookkeeping.models",
        "other",
    ]
    assert rows["training"] == ["3.00"] and rows["bookkeeping.models"] == ["0.38"]
    assert "4.00" in next(line for line in lines if line.strip().startswith("cycle wall"))
    assert "9.4%" in next(line for line in lines if line.strip().startswith("bookkeeping share"))
    header = next(line.split() for line in lines if line.strip().startswith("cycle "))
    assert header[:4] == ["cycle", "samples", "simulated", "macro"]
    assert rows["0"][:2] == ["100", "340"] and rows["1"][:2] == ["200", "–"]  # training, simulated samples

    as_json = json.loads(invoke("runs", "show", "alm-1", "--workspace", str(workspace), "--json").output)
    assert [cycle["step_seconds"] for cycle in as_json["cycles"]] == [PROFILE, {}]
    assert [cycle["samples_simulated"] for cycle in as_json["cycles"]] == [340, None]

    untimed = invoke("runs", "show", "alm-2", "--workspace", str(workspace))
    assert untimed.exit_code == 0 and "No time profile recorded" in untimed.output


def test_runs_show_of_an_unknown_run_names_the_known_ones(tmp_path: Path) -> None:
    workspace = workspace_with_runs(tmp_path / "ws", ("alm-1",))
    result = invoke("runs", "show", "alm-9", "--workspace", str(workspace))
    assert result.exit_code != 0 and "known runs: alm-1" in result.output and "Traceback" not in result.output
