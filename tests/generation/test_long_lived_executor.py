"""One executor for many ``generate`` calls (``with MLDataGenerator(...) as generator``): warm workers, the
same datasets, and no worker left behind: on close, on error, on interrupt, or when the process is killed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
import pytest

from envirosense.generation import MLDataGenerator, UnitFailedError
from envirosense.simulation import BaseScenario, registry, scenario_class
from tests.generation.generation_helpers import GenerateRequest, kill_pool_workers, pool_workers, snapshot

REQUEST: GenerateRequest = {"seed": 3, "samples_per_run": 30, "runs_per_scenario": 2}


def scenarios(*names: str) -> list[BaseScenario[Any]]:
    return [scenario_class(name)() for name in names]


def worker_pids() -> set[int]:
    return {process.pid for process in pool_workers()}


def alive(pids: set[int]) -> set[int]:
    """The pids of ``pids`` whose process runs (not ended, not a zombie)."""
    running = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                running.add(pid)
        except psutil.NoSuchProcess:
            continue
    return running


def wait_until_gone(pids: set[int], timeout: float = 30.0) -> set[int]:
    """The pids of ``pids`` still running after waiting up to ``timeout`` seconds for them to end."""
    deadline = time.monotonic() + timeout
    while (running := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


def test_calls_share_warm_workers_and_give_the_datasets_of_separate_calls(tmp_path: Path) -> None:
    first, second = scenarios("baseline_operation"), scenarios("arcing_event", "cellulose_pyrolysis")
    MLDataGenerator(workers=2).generate(first, tmp_path / "a-separate", **REQUEST)
    MLDataGenerator(workers=2).generate(second, tmp_path / "b-separate", **REQUEST)
    assert worker_pids() == set()  # a call on its own closes its pool
    with MLDataGenerator(workers=2) as generator:
        assert generator.is_open
        generator.generate(first, tmp_path / "a-kept", **REQUEST)
        warm = worker_pids()
        assert len(warm) == 2
        generator.generate(second, tmp_path / "b-kept", **REQUEST)
        assert worker_pids() == warm  # the same processes ran the second call
    assert not generator.is_open
    assert wait_until_gone(warm) == set()
    assert snapshot(tmp_path / "a-kept") == snapshot(tmp_path / "a-separate")
    assert snapshot(tmp_path / "b-kept") == snapshot(tmp_path / "b-separate")


def test_a_worker_killed_between_calls_is_replaced(tmp_path: Path) -> None:
    with MLDataGenerator(workers=2) as generator:
        generator.generate(scenarios("baseline_operation"), tmp_path / "first", **REQUEST)
        assert kill_pool_workers(1) == 1
        report = generator.generate(scenarios("arcing_event"), tmp_path / "second", **REQUEST)
    assert report.units_written == 2
    MLDataGenerator(workers=0).generate(scenarios("arcing_event"), tmp_path / "reference", **REQUEST)
    assert snapshot(tmp_path / "second") == snapshot(tmp_path / "reference")


def test_the_block_closes_the_pool_when_it_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="stop"), MLDataGenerator(workers=1) as generator:
        generator.generate(scenarios("baseline_operation"), tmp_path / "one", **REQUEST)
        warm = worker_pids()
        raise RuntimeError("stop")
    assert warm and wait_until_gone(warm) == set()


@pytest.fixture
def overloaded_feeder() -> Iterator[type[BaseScenario[Any]]]:
    """``faulty_scenarios.OverloadedFeederScenario`` (every run raises), registered for the test only."""
    from tests.generation.faulty_scenarios import OverloadedFeederScenario

    registry.register_scenario(OverloadedFeederScenario)
    yield OverloadedFeederScenario
    for name in (OverloadedFeederScenario.__name__, OverloadedFeederScenario.registry_name()):
        registry._REGISTRY.pop(name, None)


def test_a_failing_unit_keeps_the_pool_for_the_next_call(
    tmp_path: Path, overloaded_feeder: type[BaseScenario[Any]]
) -> None:
    with MLDataGenerator(workers=1) as generator:
        generator.generate(scenarios("baseline_operation"), tmp_path / "one", **REQUEST)
        warm = worker_pids()
        with pytest.raises(UnitFailedError):
            generator.generate([overloaded_feeder()], tmp_path / "bad", seed=1, samples_per_run=5)
        generator.generate(scenarios("arcing_event"), tmp_path / "two", **REQUEST)
        assert worker_pids() == warm


KILLED_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import psutil
    from envirosense.generation import MLDataGenerator
    from envirosense.ops.logging import configure_logging
    from envirosense.simulation import scenario_class

    if __name__ == "__main__":
        configure_logging("WARNING")
        generator = MLDataGenerator(workers=2).open()
        generator.generate([scenario_class("baseline_operation")()], Path(sys.argv[1]), seed=1, samples_per_run=10)
        print(*(child.pid for child in psutil.Process().children(recursive=True)), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_sigkill_of_the_process_leaves_no_orphan_workers(tmp_path: Path) -> None:
    script = tmp_path / "killed.py"
    script.write_text(KILLED_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    # The pool (workers, forkserver, resource tracker) as the script saw it, idle after its generation.
    descendants = {int(pid) for pid in process.stdout.readline().split()}
    assert len(descendants) >= 2
    try:
        # Not reaped yet, the killed parent stays a zombie, as it does while a caller such as
        # subprocess.run still waits for the end of its output, which the workers hold: they must end anyway.
        parent = psutil.Process(process.pid)
        deadline = time.monotonic() + 120
        while parent.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.05)
        assert parent.status() == psutil.STATUS_ZOMBIE
        assert wait_until_gone(descendants) == set(), "pool processes outlived their killed parent"
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        for pid in alive(descendants):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_an_interrupt_ends_a_pool_whose_workers_are_busy_without_waiting_for_them() -> None:
    """``local_executor`` left by an exception abandons the work: busy workers are ended, not waited on."""
    from envirosense.generation.executors import local_executor

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), local_executor(2) as handle:
        futures = [handle.executor.submit(time.sleep, 60) for _ in range(2)]
        while not all(future.running() for future in futures):
            time.sleep(0.05)
        pids = set(handle.executor._processes)  # type: ignore[attr-defined]
        raise KeyboardInterrupt
    assert not wait_until_gone(pids, timeout=10)
    assert time.monotonic() - started < 30  # not the 60 s the tasks would take
