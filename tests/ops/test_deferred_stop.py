"""A stop requested inside an ``uninterrupted`` block waits for the block; outside one it is immediate. The
CLI's signal handler goes through it, so a real SIGINT in a block is deferred too."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from envirosense.cli.interrupts import STOP_SIGNALS, stop_once
from envirosense.ops.deferred_stop import request_stop, uninterrupted


def test_a_stop_outside_a_block_is_immediate() -> None:
    with pytest.raises(KeyboardInterrupt):
        request_stop()


def test_a_stop_inside_nested_blocks_is_raised_when_the_outermost_ends() -> None:
    done: list[str] = []
    with pytest.raises(KeyboardInterrupt), uninterrupted():
        with uninterrupted():
            request_stop()
            done.append("inner")
        done.append("outer")
    assert done == ["inner", "outer"]
    with uninterrupted():  # the stop was consumed: the next block runs through
        done.append("next")
    assert done[-1] == "next"


def test_a_stop_replaces_the_error_of_the_block_it_waited_for() -> None:
    with pytest.raises(KeyboardInterrupt) as stopped, uninterrupted():
        request_stop()
        raise ValueError("the write failed")
    assert isinstance(stopped.value.__context__, ValueError)


@pytest.fixture
def stop_handlers() -> Iterator[None]:
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    signal.signal(signal.SIGINT, stop_once)
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@pytest.mark.usefixtures("stop_handlers")
def test_a_real_ctrl_c_inside_a_block_lets_the_block_finish() -> None:
    finished = False
    with pytest.raises(KeyboardInterrupt), uninterrupted():
        os.kill(os.getpid(), signal.SIGINT)
        total = sum(range(100_000))  # the handler runs somewhere in here
        finished = total > 0
    assert finished
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # stop once: later signals are ignored


def test_a_block_in_another_thread_does_not_hold_back_the_main_threads_stop() -> None:
    entered, release = threading.Event(), threading.Event()

    def write() -> None:
        with uninterrupted():
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=write)
    worker.start()
    entered.wait(5)
    try:
        with pytest.raises(KeyboardInterrupt):
            request_stop()
    finally:
        release.set()
        worker.join()
