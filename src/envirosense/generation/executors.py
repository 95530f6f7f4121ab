"""Where work units run: a local process pool by default, a Dask cluster when a scheduler is given.

Both are plain ``concurrent.futures.Executor`` objects; the generator only calls ``submit``. A local
pool whose worker died is rebuilt (``ExecutorHandle.restart``) so that only the units in flight are
redone; Dask reschedules a dead worker's tasks itself.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import structlog

from envirosense.generation.errors import SchedulerUnavailableError
from envirosense.ops.logging import LogFormat, configure_logging, get_logger

T = TypeVar("T")


class InProcessExecutor(Executor):
    """Runs each submitted call at once in the calling process (``workers=0``: debugging, profiling)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


class ExecutorHandle:
    """An executor, how many units it runs at once, and (for a pool we own) a way to rebuild it."""

    def __init__(self, executor: Executor, parallelism: int, factory: Callable[[], Executor] | None = None):
        self.executor = executor
        self.parallelism = max(parallelism, 1)
        self._factory = factory

    @property
    def restartable(self) -> bool:
        return self._factory is not None

    def restart(self) -> None:
        """Replace a broken pool by a fresh one."""
        if self._factory is None:
            raise RuntimeError("this executor cannot be restarted")
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._factory()


def _current_logging() -> tuple[str, LogFormat]:
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    renderer = structlog.get_config()["processors"][-1]
    return level, "json" if isinstance(renderer, structlog.processors.JSONRenderer) else "console"


def _process_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers start from a clean, single-threaded server process, so a pool is safe to
    # create from a program that already runs threads (a Dask client, a database pool).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["envirosense.generation.units", "envirosense.simulation.scenarios"])
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=configure_logging, initargs=_current_logging()
    )


@contextmanager
def local_executor(workers: int) -> Iterator[ExecutorHandle]:
    """``workers`` ≥ 1: a process pool of that size; 0: run in this process."""
    if workers == 0:
        yield ExecutorHandle(InProcessExecutor(), 1)
        return
    handle = ExecutorHandle(_process_pool(workers), workers, factory=lambda: _process_pool(workers))
    try:
        yield handle
    finally:
        handle.executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask_executor(address: str, timeout_seconds: float = 10.0) -> Iterator[ExecutorHandle]:
    """An executor on the Dask cluster at ``address`` (``tcp://HOST:PORT``).

    Raises ``SchedulerUnavailableError`` if the scheduler does not answer within ``timeout_seconds``.
    """
    from distributed import Client

    try:
        client = Client(address, timeout=timeout_seconds, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerUnavailableError(
            f"Dask scheduler {address} did not answer within {timeout_seconds:g} s: {exc}"
        ) from exc
    try:
        try:
            client.wait_for_workers(1, timeout=timeout_seconds)
        except TimeoutError as exc:
            raise SchedulerUnavailableError(
                f"Dask scheduler {address} has no worker (waited {timeout_seconds:g} s)"
            ) from exc
        threads = sum(client.nthreads().values())  # type: ignore[no-untyped-call]
        get_logger(__name__).info("dask_connected", address=address, worker_threads=threads)
        # pure=False: units are distinct by construction, so Dask need not hash each one into its key.
        yield ExecutorHandle(client.get_executor(pure=False), threads)  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]
