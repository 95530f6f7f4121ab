"""Budget by learning progress: rewards from probe F1 gains of funded classes, weights, the ledger."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from envirosense.learning.allocation import ProgressLedger, class_progress, progress_weights
from envirosense.schemas import ModelPerformanceData


def test_progress_is_the_mean_gain_over_funded_cycles_only() -> None:
    funded = [{"arcing": 3, "normal": 0}, {"arcing": 2, "corona_discharge": 1}]
    probes = [
        {"arcing": 0.2, "normal": 0.9, "corona_discharge": 0.1},
        {"arcing": 0.5, "normal": 0.7, "corona_discharge": 0.1},
        {"arcing": 0.4, "normal": 0.95, "corona_discharge": 0.3},
    ]
    progress = class_progress(funded, probes)
    assert progress == pytest.approx({"arcing": (0.3 - 0.1) / 2, "corona_discharge": 0.2})
    assert "normal" not in progress  # never funded: no evidence either way


def test_the_last_allocation_waits_for_the_next_probe() -> None:
    assert class_progress([{"arcing": 1}], [{"arcing": 0.2}]) == {}


def test_weights_favour_progress_and_punish_stagnation() -> None:
    weights = progress_weights([0.5, 0.5, 0.5], ["a", "b", "c"], {"a": 0.1, "b": -0.1}, rate=10)
    assert weights == pytest.approx([0.5 * math.e, 0.5 / math.e, 0.5])
    assert progress_weights([0.5], ["a"], {"a": 0.1}, rate=0) == [0.5]


def test_the_ledger_reads_back_what_cycles_recorded(
    tmp_path: Path, make_performance: Callable[..., ModelPerformanceData]
) -> None:
    ledger = ProgressLedger(tmp_path)
    for index, recall in ((1, 0.4), (2, 0.6)):
        feedback = make_performance(recalls={"arcing": recall, "normal": 0.9})
        per_class = {
            label: metrics.model_copy(update={"f1_score": metrics.recall})
            for label, metrics in feedback.per_class_metrics.items()
        }
        folder = tmp_path / f"cycle-{index}"
        folder.mkdir()
        (folder / "probe_feedback.json").write_text(
            feedback.model_copy(update={"per_class_metrics": per_class}).model_dump_json(), encoding="utf-8"
        )
    ledger.record(1, {"arcing": 4})
    assert ledger.progress(1) == {}
    assert ledger.progress(2) == pytest.approx({"arcing": 0.2})
    assert ledger.progress(3) == pytest.approx({"arcing": 0.2})  # cycle 3 has no probe yet
