"""The seed decides every draw: two runs that differ only in their run id end identical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from envirosense.generation.reader import iter_samples
from envirosense.learning.assembly import build_manager
from envirosense.learning.manager import ActiveLearningManager
from envirosense.learning.settings import RunSettings
from envirosense.learning.trainer import CandidateTrainer
from tests.learning.loop_helpers import write_small_config

pytestmark = pytest.mark.slow

NAMES = {"sample_metadata", "scenario_id", "generation_timestamp_utc"}
"""Sample fields that name the run (lineage, scenario ids) or record the clock: everything else is drawn."""


def _selected(manager: ActiveLearningManager, run_id: str) -> list[list[tuple[str, dict[str, Any]]]]:
    """Per cycle, the kept samples in order: (sample id, content without the names and the clock)."""
    cycles = []
    for _, _, state in manager.store.cycles(run_id):
        kept = []
        for entry in state.datasets or []:
            wanted = set(entry.sample_ids) if entry.sample_ids else None
            for sample in iter_samples(Path(entry.path)):
                if wanted is None or sample["sample_id"] in wanted:
                    content = {k: v for k, v in sample.items() if k not in NAMES}
                    kept.append((str(sample["sample_id"]), content))
        cycles.append(kept)
    return cycles


def _tree_arrays(manager: ActiveLearningManager, version: str) -> list[np.ndarray[Any, Any]]:
    assert isinstance(manager.trainer, CandidateTrainer)
    estimator = manager.trainer.registry.load(version).estimator
    arrays: list[np.ndarray[Any, Any]] = []
    for member in estimator.estimators_:
        tree = member.tree_
        arrays.extend([tree.feature, tree.threshold, tree.value])
    return arrays


@pytest.mark.parametrize("strategy", ["alm", "random", "pool-margin", "cluster-margin"])
def test_two_run_ids_with_one_seed_end_identical(tmp_path: Path, strategy: str) -> None:
    config = write_small_config(tmp_path, tmp_path / "ws", strategy=strategy)
    config.write_text(config.read_text("utf-8").replace("max_cycles = 2", "max_cycles = 1"), encoding="utf-8")
    settings = RunSettings.from_file(config)
    managers = {run_id: build_manager(settings, run_id) for run_id in ("first-name", "other-name")}
    histories = {run_id: manager.run() for run_id, manager in managers.items()}

    first, other = histories["first-name"], histories["other-name"]
    assert [c.cycle_index for c in first.cycles] == [0, 1]
    assert [c.macro_f1 for c in first.cycles] == [c.macro_f1 for c in other.cycles]
    assert [c.per_class_f1 for c in first.cycles] == [c.per_class_f1 for c in other.cycles]
    assert [c.samples_total for c in first.cycles] == [c.samples_total for c in other.cycles]
    assert [c.samples_simulated for c in first.cycles] == [c.samples_simulated for c in other.cycles]

    selected = {run_id: _selected(manager, run_id) for run_id, manager in managers.items()}
    assert selected["first-name"][1], "cycle 1 kept no sample"
    assert selected["first-name"] == selected["other-name"]

    for mine, theirs in zip(first.cycles, other.cycles, strict=True):
        assert mine.model_version and theirs.model_version
        arrays = _tree_arrays(managers["first-name"], mine.model_version)
        others = _tree_arrays(managers["other-name"], theirs.model_version)
        assert len(arrays) == len(others)
        for a, b in zip(arrays, others, strict=True):
            np.testing.assert_array_equal(a, b)
