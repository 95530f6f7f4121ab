"""docs/operations.md stays true: its metrics table lists exactly the exported metrics, and the fault
figures it quotes are the ones the suite injects."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from prometheus_client import REGISTRY

import envirosense.ops.metrics  # noqa: F401  (registers the metrics)
from tests.faults import (
    test_fuzz_inputs,
    test_kill_resume,
    test_model_server_faults,
    test_postgres_restart,
    test_workspace_concurrency,
)
from tests.faults.fault_proxy import Fault

DOC = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")


def test_the_metrics_table_lists_every_exported_metric() -> None:
    documented = set(re.findall(r"^\| `(envirosense_[a-z0-9_]+)` \|", DOC, flags=re.MULTILINE))
    exported = {family.name for family in REGISTRY.collect() if family.name.startswith("envirosense_")}
    assert documented == exported


def test_the_fault_figures_are_the_suites() -> None:
    kills = len(test_kill_resume.KILL_POINTS)
    assert f"{kills} faults injected, 1 run completed ({kills + 1} processes)" in DOC
    assert f"`kill -9` at {kills} points" in DOC
    assert f"{len(test_postgres_restart.RESTART_AT)} restarts, 1 run completed" in DOC
    assert f"started again {test_postgres_restart.DOWN_S:g} s later" in DOC
    properties = [name for name in dir(test_fuzz_inputs) if name.startswith("test_")]
    examples = test_fuzz_inputs.FUZZ.max_examples
    assert f"{len(properties)} properties × {examples} examples = {len(properties) * examples} bad inputs" in DOC
    assert f"definitions ({len(test_fuzz_inputs.bad_fields)} fields)" in DOC
    processes, updates = test_workspace_concurrency.PROCESSES, test_workspace_concurrency.UPDATES
    assert f"{processes} processes start runs in one workspace" in DOC
    assert f"{updates} optimistic updates each" in DOC
    assert f"versions 1…{1 + processes * updates} in the history" in DOC
    scheduled: Counter[Fault] = Counter()
    for faults in test_model_server_faults.SCHEDULE.values():
        for fault, count in faults:
            scheduled[fault] += count
    phrases: dict[Fault, str] = {
        "500": "HTTP 500",
        "malformed": "a body that is not JSON",
        "wrong-shape": "a V2 response of the wrong shape",
        "down": "dropped connections",
        "slow": "answers slower than the read timeout",
    }
    for fault, phrase in phrases.items():
        assert f"{scheduled[fault]} × {phrase}" in DOC
    skipped = sum(count for faults in test_model_server_faults.SKIP_SCHEDULE.values() for _, count in faults)
    assert f"With `skip`, {skipped} dropped requests" in DOC
    assert f"{sum(scheduled.values()) + skipped} faults injected, 2 runs completed" in DOC
