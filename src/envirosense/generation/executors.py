"""Where work units run: a local process pool by default, a Dask cluster when a scheduler is given.

Both are plain ``concurrent.futures.Executor`` objects; the generator only calls ``submit``. A local
pool whose worker died is rebuilt (``ExecutorHandle.restart``) so that only the units in flight are
redone; Dask reschedules a dead worker's tasks itself. What no rebuild fixes (a scheduler that does not
answer, a cluster left without workers, a pool that keeps breaking) is an *infrastructure* failure: the
generator retries it and counts it in its circuit breaker, unlike a unit that raises on its input.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from envirosense.generation.errors import GenerationError, InvalidRequestError, SchedulerUnavailableError
from envirosense.ops.logging import LogFormat, get_logger, inherit_logging, logging_settings

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


class ExecutorFailedError(GenerationError):
    """The executor failed, not the unit: the generation attempt is lost and may be retried.

    Raised inside the generator, which retries it and turns it into ``GeneratorUnavailableError``.
    """


def is_infrastructure_failure(exc: BaseException) -> bool:
    """Whether a unit's future failed because of the executor rather than the unit itself.

    A broken pool, a future cancelled under us (Dask cancels every future when the client loses its
    scheduler), a lost connection (``OSError``: units do no I/O) or a task that killed its Dask workers.
    """
    if isinstance(exc, BrokenExecutor | CancelledError | OSError):
        return True
    distributed = sys.modules.get("distributed")
    return distributed is not None and isinstance(exc, distributed.KilledWorker)


class ExecutorHandle:
    """An executor, how many units it runs at once, and (for a pool we own) a way to rebuild it.

    ``check_alive`` (if given) is called when no unit has finished for ``stall_check_seconds``; it raises
    ``ExecutorFailedError`` if the executor can no longer run units (a Dask cluster left without workers).
    """

    def __init__(
        self,
        executor: Executor,
        parallelism: int,
        factory: Callable[[], Executor] | None = None,
        *,
        check_alive: Callable[[], None] | None = None,
        stall_check_seconds: float | None = None,
    ):
        self.executor = executor
        self.parallelism = max(parallelism, 1)
        self._factory = factory
        self.check_alive = check_alive
        self.stall_check_seconds = stall_check_seconds

    @property
    def restartable(self) -> bool:
        return self._factory is not None

    def restart(self) -> None:
        """Replace a broken pool by a fresh one."""
        if self._factory is None:
            raise RuntimeError("this executor cannot be restarted")
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._factory()


PARENT_CHECK_SECONDS = 1.0
"""How often a pool worker checks that the process that created its pool is still alive, s."""


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended: no such process, or a zombie (ended, not yet reaped; a parent
    killed with SIGKILL stays one while whoever started it waits for its output, which its workers hold)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # the pid now belongs to another user's process: ours is gone
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):  # no /proc (not Linux): the signal check above is all there is
        return False


def _exit_with(parent_pid: int, interval: float) -> None:
    """Ends this worker once process ``parent_pid`` is gone.

    A pool worker blocks on its task queue, whose pipe it holds both ends of, so it would outlive a parent
    killed with SIGKILL (no ``finally`` runs there) and wait for ever. A run keeps its pool for hours, so
    this daemon thread checks instead; ``os._exit`` because nothing of an orphaned worker is worth saving.
    """
    while True:
        time.sleep(interval)
        if _gone(parent_pid):
            os._exit(1)


def _init_worker(logging_of_parent: tuple[str, LogFormat] | None, parent_pid: int, interval: float) -> None:
    """Set up a pool worker: the parent's logging, the parent watch, and deaf to SIGINT.

    Ctrl-C signals the whole process group; the run's own process handles it (it records the run as
    interrupted and shuts the pool down), so a worker prints no ``KeyboardInterrupt`` traceback. SIGTERM
    keeps its default (a quiet exit): the pool ends a broken pool's workers with it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inherit_logging(logging_of_parent)
    threading.Thread(target=_exit_with, args=(parent_pid, interval), name="parent-watch", daemon=True).start()


def _process_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers start from a clean, single-threaded server process, so a pool is safe to
    # create from a program that already runs threads (a Dask client, a database pool).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["envirosense.generation.units", "envirosense.simulation.scenarios"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(logging_settings(), os.getpid(), PARENT_CHECK_SECONDS),
    )


def _warm_up() -> None:
    """Run one tiny unit in this worker: what the first unit of a fresh worker pays once (lazy imports,
    the simulator's first-call set-up) is paid here instead, while the caller does something else."""
    from envirosense.generation.units import WorkUnit, normalized_definition, run_unit
    from envirosense.simulation import scenario_classes

    definition, instance = normalized_definition(scenario_classes()[0]().to_definition())
    unit = WorkUnit.create(
        0,
        definition=definition,
        scenario_module=type(instance).__module__,
        mode="training",
        run_index=0,
        timesteps=2,
        interval_seconds=10.0,
    )
    run_unit(unit)


def warm_up(handle: ExecutorHandle) -> None:
    """Start every worker of a local pool now, each warming up in the background (nothing waits for it).

    A pool starts its workers on demand; a long-lived pool is worth starting at once, so that its first
    real request finds them ready. Does nothing for other executors.
    """
    if handle.restartable:
        for _ in range(handle.parallelism):
            handle.executor.submit(_warm_up)


@contextmanager
def local_executor(workers: int) -> Iterator[ExecutorHandle]:
    """``workers`` ≥ 1: a process pool of that size; 0: run in this process."""
    if workers == 0:
        yield ExecutorHandle(InProcessExecutor(), 1)
        return
    handle = ExecutorHandle(_process_pool(workers), workers, factory=lambda: _process_pool(workers))
    try:
        yield handle
    except BaseException:
        stop_now(handle.executor)
        raise
    handle.executor.shutdown(wait=True, cancel_futures=True)


def stop_now(executor: Executor, grace_seconds: float = 5.0) -> None:
    """End ``executor`` without waiting on its queues (an interrupt, an error): its work is abandoned.

    After a SIGTERM to the process group the pool's workers and forkserver may already be gone, and
    a pool whose worker died while writing a result can block ``shutdown(wait=True)`` for ever; so the
    workers are ended here (terminated, killed after ``grace_seconds``) and the pool is not waited on.
    """
    workers = list((getattr(executor, "_processes", None) or {}).values())  # a process pool's, by pid
    executor.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=grace_seconds)
        if worker.is_alive():
            worker.kill()


def _probe_scheduler(address: str, timeout_seconds: float) -> None:
    """Connect to the scheduler and complete distributed's handshake within ``timeout_seconds``.

    ``distributed.Client`` bounds the TCP connection but not the handshake that follows, so a listener
    that never answers (a hung scheduler) would block it for ever. Runs on its own event loop in a
    short-lived thread, so it works whatever loop the calling thread has.
    """
    from distributed.comm.core import connect

    async def probe() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=timeout_seconds), timeout_seconds)  # type: ignore[no-untyped-call]
        await comm.close()

    with ThreadPoolExecutor(1, thread_name_prefix="dask-probe") as pool:
        pool.submit(asyncio.run, probe()).result()


@contextmanager
def dask_executor(address: str, timeout_seconds: float = 10.0) -> Iterator[ExecutorHandle]:
    """An executor on the Dask cluster at ``address`` (``tcp://HOST:PORT``).

    Raises ``InvalidRequestError`` for a malformed address and ``SchedulerUnavailableError`` if the
    scheduler does not answer, or has no worker, within ``timeout_seconds``. While units run, a cluster
    that finishes no unit for ``timeout_seconds`` is checked for workers; one that has none for another
    ``timeout_seconds`` fails the attempt with ``ExecutorFailedError``.
    """
    from distributed import Client

    try:
        _probe_scheduler(address, timeout_seconds)
        client = Client(address, timeout=timeout_seconds, set_as_default=False)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise InvalidRequestError(f"invalid Dask scheduler address {address!r}: {exc}") from exc
    except OSError as exc:  # TimeoutError included
        detail = f": {exc}" if str(exc) else ""
        raise SchedulerUnavailableError(
            f"Dask scheduler {address} did not answer within {timeout_seconds:g} s{detail}"
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

        scheduler = client.scheduler
        assert scheduler is not None  # set once connected

        def check_alive() -> None:
            # Each question to the scheduler is bounded: one that stopped answering (a hung process keeps
            # its connections open) must fail the attempt, not block it for ever.
            deadline = time.monotonic() + timeout_seconds
            while True:
                try:
                    info = client.sync(scheduler.identity, callback_timeout=timeout_seconds)  # type: ignore[no-untyped-call]
                except Exception as exc:  # whatever stops us asking leaves the cluster unusable
                    raise ExecutorFailedError(
                        f"Dask scheduler {address} did not answer within {timeout_seconds:g} s while units ran: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                if info["n_workers"] > 0:
                    return
                if time.monotonic() >= deadline:
                    raise ExecutorFailedError(f"Dask scheduler {address} has had no worker for {timeout_seconds:g} s")
                time.sleep(0.1)

        # pure=False: units are distinct by construction, so Dask need not hash each one into its key.
        yield ExecutorHandle(
            client.get_executor(pure=False),  # type: ignore[no-untyped-call]
            threads,
            check_alive=check_alive,
            stall_check_seconds=timeout_seconds,
        )
    finally:
        try:
            client.close(timeout=timeout_seconds)  # type: ignore[no-untyped-call]
        except Exception as exc:  # a scheduler that stopped answering cannot be told goodbye
            get_logger(__name__).warning("dask_client_close_failed", address=address, error=repr(exc))
