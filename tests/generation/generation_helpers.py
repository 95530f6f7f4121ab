"""Helpers shared by the generation tests: the options of ``MLDataGenerator.generate`` as a typed dict;
compare datasets field for field, timestamps aside; find and kill the workers of this process's local pools."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypedDict

import fastavro
import psutil  # type: ignore[import-untyped]

from envirosense.generation import GenerationMode
from envirosense.generation.writer import RUN_PACKAGE_KEY
from envirosense.schemas import ClassLabel


class GenerateOptions(TypedDict, total=False):
    """Keyword options of ``MLDataGenerator.generate`` that tests pass as a dict (same names and types)."""

    mode: GenerationMode | str
    samples_per_run: int | None
    duration_seconds: float | None
    interval_seconds: float
    spread_over_duration: bool
    runs_per_scenario: int
    class_quotas: dict[ClassLabel, int] | dict[str, int] | None
    sequence_length: int


class GenerateRequest(GenerateOptions):
    """``GenerateOptions`` with the ``seed`` that ``generate`` requires."""

    seed: int


def as_records(messages: Iterable[object]) -> list[dict[str, Any]]:
    """The messages of an Avro reader over a record schema, each a dict of field name to value."""
    found: list[dict[str, Any]] = []
    for message in messages:
        assert isinstance(message, dict), f"not an Avro record: {message!r}"
        found.append(message)
    return found


def records(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return as_records(fastavro.reader(handle))


def without_timestamps(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in sample.items() if key != "generation_timestamp_utc"} for sample in samples]


def snapshot(directory: Path) -> dict[str, Any]:
    """Everything deterministic in a dataset folder: file names, manifest text, and every sample
    without its wall-clock timestamp, per file."""
    files = sorted(directory.glob("*.avro"))
    return {
        "files": [file.name for file in files],
        "manifest": (directory / "manifest.json").read_text(),
        "samples": {file.name: without_timestamps(records(file)) for file in files},
    }


def run_package_json(path: Path) -> str:
    with path.open("rb") as handle:
        return str(fastavro.reader(handle).metadata[RUN_PACKAGE_KEY])


def make_unit(scenario: str = "baseline_operation", *, run_seed: int = 11, **fields: Any) -> Any:
    """A training ``WorkUnit`` of ``scenario`` with default parameters (``fields`` override)."""
    from envirosense.generation.units import WorkUnit, normalized_definition
    from envirosense.simulation import scenario_class

    definition, instance = normalized_definition(scenario_class(scenario)().to_definition())
    values: dict[str, Any] = {
        "definition": definition,
        "scenario_module": type(instance).__module__,
        "mode": "training",
        "run_index": 0,
        "timesteps": 40,
        "interval_seconds": 10.0,
    }
    values.update(fields)
    return WorkUnit.create(run_seed, **values)


def pool_workers() -> list[psutil.Process]:
    """The live worker processes of this process's local pools: the children of its multiprocessing
    forkserver (which carry the forkserver's command line), not other descendants such as Dask workers."""
    me = psutil.Process()
    found = []
    for child in me.children(recursive=True):
        try:
            if child.ppid() != me.pid and "forkserver" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:  # ended meanwhile
            continue
    return found


def kill_pool_workers(count: int | None = None) -> int:
    """SIGKILL ``count`` pool workers (all if ``None``) and wait until they are gone; how many were killed."""
    victims = pool_workers()[:count]
    for victim in victims:
        victim.kill()
    psutil.wait_procs(victims, timeout=60)
    return len(victims)
