"""The fault-injection suite drives the real loop on the tiny configuration of the loop's own tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.fault_harness import RUN_ID, fingerprint, run_cli
from tests.learning.loop_helpers import write_small_config


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted one-cycle run of the tiny configuration on SQLite, fingerprinted."""
    directory = tmp_path_factory.mktemp("reference")
    config = write_small_config(directory, directory / "ws")
    finished = run_cli(config, "--run-id", RUN_ID, "--cycles", "1")
    assert finished.returncode == 0, finished.stderr[-3000:]
    return fingerprint(config, RUN_ID)
