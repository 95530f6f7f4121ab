from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envirosense.learning.budget import split_budget


def test_split_is_proportional_and_keeps_exploration() -> None:
    split = split_budget([0.6, 0.3, 0.1], 1000, exploration_share=0.2, min_per_spot=10, max_spots=10)
    assert split.exploration == 200
    assert split.per_spot == (480, 240, 80)


def test_spots_below_minimum_are_dropped_and_their_share_redistributed() -> None:
    split = split_budget([0.9, 0.09, 0.01], 100, exploration_share=0.0, min_per_spot=20, max_spots=10)
    assert split.per_spot == (100, 0, 0)


def test_only_the_best_spots_are_funded() -> None:
    split = split_budget([0.1, 0.5, 0.4], 90, exploration_share=0.0, min_per_spot=1, max_spots=2)
    assert split.per_spot == (0, 50, 40)


def test_no_spots_means_all_exploration() -> None:
    assert split_budget([], 50, exploration_share=0.2, min_per_spot=5, max_spots=3).exploration == 50
    assert split_budget([0.0, 0.0], 50, exploration_share=0.2, min_per_spot=5, max_spots=3).exploration == 50


def test_bad_arguments_rejected() -> None:
    with pytest.raises(ValueError):
        split_budget([1.0], 10, exploration_share=1.5, min_per_spot=1, max_spots=1)


@given(
    utilities=st.lists(st.floats(0, 1), max_size=30),
    total=st.integers(0, 5000),
    share=st.floats(0, 1),
    minimum=st.integers(1, 100),
    max_spots=st.integers(0, 30),
)
def test_split_always_sums_to_total_and_respects_minimum(
    utilities: list[float], total: int, share: float, minimum: int, max_spots: int
) -> None:
    split = split_budget(utilities, total, exploration_share=share, min_per_spot=minimum, max_spots=max_spots)
    assert split.total == total
    assert len(split.per_spot) == len(utilities)
    funded = [n for n in split.per_spot if n > 0]
    assert len(funded) <= max_spots
    assert all(n >= minimum for n in funded) or len(funded) == 1
