"""A dataset: a folder of package files plus ``manifest.json``; its id is a hash of its packages.

The manifest is written (atomically) when a generation starts, with status ``in_progress`` and the
request it serves, and rewritten with status ``complete``, the package list and the dataset id when it
ends. It holds no wall-clock time, so an interrupted generation finished by a rerun leaves exactly the
manifest an uninterrupted one does.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from envirosense.generation.errors import (
    DatasetConflictError,
    GenerationError,
    IncompleteDatasetError,
    OutputDirectoryError,
)
from envirosense.generation.writer import PACKAGE_SUFFIX, fsync_directory, write_atomic

MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".envirosense-generate.lock"
MANIFEST_FORMAT_VERSION = 1


class PackageEntry(BaseModel):
    """One package file of a dataset, as listed in its manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file_name: str = Field(description="File name inside the dataset folder (content hash + .avro).")
    package_id: str = Field(description="Content hash of the package's samples (hex).")
    unit_key: str = Field(description="Key of the work unit that produced it (hex).")
    scenario_definition_id: str = Field(description="Definition simulated (for edge cases, the variant).")
    scenario_definition_version: int = Field(ge=1, description="Its version.")
    scenario_class_name: str = Field(description="Scenario class simulated.")
    seed: int = Field(ge=0, description="Seed of the work unit.")
    sample_count: int = Field(ge=0, description="Samples in the file (count).")
    class_counts: dict[str, int] = Field(description="Class label → samples (count).")


class DatasetManifest(BaseModel):
    """``manifest.json``: what the dataset was generated from and which files it holds."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = MANIFEST_FORMAT_VERSION
    status: Literal["in_progress", "complete"]
    request_fingerprint: str = Field(description="Hash of the generation request (hex).")
    request: dict[str, Any] = Field(description="The generation request, as JSON.")
    generator_version: str
    simulation_engine_version: str
    data_schema_versions: dict[str, str]
    dataset_id: str | None = Field(default=None, description="Hash of the package ids; set when complete.")
    packages: list[PackageEntry] = Field(default_factory=list)
    total_samples: int = Field(default=0, ge=0)
    class_counts: dict[str, int] = Field(default_factory=dict)


def compute_dataset_id(package_ids: Iterable[str]) -> str:
    """SHA-256 of the sorted package ids, one per line: the same packages give the same id."""
    return hashlib.sha256("\n".join(sorted(package_ids)).encode()).hexdigest()


def load_manifest(directory: Path) -> DatasetManifest | None:
    """The folder's manifest, or ``None`` when it has none."""
    path = directory / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        return DatasetManifest.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise GenerationError(f"{path}: not a valid dataset manifest: {exc}") from exc


def write_manifest(directory: Path, manifest: DatasetManifest) -> None:
    """Write the manifest atomically and make it durable."""
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    write_atomic(directory / MANIFEST_NAME, text.encode())
    fsync_directory(directory)


def dataset_files(directory: Path) -> list[Path]:
    """The package files of a dataset folder: the manifest's, in its order, or every ``*.avro`` by name.

    Raises ``IncompleteDatasetError`` if the manifest says generation has not finished, and
    ``GenerationError`` if a listed file is missing.
    """
    manifest = load_manifest(directory)
    if manifest is None:
        return sorted(directory.glob(f"*{PACKAGE_SUFFIX}"))
    if manifest.status != "complete":
        raise IncompleteDatasetError(
            f"{directory}: generation has not finished (manifest status {manifest.status}); "
            "rerun the same generation to complete it"
        )
    files = [directory / entry.file_name for entry in manifest.packages]
    missing = [file.name for file in files if not file.exists()]
    if missing:
        raise GenerationError(f"{directory}: manifest lists missing files: {', '.join(missing[:5])}")
    return files


@contextmanager
def dataset_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder while generating into it (released if the process dies)."""
    handle = (directory / LOCK_NAME).open("a")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise DatasetConflictError(f"{directory} is being written by another generation") from exc
        yield
    finally:
        handle.close()


def remove_stale_temporary_files(directory: Path) -> list[Path]:
    """Delete temporary files left by an interrupted write (call only while holding the lock)."""
    stale = sorted(directory.glob(".*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def check_output_directory(directory: Path) -> None:
    """Raise ``OutputDirectoryError`` unless ``directory`` is, or can be created as, a writable folder.

    Nothing is created here.
    """
    probe = directory
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe != directory and not probe.is_dir():
        raise OutputDirectoryError(f"cannot create {directory}: {probe} is not a folder")
    if probe == directory and not directory.is_dir():
        raise OutputDirectoryError(f"{directory} exists and is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputDirectoryError(f"{probe} is not writable, so {directory} cannot be written")
