"""Where samples come from: a list of ``MLDataSample`` dicts, or an Avro file or folder of them.

``iter_dataset`` streams either kind; ``DatasetFingerprint`` names a dataset by its content (order-free).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from pydantic import ValidationError

from envirosense.schemas import MLDataSample

EvaluationDataset: TypeAlias = Sequence[Mapping[str, Any]] | str | os.PathLike[str]
"""A list of ``MLDataSample`` dicts, or a path to an Avro file or a folder of Avro files."""


class InvalidSampleError(ValueError):
    """A sample dict does not satisfy the ``MLDataSample`` contract; the message names the field."""


def is_path(source: EvaluationDataset) -> bool:
    return isinstance(source, str | os.PathLike)


def dataset_name(source: EvaluationDataset) -> str:
    """A short human name: the file or folder name for a path, ``samples`` for an in-memory list."""
    return Path(source).name if is_path(source) else "samples"  # type: ignore[arg-type]


def iter_dataset(source: EvaluationDataset, *, validate: bool | None = None) -> Iterator[Mapping[str, Any]]:
    """Stream the samples of ``source``.

    ``validate`` runs each sample through the ``MLDataSample`` model; by default in-memory lists are
    validated (they come from arbitrary callers) and Avro files are not (they were validated against the
    Avro schema when written, and the reader still checks every block and the sample count; a failing
    Avro sample raises the reader's ``CorruptPackageError``).
    """
    if is_path(source):
        path = Path(source)  # type: ignore[arg-type]
        if not path.exists():
            raise FileNotFoundError(f"evaluation dataset {path} does not exist")
        from envirosense.generation.reader import iter_samples

        yield from iter_samples(path, validate=bool(validate))
        return
    if isinstance(source, Mapping):
        raise TypeError("evaluation_dataset must be a list of sample dicts or a path, not a single dict")
    samples: Iterator[Mapping[str, Any]] = iter(source)  # type: ignore[arg-type]
    if validate is False:
        yield from samples
        return
    for index, sample in enumerate(samples):
        try:
            MLDataSample.model_validate(sample)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            sample_id = sample.get("sample_id") if isinstance(sample, Mapping) else None
            raise InvalidSampleError(
                f"sample {index} ({sample_id!r}): {where}: {first['msg']} ({exc.error_count()} error(s))"
            ) from exc
        yield sample


class DatasetFingerprint:
    """An order-independent digest of sample ids: the same samples in any order give the same digest."""

    _MODULUS = 1 << 128

    def __init__(self) -> None:
        self._acc = 0
        self.count = 0

    def update(self, sample_ids: Sequence[str]) -> None:
        for sample_id in sample_ids:
            digest = hashlib.sha256(sample_id.encode()).digest()[:16]
            self._acc = (self._acc + int.from_bytes(digest, "big")) % self._MODULUS
        self.count += len(sample_ids)

    def hexdigest(self) -> str:
        return f"{self._acc:032x}"[:16]

    def identifier(self, name: str) -> str:
        """``<name>@<16 hex digits>``, e.g. ``eval-set@3f2a…``."""
        return f"{name}@{self.hexdigest()}"
