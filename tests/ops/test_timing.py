"""StepTimer: exclusive seconds per step, on a clock the test drives, and the Prometheus histogram."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import CollectorRegistry, Histogram

from envirosense.ops.timing import StepTimer, timed, timing


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_nested_steps_are_counted_once_and_the_profile_adds_up() -> None:
    clock = FakeClock()
    timer = StepTimer(clock=clock)
    with timer.step("training"):
        clock.advance(2.0)
        with timer.step("bookkeeping"):
            clock.advance(0.5)
            with timer.step("files"):
                clock.advance(0.25)
        clock.advance(1.0)
    with timer.step("bookkeeping"):
        clock.advance(0.125)
    assert timer.profile() == {"training": 3.0, "bookkeeping": 0.625, "files": 0.25}
    assert timer.total == pytest.approx(3.875)
    assert list(timer.profile()) == ["training", "bookkeeping", "files"]


def test_a_step_that_raises_is_still_timed() -> None:
    clock = FakeClock()
    timer = StepTimer(clock=clock)
    with pytest.raises(RuntimeError), timer.step("generation"):
        clock.advance(4.0)
        raise RuntimeError("executor down")
    assert timer.profile() == {"generation": 4.0}


def test_histogram_observes_each_block_exclusively() -> None:
    registry = CollectorRegistry()
    histogram = Histogram("t_step_seconds", "test", ["step"], registry=registry, buckets=(1.0, 10.0))
    clock = FakeClock()
    timer = StepTimer(histogram=histogram, clock=clock)
    with timer.step("training"):
        clock.advance(3.0)
        with timer.step("bookkeeping"):
            clock.advance(0.5)
    assert registry.get_sample_value("t_step_seconds_sum", {"step": "training"}) == 3.0
    assert registry.get_sample_value("t_step_seconds_sum", {"step": "bookkeeping"}) == 0.5
    assert registry.get_sample_value("t_step_seconds_count", {"step": "training"}) == 1.0


def test_threads_nest_separately_and_totals_add() -> None:
    timer = StepTimer()
    inside = threading.Barrier(2)

    def work() -> None:
        with timer.step("generation"):
            inside.wait()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Both blocks ended with an empty stack on their own thread: neither was taken for the other's parent.
    assert set(timer.profile()) == {"generation"}
    assert timer.profile()["generation"] > 0


def test_bad_input_is_refused() -> None:
    timer = StepTimer()
    with pytest.raises(ValueError, match="name"), timer.step(""):
        pass
    with pytest.raises(ValueError, match="0 or more"):
        timer.add("x", -1.0)


def test_timed_times_into_the_bound_timer_at_any_depth_and_nothing_unbound() -> None:
    clock = FakeClock()
    timer = StepTimer(clock=clock)

    @timed("bookkeeping.database")
    def save() -> str:
        clock.advance(0.25)
        return "saved"

    assert save() == "saved"  # no timer bound: nothing timed, nothing fails
    with timing(timer), timed("training"):
        clock.advance(1.0)
        assert save() == "saved"
        assert save() == "saved"
    assert save() == "saved"  # the binding ended with the block
    assert timer.profile() == {"training": 1.0, "bookkeeping.database": 0.5}


def test_bindings_nest_and_restore() -> None:
    outer, inner = StepTimer(clock=FakeClock()), StepTimer(clock=FakeClock())
    with timing(outer):
        with timing(inner), timed("inner step"):
            pass
        with timed("outer step"):
            pass
    assert list(inner.profile()) == ["inner step"] and list(outer.profile()) == ["outer step"]
