from __future__ import annotations

import pytest

from envirosense.learning.simulation_count import SimulationCounter


def test_take_returns_what_was_added_since_the_last_take() -> None:
    counter = SimulationCounter()
    counter.add(30)
    counter.add(12)
    assert counter.take() == 42
    assert counter.take() == 0
    counter.add(5)
    assert counter.take() == 5


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        SimulationCounter().add(-1)
