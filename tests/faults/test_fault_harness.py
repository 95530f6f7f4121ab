"""The harness's ``fingerprint`` tells apart runs that differ in what they recorded, model versions included:
a run resumed after a fault that trained or promoted another model version must not compare equal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envirosense.learning.assembly import Workspace, prepare_database
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.history import CycleSummary
from envirosense.learning.settings import RunSettings
from envirosense.learning.state import CycleState, CycleStep
from envirosense.learning.store import RunStore
from envirosense.repository import make_engine
from tests.faults.fault_harness import RUN_ID, fingerprint
from tests.learning.loop_helpers import write_small_config


def _recorded(directory: Path, versions: list[str], champion: str) -> Path:
    """A workspace whose run recorded one finished cycle per model version, and ``champion``."""
    directory.mkdir()
    config = write_small_config(directory, directory / "ws")
    workspace = Workspace.from_settings(RunSettings.from_file(config))
    prepare_database(workspace).close()
    engine = make_engine(workspace.database_url)
    try:
        store = RunStore(engine)
        store.create_run(RUN_ID, "alm", ActiveLearningConfig().model_dump(mode="json"))
        for index, version in enumerate(versions):
            summary = CycleSummary(
                cycle_index=index,
                samples_total=10 * (index + 1),
                macro_f1=0.5,
                accuracy=0.6,
                per_class_f1={"normal": 0.5},
                model_version=version,
            )
            state = CycleState(datasets=[], candidate_version=version, summary=summary)
            store.record_step(RUN_ID, index, CycleStep.DONE, state)
        store.set_run(RUN_ID, champion_version=champion)
    finally:
        engine.dispose()
    return config


@pytest.mark.parametrize(
    ("versions", "champion"),
    [(["1", "3"], "3"), (["1", "2"], "1")],
    ids=["another-cycle-model", "another-champion"],
)
def test_runs_that_recorded_other_model_versions_differ(tmp_path: Path, versions: list[str], champion: str) -> None:
    reference: dict[str, Any] = fingerprint(_recorded(tmp_path / "reference", ["1", "2"], "2"), RUN_ID)

    assert fingerprint(_recorded(tmp_path / "same", ["1", "2"], "2"), RUN_ID) == reference
    assert fingerprint(_recorded(tmp_path / "other", versions, champion), RUN_ID) != reference
