"""Several processes updating the same definitions at once lose no update, on both databases."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from envirosense.repository import ConflictError
from tests.repository.repo_helpers import Backend, baseline_definition

PROCESSES = 3
UPDATES_PER_PROCESS = 8
TARGETS = ("shared-a", "shared-b")


def optimistic_worker(backend: Backend, worker: int) -> None:
    """Append one tag per update with read → modify → write-if-unchanged, retrying on conflicts."""
    with backend.open(retry_wait_s=0.01) as repository:
        for index in range(UPDATES_PER_PROCESS):
            for target in TARGETS:
                while True:
                    current = repository.get_definition(target)
                    tags = [*current.tags, f"w{worker}-{index}"]
                    try:
                        assert repository.update_scenario_definition(target, {"tags": tags, "version": current.version})
                        break
                    except ConflictError:
                        continue


def blind_worker(backend: Backend, worker: int) -> None:
    """Updates without a version: each one must still become its own version."""
    with backend.open(retry_wait_s=0.01) as repository:
        for index in range(UPDATES_PER_PROCESS):
            repository.update_scenario_definition("shared-blind", {"description": f"worker {worker} update {index}"})


@pytest.mark.slow
def test_concurrent_processes_lose_no_update(backend: Backend) -> None:
    with backend.open() as repository:
        for target in (*TARGETS, "shared-blind"):
            repository.save_scenario_definition(baseline_definition(target, tags=["start"]))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=PROCESSES, mp_context=context) as pool:
        optimistic = [pool.submit(optimistic_worker, backend, worker) for worker in range(PROCESSES)]
        blind = [pool.submit(blind_worker, backend, worker) for worker in range(PROCESSES)]
        for future in optimistic:
            future.result(timeout=300)
        for future in blind:
            future.result(timeout=300)
    total = PROCESSES * UPDATES_PER_PROCESS
    with backend.open() as repository:
        for target in TARGETS:
            final = repository.get_definition(target)
            assert final.version == 1 + total
            expected = {f"w{worker}-{index}" for worker in range(PROCESSES) for index in range(UPDATES_PER_PROCESS)}
            assert set(final.tags) == {"start", *expected}
            assert len(final.tags) == 1 + total
            assert [d.version for d in repository.history(target)] == list(range(1, total + 2))
        blind_final = repository.get_definition("shared-blind")
        assert blind_final.version == 1 + total
        assert len(repository.history("shared-blind")) == 1 + total
