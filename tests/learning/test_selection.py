"""Batch selection: uncertain samples that are unlike each other, capped per scenario run."""

from __future__ import annotations

import numpy as np

from envirosense.learning.selection import diverse_uncertain, run_of


def _proba(rows: list[list[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64)


def test_without_diversity_the_smallest_margins_win() -> None:
    proba = _proba([[0.9, 0.1, 0.0], [0.5, 0.45, 0.05], [0.6, 0.3, 0.1], [0.34, 0.33, 0.33]])
    ids = ["r1-0", "r2-0", "r3-0", "r4-0"]
    assert diverse_uncertain(proba, ids, 2, np.random.default_rng(0), diversity=False) == [3, 1]


def test_diversity_spreads_the_batch_over_different_confusions() -> None:
    # Ten near-copies of one a/b confusion and one a/c confusion, each a little more certain.
    same = [[0.5 + i / 1000, 0.5 - i / 1000, 0.0] for i in range(10)]
    proba = _proba([*same, [0.55, 0.0, 0.45]])
    ids = [f"r{i}-0" for i in range(11)]
    by_margin = diverse_uncertain(proba, ids, 2, np.random.default_rng(0), diversity=False)
    assert 10 not in by_margin
    for seed in range(5):
        assert 10 in diverse_uncertain(proba, ids, 2, np.random.default_rng(seed))


def test_confident_samples_are_never_drawn_while_uncertain_ones_remain() -> None:
    proba = _proba([[1.0, 0.0], [1.0, 0.0], [0.6, 0.4], [0.4, 0.6]])
    chosen = diverse_uncertain(proba, ["a-0", "b-0", "c-0", "d-0"], 2, np.random.default_rng(1))
    assert sorted(chosen) == [2, 3]


def test_a_run_gives_at_most_its_cap_until_nothing_else_is_left() -> None:
    proba = _proba([[0.5, 0.5]] * 4 + [[0.9, 0.1]] * 2)
    ids = ["run-a-0", "run-a-1", "run-a-2", "run-a-3", "run-b-0", "run-b-1"]
    chosen = diverse_uncertain(proba, ids, 4, np.random.default_rng(0), max_per_run=2, diversity=False)
    assert sorted(run_of(ids[i]) for i in chosen) == ["run-a", "run-a", "run-b", "run-b"]
    everything = diverse_uncertain(proba, ids, 6, np.random.default_rng(0), max_per_run=2, diversity=False)
    assert sorted(everything) == list(range(6))


def test_the_same_generator_seed_gives_the_same_batch() -> None:
    rng = np.random.default_rng(4)
    proba = rng.dirichlet(np.ones(5), size=60)
    ids = [f"run{i // 6}-{i % 6}" for i in range(60)]
    first = diverse_uncertain(proba, ids, 20, np.random.default_rng(9), max_per_run=3)
    assert first == diverse_uncertain(proba, ids, 20, np.random.default_rng(9), max_per_run=3)
    assert len(set(first)) == 20


def test_the_shortlist_keeps_diversity_among_the_informative() -> None:
    # Two tight a/b confusions and two far, barely uncertain a/c samples: diversity alone would reach for
    # the far ones, the shortlist of the three smallest margins does not.
    proba = _proba([[0.5, 0.5, 0.0], [0.52, 0.48, 0.0], [0.54, 0.46, 0.0], [0.9, 0.0, 0.1], [0.91, 0.0, 0.09]])
    ids = [f"r{i}-0" for i in range(5)]
    for seed in range(5):
        assert sorted(diverse_uncertain(proba, ids, 2, np.random.default_rng(seed), shortlist=3)) in ([0, 1], [0, 2])


def test_a_given_uncertainty_replaces_the_margin_everywhere() -> None:
    # Samples 0 and 1 tie their top two classes (ambiguous); 2 and 3 are fairly sure but the members disagree
    # on them: ranking by that epistemic score keeps 2 and 3, ranking by margin keeps 0 and 1.
    proba = _proba([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.8, 0.2, 0.0], [0.2, 0.0, 0.8], [0.9, 0.1, 0.0]])
    ids = [f"r{i}-0" for i in range(5)]
    epistemic = np.array([0.01, 0.02, 0.30, 0.25, 0.0])
    rng = np.random.default_rng(0)
    assert sorted(diverse_uncertain(proba, ids, 2, rng, diversity=False)) == [0, 1]
    assert diverse_uncertain(proba, ids, 2, rng, diversity=False, uncertainty=epistemic) == [2, 3]
    for seed in range(5):
        chosen = diverse_uncertain(proba, ids, 2, np.random.default_rng(seed), shortlist=2, uncertainty=epistemic)
        assert sorted(chosen) == [2, 3]
    # A sample without epistemic uncertainty is never drawn while another is left.
    everything_but_4 = diverse_uncertain(proba, ids, 4, np.random.default_rng(3), uncertainty=epistemic)
    assert 4 not in everything_but_4
