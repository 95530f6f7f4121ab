"""The generator's executor behind bounded retries and a circuit breaker, against real failures.

A scheduler address where nothing listens, a listener that never answers, a process pool whose workers
are killed, a Dask worker killed mid-run: each is retried, then fails with ``GeneratorUnavailableError``
and opens the breaker; the same generator recovers by itself once the service is back, and writes the
dataset a healthy run writes. A unit that rejects its input fails at once and never counts.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from envirosense.generation import (
    GeneratorUnavailableError,
    InvalidRequestError,
    MLDataGenerator,
    SchedulerUnavailableError,
    UnitEvent,
    UnitFailedError,
)
from envirosense.schemas import ScenarioDefinition
from envirosense.simulation import BaseScenario, registry, scenario_class
from tests.generation.generation_helpers import GenerateRequest, kill_pool_workers, snapshot

SCENARIOS = ("baseline_operation", "arcing_event", "corona_discharge")
REQUEST: GenerateRequest = {"seed": 13, "samples_per_run": 40, "interval_seconds": 15.0, "runs_per_scenario": 3}


class RetryOptions(TypedDict):
    """Keyword options of ``MLDataGenerator`` for retries and the breaker (``backoff_initial_s`` in seconds)."""

    executor_attempts: int
    backoff_initial_s: float
    breaker_fail_max: int


FAST_RETRIES: RetryOptions = {"executor_attempts": 2, "backoff_initial_s": 0.01, "breaker_fail_max": 2}


def _scenarios() -> list[BaseScenario[Any]]:
    return [scenario_class(name)() for name in SCENARIOS]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _events(logs: list[MutableMapping[str, Any]], name: str) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


def _gauge(breaker: str) -> float | None:
    return REGISTRY.get_sample_value("envirosense_circuit_breaker_state", {"breaker": breaker})


def _inodes(directory: Path) -> dict[str, int]:
    return {path.name: path.stat().st_ino for path in directory.glob("*.avro")}


def _wait_for_trial(error: GeneratorUnavailableError) -> None:
    """Sleep until the breaker's reset timeout has passed (no assertion on how long anything takes)."""
    assert error.next_trial_at is not None
    time.sleep(max((error.next_trial_at - datetime.now(UTC)).total_seconds(), 0.0) + 0.05)


@pytest.fixture
def overloaded_feeder() -> Iterator[type[BaseScenario[Any]]]:
    """``faulty_scenarios.OverloadedFeederScenario``, registered for the test only."""
    from tests.generation.faulty_scenarios import OverloadedFeederScenario

    registry.register_scenario(OverloadedFeederScenario)
    yield OverloadedFeederScenario
    for name in (OverloadedFeederScenario.__name__, OverloadedFeederScenario.registry_name()):
        registry._REGISTRY.pop(name, None)


@pytest.fixture
def reference(tmp_path: Path) -> dict[str, Any]:
    """The dataset of a healthy in-process run of ``REQUEST``."""
    MLDataGenerator(workers=0).generate(_scenarios(), tmp_path / "reference", **REQUEST)
    return snapshot(tmp_path / "reference")


def test_the_breaker_is_named_and_its_parameters_are_explicit() -> None:
    generator = MLDataGenerator()
    assert generator.breaker.name == "generator-executor"
    assert (generator.breaker.fail_max, generator.breaker.reset_timeout) == (3, 30.0)
    assert generator.executor_attempts == 3
    assert _gauge("generator-executor") == 0
    with pytest.raises(InvalidRequestError, match="breaker_fail_max"):
        MLDataGenerator(breaker_fail_max=0)
    with pytest.raises(InvalidRequestError, match="executor_attempts"):
        MLDataGenerator(executor_attempts=0)


def test_bad_input_fails_at_once_and_never_trips_the_breaker(
    tmp_path: Path, overloaded_feeder: type[BaseScenario[Any]]
) -> None:
    # One counted failure would open this breaker.
    generator = MLDataGenerator(workers=1, breaker_fail_max=1, breaker_name="test-bad-input")
    definition = scenario_class("baseline_operation")().to_definition()
    out_of_range = ScenarioDefinition.model_validate(
        {**definition.model_dump(), "specific_params_json": json.dumps({"environment": {"wind_speed_m_s": 99}})}
    )
    with capture_logs() as logs:
        with pytest.raises(InvalidRequestError, match=r"environment\.wind_speed_m_s"):
            generator.generate([out_of_range], tmp_path / "invalid", seed=1, samples_per_run=5)
        for _ in range(2):  # a real process pool runs the unit; it raises on every worker, every time
            with pytest.raises(UnitFailedError, match=r"(?s)ValidationError.*grid_load_fraction") as failed:
                generator.generate([overloaded_feeder()], tmp_path / "unit", seed=1, samples_per_run=5)
            assert not isinstance(failed.value, GeneratorUnavailableError)
            assert type(failed.value.__cause__).__name__ == "ValidationError"
    assert generator.breaker.current_state == "closed"
    assert generator.breaker.fail_counter == 0
    assert not _events(logs, "generator_executor_retry")
    assert not _events(logs, "circuit_breaker_state")
    assert _gauge("test-bad-input") == 0


def test_a_pool_that_breaks_beyond_its_restarts_is_retried_and_the_retry_keeps_written_files(
    tmp_path: Path, reference: dict[str, Any]
) -> None:
    target = tmp_path / "pool"
    generator = MLDataGenerator(workers=2, max_pool_restarts=0, backoff_initial_s=0.01, breaker_name="test-pool-retry")
    at_kill: dict[str, int] = {}

    def kill_the_pool_after_two_units(event: UnitEvent) -> None:
        # In the generating thread, between two units: the pool cannot finish meanwhile, and with every
        # worker dead no further unit can complete, so the pool breaks for certain.
        if not at_kill and event.units_done == 2:
            at_kill.update(_inodes(target))
            assert kill_pool_workers() >= 1, "no pool worker found"

    with capture_logs() as logs:
        report = generator.generate(_scenarios(), target, **REQUEST, progress=kill_the_pool_after_two_units)
    assert len(at_kill) == 2
    assert report.attempts == 2
    assert (report.units_written, report.units_skipped) == (9, 0)  # each unit counted once over both attempts
    assert snapshot(target) == reference
    # The files the broken attempt wrote were verified and kept by the retry, not written again.
    assert {name: inode for name, inode in _inodes(target).items() if name in at_kill} == at_kill
    (retry,) = _events(logs, "generator_executor_retry")
    assert retry["attempt"] == 1 and "max_pool_restarts=0" in retry["error"]
    assert generator.breaker.current_state == "closed" and generator.breaker.fail_counter == 0


def test_a_scheduler_that_never_answers_opens_the_breaker_and_then_nothing_is_tried(tmp_path: Path) -> None:
    output = tmp_path / "out"
    with socket.socket() as listener:  # accepts connections (the kernel does) but never speaks
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.setblocking(False)
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"

        def connections() -> int:
            count = 0
            while True:
                try:
                    listener.accept()[0].close()
                except BlockingIOError:
                    return count
                count += 1

        generator = MLDataGenerator(
            dask_scheduler=address,
            scheduler_timeout_seconds=1.0,
            breaker_reset_timeout_s=600.0,
            breaker_name="test-silent-scheduler",
            **FAST_RETRIES,
        )
        with capture_logs() as logs, pytest.raises(GeneratorUnavailableError) as first:
            generator.generate(_scenarios(), output, **REQUEST)
        assert connections() >= 2  # both attempts connected, and gave up waiting for the handshake
        assert isinstance(first.value, SchedulerUnavailableError)
        assert isinstance(first.value.__cause__, SchedulerUnavailableError)
        message = str(first.value)
        assert f"Dask scheduler {address} is down" in message and "did not answer within 1 s" in message
        assert "(2 attempts, last: " in message and "'test-silent-scheduler' is open" in message
        assert "next trial at" in message
        assert first.value.executor == f"Dask scheduler {address}"
        assert first.value.next_trial_at is not None and first.value.next_trial_at > datetime.now(UTC)
        (retry,) = _events(logs, "generator_executor_retry")
        assert retry["attempt"] == 1 and retry["max_attempts"] == 2
        (opened,) = _events(logs, "circuit_breaker_state")
        assert (opened["breaker"], opened["old"], opened["new"]) == ("test-silent-scheduler", "closed", "open")
        assert generator.breaker.current_state == "open"
        assert _gauge("test-silent-scheduler") == 2

        with (
            capture_logs() as logs,
            pytest.raises(GeneratorUnavailableError, match="is open: calls fail at once") as second,
        ):
            generator.generate(_scenarios(), output, **REQUEST)
        assert connections() == 0  # failed at once: not even a connection
        assert "next trial at" in str(second.value) and second.value.next_trial_at == first.value.next_trial_at
        assert not _events(logs, "generator_executor_retry") and not _events(logs, "circuit_breaker_state")
    assert not output.exists()


@pytest.fixture
def dask_scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import dask

    scratch = str(tmp_path_factory.mktemp("dask"))
    with dask.config.set({"temporary-directory": scratch}):
        yield scratch


@pytest.mark.slow
def test_an_unreachable_scheduler_trips_the_breaker_and_the_generator_recovers_when_it_is_up(
    tmp_path: Path, reference: dict[str, Any], dask_scratch: str, overloaded_feeder: type[BaseScenario[Any]]
) -> None:
    from distributed import LocalCluster

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    target = tmp_path / "dask"
    generator = MLDataGenerator(
        dask_scheduler=address,
        scheduler_timeout_seconds=1.0,
        breaker_reset_timeout_s=0.5,
        breaker_name="test-scheduler-recovery",
        **FAST_RETRIES,
    )
    with pytest.raises(SchedulerUnavailableError, match=f"{address} did not answer") as down:
        generator.generate(_scenarios(), target, **REQUEST)
    assert isinstance(down.value, GeneratorUnavailableError)
    assert generator.breaker.current_state == "open"
    assert not target.exists()
    generator.scheduler_timeout_seconds = 120.0  # from now on the cluster is up: room for a loaded machine

    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=port,
        dashboard_address=None,
        local_directory=dask_scratch,
    ) as cluster:
        assert cluster.scheduler_address == address
        _wait_for_trial(down.value)
        with capture_logs() as logs:
            report = generator.generate(_scenarios(), target, **REQUEST)
        transitions = [(entry["old"], entry["new"]) for entry in _events(logs, "circuit_breaker_state")]
        assert transitions == [("open", "half-open"), ("half-open", "closed")]
        assert generator.breaker.current_state == "closed"
        assert _gauge("test-scheduler-recovery") == 0
        assert report.units_written == 9
        assert snapshot(target) == reference

        # On the recovered cluster, a unit that rejects its input still fails at once and counts nothing.
        with pytest.raises(UnitFailedError, match=r"(?s)ValidationError.*grid_load_fraction"):
            generator.generate([overloaded_feeder()], tmp_path / "bad", seed=1, samples_per_run=5)
        assert generator.breaker.current_state == "closed" and generator.breaker.fail_counter == 0


def _dask_worker(address: str, scratch: str) -> subprocess.Popen[bytes]:
    """A Dask worker without a nanny, so that killing it loses it for good."""
    script = Path(sys.executable).with_name("dask")
    command = [str(script), "worker", address, "--no-nanny", "--nthreads", "1", "--no-dashboard"]
    return subprocess.Popen(
        [*command, "--local-directory", scratch], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.mark.slow
def test_a_cluster_that_loses_its_last_worker_fails_the_attempt_and_recovers_with_a_new_worker(
    tmp_path: Path, reference: dict[str, Any], dask_scratch: str
) -> None:
    from distributed import Client, LocalCluster

    target = tmp_path / "dask"
    workers: list[subprocess.Popen[bytes]] = []
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=0, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster.scheduler_address, set_as_default=False) as client,  # type: ignore[no-untyped-call]
    ):
        try:
            workers.append(_dask_worker(cluster.scheduler_address, dask_scratch))
            client.wait_for_workers(1, timeout=120)
            # 2 s: how long a cluster may finish no unit before it is checked, and then have no worker.
            generator = MLDataGenerator(
                dask_scheduler=cluster.scheduler_address,
                scheduler_timeout_seconds=2.0,
                breaker_reset_timeout_s=0.5,
                breaker_name="test-worker-lost",
                **FAST_RETRIES,
            )
            at_kill: dict[str, int] = {}

            def kill_the_worker_after_two_units(event: UnitEvent) -> None:
                if not at_kill and event.units_done == 2:
                    at_kill.update(_inodes(target))
                    workers[0].kill()
                    workers[0].wait(timeout=60)

            with capture_logs() as logs, pytest.raises(SchedulerUnavailableError, match="has no worker") as down:
                generator.generate(_scenarios(), target, **REQUEST, progress=kill_the_worker_after_two_units)
            assert len(at_kill) == 2
            (retry,) = _events(logs, "generator_executor_retry")
            assert "has had no worker" in retry["error"]
            assert generator.breaker.current_state == "open"

            workers.append(_dask_worker(cluster.scheduler_address, dask_scratch))
            generator.scheduler_timeout_seconds = 120.0  # room for the new worker to start on a loaded machine
            _wait_for_trial(down.value)
            report = generator.generate(_scenarios(), target, **REQUEST)
            assert generator.breaker.current_state == "closed"
            assert report.units_skipped >= 2 and report.units_written + report.units_skipped == 9
            assert snapshot(target) == reference
            assert {name: inode for name, inode in _inodes(target).items() if name in at_kill} == at_kill
        finally:
            for worker in workers:
                worker.kill()
                worker.wait(timeout=60)


@pytest.mark.slow
def test_a_scheduler_that_hangs_mid_run_fails_the_attempt_and_the_generator_recovers_when_it_resumes(
    tmp_path: Path, reference: dict[str, Any], dask_scratch: str
) -> None:
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    target = tmp_path / "dask"
    command = [str(Path(sys.executable).with_name("dask")), "scheduler", "--host", "127.0.0.1", "--port", str(port)]
    scheduler = subprocess.Popen(
        [*command, "--no-dashboard"],
        cwd=dask_scratch,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    processes = [scheduler]
    try:
        processes.append(_dask_worker(address, dask_scratch))
        with Client(address, timeout=120, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(1, timeout=120)
        generator = MLDataGenerator(
            dask_scheduler=address,
            scheduler_timeout_seconds=2.0,
            breaker_reset_timeout_s=0.5,
            breaker_name="test-hung-scheduler",
            **FAST_RETRIES,
        )
        at_stop: dict[str, int] = {}

        def stop_the_scheduler_after_two_units(event: UnitEvent) -> None:
            # A stopped process keeps its connections open: nothing fails, it just never answers again.
            if not at_stop and event.units_done == 2:
                at_stop.update(_inodes(target))
                scheduler.send_signal(signal.SIGSTOP)

        with capture_logs() as logs, pytest.raises(SchedulerUnavailableError, match="did not answer") as down:
            generator.generate(_scenarios(), target, **REQUEST, progress=stop_the_scheduler_after_two_units)
        (retry,) = _events(logs, "generator_executor_retry")
        assert "did not answer within 2 s while units ran" in retry["error"]
        assert generator.breaker.current_state == "open"

        scheduler.send_signal(signal.SIGCONT)
        generator.scheduler_timeout_seconds = 120.0  # the scheduler is back: room for a loaded machine
        _wait_for_trial(down.value)
        report = generator.generate(_scenarios(), target, **REQUEST)
        assert generator.breaker.current_state == "closed"
        assert report.units_skipped >= 2 and report.units_written + report.units_skipped == 9
        assert snapshot(target) == reference
        assert {name: inode for name, inode in _inodes(target).items() if name in at_stop} == at_stop
    finally:
        for process in processes:
            process.send_signal(signal.SIGCONT)
            process.kill()
            process.wait(timeout=60)
