"""The CI regression check of issue 8: in the benchmark's quick mode, ALM still beats random generation on
the area under the learning curve. Deterministic: the same seeds give the same runs on every machine that
runs the same code, so a failure means a change made the loop learn slower."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import sample_efficiency

pytestmark = pytest.mark.slow


def test_quick_mode_alm_beats_random_on_both_evaluation_sets(tmp_path: Path) -> None:
    code = sample_efficiency.main(["--quick", "--check", "--strategies", "alm,random", "--out", str(tmp_path)])
    assert code == 0
    results = json.loads((tmp_path / "sample_efficiency_quick.json").read_text())
    for evaluation in sample_efficiency.EVALUATION_SETS:
        labels = results[evaluation]["labels"]
        assert sum(labels["alm"]["aubc"]) > sum(labels["random"]["aubc"]), evaluation
    quality = results["quality"]
    assert quality["alm"]["hit_rate"] > quality["random"]["hit_rate"]
    assert (tmp_path / "sample_efficiency_quick.png").stat().st_size > 10_000


def test_aubc_and_samples_to_target_on_a_known_curve() -> None:
    samples, scores = [100, 200, 300], [0.2, 0.4, 0.4]
    assert sample_efficiency.aubc(samples, scores, 100, 300) == pytest.approx(0.35, abs=0.002)
    assert sample_efficiency.samples_to_reach(samples, scores, 0.3) == pytest.approx(150.0)
    assert math.isinf(sample_efficiency.samples_to_reach(samples, scores, 0.5))
    assert sample_efficiency.reach_ratio(150.0, 300.0, 300) == "0.50"
    assert sample_efficiency.reach_ratio(150.0, math.inf, 300) == "< 0.50"
    assert sample_efficiency.reach_ratio(math.inf, math.inf, 300) == "–"
