"""Errors raised by generation and by the dataset reader; each names what was wrong and where."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


class GenerationError(RuntimeError):
    """Base of every error raised by ``envirosense.generation``."""


class InvalidRequestError(GenerationError, ValueError):
    """The generation request is invalid (unknown scenario class, bad parameter, bad option).

    Raised before anything is written.
    """


class OutputDirectoryError(GenerationError):
    """The output folder cannot be created or written. Raised before anything is written."""


class GeneratorUnavailableError(GenerationError):
    """The generator's executor (its process pool or Dask cluster) is down: a service outage, not bad input.

    Raised when the executor's failures outlast the generator's bounded retries, and at once, without
    trying, while its circuit breaker is open. ``executor`` names what is down; ``next_trial_at`` (UTC)
    is when the breaker lets the next call try again, or ``None`` when the next call tries at once. Files
    already written stay valid: calling ``generate`` again resumes.
    """

    def __init__(self, message: str, *, executor: str | None = None, next_trial_at: datetime | None = None) -> None:
        super().__init__(message)
        self.executor = executor
        self.next_trial_at = next_trial_at


class SchedulerUnavailableError(GeneratorUnavailableError):
    """The Dask scheduler did not answer, or has no worker.

    When the first connection of a generation fails this way, nothing has been written.
    """


class DatasetConflictError(GenerationError):
    """The output folder is locked by another generation, or holds a dataset from a different request."""


class UnitFailedError(GenerationError):
    """A work unit raised: its input (or the code) is at fault, so it is neither retried nor counted by the
    executor's circuit breaker. Files already written stay valid."""


class VersionMismatchError(GenerationError):
    """A worker runs other versions of the simulation, generator or schemas than the planning process."""


class IncompleteDatasetError(GenerationError):
    """The dataset's manifest says its generation has not finished."""


class CorruptPackageError(GenerationError):
    """An Avro package file is truncated, corrupt or inconsistent with its header.

    ``byte_offset`` is where the first bad block starts (or ``None`` for a header problem) and
    ``sample_index`` is how many samples precede it.
    """

    def __init__(
        self, path: Path, reason: str, *, byte_offset: int | None = None, sample_index: int | None = None
    ) -> None:
        self.path = path
        self.reason = reason
        self.byte_offset = byte_offset
        self.sample_index = sample_index
        where = []
        if byte_offset is not None:
            where.append(f"byte {byte_offset}")
        if sample_index is not None:
            where.append(f"sample {sample_index}")
        location = f" at {', '.join(where)}" if where else ""
        super().__init__(f"{path}{location}: {reason}")
