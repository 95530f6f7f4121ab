"""Errors raised by generation and by the dataset reader; each names what was wrong and where."""

from __future__ import annotations

from pathlib import Path


class GenerationError(RuntimeError):
    """Base of every error raised by ``envirosense.generation``."""


class InvalidRequestError(GenerationError, ValueError):
    """The generation request is invalid (unknown scenario class, bad parameter, bad option).

    Raised before anything is written.
    """


class OutputDirectoryError(GenerationError):
    """The output folder cannot be created or written. Raised before anything is written."""


class SchedulerUnavailableError(GenerationError):
    """The Dask scheduler did not answer. Raised before anything is written."""


class DatasetConflictError(GenerationError):
    """The output folder is locked by another generation, or holds a dataset from a different request."""


class UnitFailedError(GenerationError):
    """A work unit raised, or its worker died more often than allowed. Files already written stay valid."""


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
