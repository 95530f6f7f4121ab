from __future__ import annotations

import math

import numpy as np
import pytest

from envirosense.learning.comparison import (
    aubc,
    bootstrap_difference,
    bootstrap_mean,
    compare_runs,
    default_target,
    samples_to_reach,
)
from envirosense.learning.history import CycleSummary, RunHistory


def _run(run_id: str, strategy: str, points: list[tuple[int, float]]) -> RunHistory:
    cycles = [
        CycleSummary(
            cycle_index=i, samples_total=n, macro_f1=f1, accuracy=f1, per_class_f1={}, model_version=str(i + 1)
        )
        for i, (n, f1) in enumerate(points)
    ]
    return RunHistory(run_id=run_id, strategy=strategy, status="completed", cycles=cycles)


def test_aubc_is_the_mean_of_the_interpolated_curve() -> None:
    # a straight line from 0.2 at 100 samples to 0.6 at 300: its mean over 100–300 is 0.4, over 200–300 is 0.5
    assert aubc([100, 300], [0.2, 0.6], 100, 300) == pytest.approx(0.4)
    assert aubc([100, 300], [0.2, 0.6], 200, 300) == pytest.approx(0.5)
    assert aubc([100, 300], [0.2, 0.6], 300, 300) == pytest.approx(0.6)


def test_samples_to_reach_interpolates_and_says_never() -> None:
    assert samples_to_reach([100, 300], [0.2, 0.6], 0.4) == pytest.approx(200)
    assert samples_to_reach([100, 300], [0.5, 0.6], 0.4) == 100
    assert math.isinf(samples_to_reach([100, 300], [0.2, 0.3], 0.4))


def test_bootstrap_intervals_cover_the_mean_and_collapse_for_one_run() -> None:
    rng = np.random.default_rng(1)
    estimate = bootstrap_mean(np.array([0.6, 0.7, 0.8, 0.65]), rng)
    assert estimate.low < estimate.mean < estimate.high and estimate.n == 4
    single = bootstrap_mean(np.array([0.7]), rng)
    assert single.low == single.mean == single.high == 0.7 and single.text() == "0.700"
    difference = bootstrap_difference(np.array([0.8, 0.82]), np.array([0.6, 0.64]), rng)
    assert difference.mean == pytest.approx(0.19) and 0.16 <= difference.low <= difference.high <= 0.22


def test_runs_are_grouped_by_strategy_and_scored_on_the_common_range() -> None:
    alm = _run("alm-1", "alm", [(100, 0.3), (300, 0.7), (500, 0.8)])
    alm2 = _run("alm-2", "alm", [(100, 0.3), (300, 0.6), (500, 0.8)])
    rnd = _run("rnd-1", "random", [(100, 0.3), (300, 0.5), (400, 0.6)])
    comparison = compare_runs(alm, [alm2, rnd], np.random.default_rng(0), target=0.6)
    assert comparison.aubc_range == (100.0, 400.0)
    mine, baseline = comparison.results
    assert mine.strategy == "alm" and mine.run_ids == ["alm-1", "alm-2"] and mine.aubc_difference is None
    assert baseline.final_macro_f1.mean == pytest.approx(0.6)
    expected = np.mean([aubc(*r.learning_curve(), 100, 400) for r in (alm, alm2)]) - aubc(
        *rnd.learning_curve(), 100, 400
    )
    assert baseline.aubc_difference is not None and baseline.aubc_difference.mean == pytest.approx(expected)
    assert mine.samples_to_target == [pytest.approx(250), pytest.approx(300)] and baseline.samples_to_target == [400]
    assert default_target([alm, alm2, rnd]) == pytest.approx(0.79)  # median final 0.8 − 0.01


def test_the_default_target_is_never_below_where_the_runs_start() -> None:
    improving = _run("a", "alm", [(100, 0.35), (200, 0.48)])
    flat = [_run(f"r{i}", "random", [(100, 0.35 + i / 200), (200, 0.35 + i / 200)]) for i in range(2)]
    target = default_target([improving, *flat])
    assert target == pytest.approx((0.355 + 0.48) / 2, abs=1e-3)  # not 0.345, which every run starts above
    assert samples_to_reach(*improving.learning_curve(), target) > 100
    assert math.isinf(samples_to_reach(*flat[1].learning_curve(), target))


def test_a_run_without_cycles_cannot_be_compared() -> None:
    empty = RunHistory(run_id="e", strategy="random", status="running", cycles=[])
    with pytest.raises(ValueError, match=r"without a completed cycle.*: e"):
        compare_runs(_run("a", "alm", [(100, 0.5)]), [empty], np.random.default_rng(0))
