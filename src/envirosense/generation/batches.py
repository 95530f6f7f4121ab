"""Crafting's simulation batches on a run's long-lived executor.

``ExecutorBatch`` sends a ``SimulationBatch``'s jobs to the executor an open ``MLDataGenerator`` keeps
for the whole run (a warm process pool or a Dask client), cut into a few contiguous chunks per worker
so that each submission carries enough work to pay for its round trip. The outcomes come back in job
order and equal ``InProcessBatch``'s: every job carries its own simulation seed. When the executor fails
(a worker killed, the scheduler lost or down), the kept executor is discarded, as a failed generation attempt
discards it, and the batch runs in this process instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from envirosense.generation.errors import SchedulerUnavailableError
from envirosense.generation.executors import ExecutorFailedError, is_infrastructure_failure
from envirosense.generation.generator import MLDataGenerator
from envirosense.ops.logging import get_logger
from envirosense.repository.crafting.batch import InProcessBatch, JobOutcome, SimulationBatch, SimulationJob, run_jobs

log = get_logger(__name__)


def chunks(jobs: Sequence[SimulationJob], parallelism: int, chunks_per_worker: int) -> list[Sequence[SimulationJob]]:
    """``jobs`` cut, in order, into at most ``parallelism × chunks_per_worker`` contiguous chunks whose
    sizes differ by at most one."""
    count = max(1, min(len(jobs), parallelism * chunks_per_worker))
    size, extra = divmod(len(jobs), count)
    bounds = [0]
    for index in range(count):
        bounds.append(bounds[-1] + size + (1 if index < extra else 0))
    return [jobs[start:stop] for start, stop in pairwise(bounds) if stop > start]


LOCAL_BELOW = 16
"""Batches of fewer jobs run in this process: a short run takes about 5 ms, and a round trip through a
local pool costs about as much as a dozen of them when each brings back a whole run (``BENCHMARKS.md``,
*Crafting speed*)."""


class ExecutorBatch:
    """Runs batches on ``generator``'s kept executor (``chunks_per_worker`` chunks per worker).

    ``generator`` must be open (``MLDataGenerator.open`` or its ``with`` block); a closed one runs the
    batch in this process rather than start a pool for a fraction of a second's work, and so does a batch
    of fewer than ``local_below`` jobs (0 sends every batch to the executor).
    """

    def __init__(
        self, generator: MLDataGenerator, *, chunks_per_worker: int = 2, local_below: int = LOCAL_BELOW
    ) -> None:
        if chunks_per_worker < 1 or local_below < 0:
            raise ValueError("need chunks_per_worker >= 1 and local_below >= 0")
        self.generator = generator
        self.chunks_per_worker = chunks_per_worker
        self.local_below = local_below
        self.sent = 0
        """Batches sent to the executor and finished there."""
        self.fallbacks = 0
        """Batches the executor failed and this process ran instead."""

    def run(self, jobs: Sequence[SimulationJob]) -> list[JobOutcome]:
        if len(jobs) < max(self.local_below, 1) or not self.generator.is_open:
            return run_jobs(jobs)
        try:
            with self.generator.kept_executor() as handle:
                try:
                    futures = [
                        handle.executor.submit(run_jobs, chunk)
                        for chunk in chunks(jobs, handle.parallelism, self.chunks_per_worker)
                    ]
                    outcomes = [outcome for future in futures for outcome in future.result()]
                    self.sent += 1
                    return outcomes
                except Exception as exc:
                    if is_infrastructure_failure(exc):
                        raise ExecutorFailedError(f"{type(exc).__name__}: {exc}") from exc
                    raise
        except (ExecutorFailedError, SchedulerUnavailableError) as exc:
            log.warning("simulation_batch_in_process", executor=self.generator.executor_description, error=str(exc))
            self.fallbacks += 1
            return run_jobs(jobs)


def simulation_batch(generator: object) -> SimulationBatch:
    """An ``ExecutorBatch`` on ``generator`` when it is an ``MLDataGenerator``, else an ``InProcessBatch``."""
    return ExecutorBatch(generator) if isinstance(generator, MLDataGenerator) else InProcessBatch()
