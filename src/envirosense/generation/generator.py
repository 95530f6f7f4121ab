"""``MLDataGenerator``: scenarios → work units → Avro package files in a dataset folder.

Order of work in ``generate``: validate the request and every definition, check the output folder,
open the executor (connect to Dask), and only then create the folder, lock it and write. Units whose
file exists and verifies are skipped, so rerunning an interrupted generation finishes it with exactly
the files an uninterrupted run writes.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from envirosense.generation.dataset import (
    DatasetManifest,
    PackageEntry,
    check_output_directory,
    compute_dataset_id,
    dataset_lock,
    load_manifest,
    remove_stale_temporary_files,
    write_manifest,
)
from envirosense.generation.errors import (
    CorruptPackageError,
    DatasetConflictError,
    GenerationError,
    InvalidRequestError,
    OutputDirectoryError,
    UnitFailedError,
)
from envirosense.generation.executors import ExecutorHandle, dask_executor, local_executor
from envirosense.generation.plan import (
    MAX_BALANCED_ROUNDS,
    GenerationRequest,
    PreparedScenario,
    plan_balanced_round,
    plan_units,
    prepare,
    request_fingerprint,
    request_summary,
    validate_request,
)
from envirosense.generation.reader import read_run_package, verify_package
from envirosense.generation.units import GENERATOR_VERSION, GenerationMode, Lineage, UnitOutput, WorkUnit, run_unit
from envirosense.generation.writer import PACKAGE_SUFFIX, Codec, fsync_directory, write_atomic
from envirosense.ops.logging import get_logger
from envirosense.schemas import ClassLabel, ScenarioDefinition, ScenarioRunPackage
from envirosense.schemas.avro import schema_versions
from envirosense.simulation import SIMULATION_ENGINE_VERSION, BaseScenario

Outcome = Literal["written", "skipped", "empty"]


@dataclass(frozen=True)
class UnitEvent:
    """Reported to the ``progress`` callback after every unit."""

    unit: WorkUnit
    outcome: Outcome
    sample_count: int
    units_done: int
    units_planned: int


@dataclass
class GenerationReport:
    """What a generation produced. ``pool_restarts`` counts local pools rebuilt after a worker died;
    ``unclaimed_files`` are ``.avro`` files in the folder that no unit of this request owns (left out
    of the manifest)."""

    output_dir: Path
    manifest: DatasetManifest
    units_written: int
    units_skipped: int
    units_empty: int
    elapsed_seconds: float
    pool_restarts: int = 0
    unclaimed_files: list[str] = field(default_factory=list)

    @property
    def dataset_id(self) -> str:
        assert self.manifest.dataset_id is not None
        return self.manifest.dataset_id

    @property
    def total_samples(self) -> int:
        return self.manifest.total_samples


class _Session:
    """The dataset folder during one generation: existing packages, new files, the manifest."""

    def __init__(self, directory: Path, fingerprint: str, summary: dict[str, Any]) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self.summary = summary
        self.index: dict[str, Path] = {}
        self.claimed: set[Path] = set()
        self.log = get_logger(__name__, output_dir=str(directory))

    def open(self) -> None:
        manifest = load_manifest(self.directory)
        if manifest is not None and manifest.request_fingerprint != self.fingerprint:
            raise DatasetConflictError(
                f"{self.directory} holds a dataset generated from a different request "
                f"(fingerprint {manifest.request_fingerprint[:12]}, this one {self.fingerprint[:12]}); "
                "choose another folder"
            )
        for stale in remove_stale_temporary_files(self.directory):
            self.log.info("removed_stale_temporary_file", path=str(stale))
        for path in sorted(self.directory.glob(f"*{PACKAGE_SUFFIX}")):
            try:
                package = read_run_package(path)
            except CorruptPackageError as exc:
                self.log.warning("unreadable_package_header", path=str(path), error=str(exc))
                continue
            unit_key = package.run_metadata.get("unit_key")
            if unit_key is not None:
                self.index[unit_key] = path
        write_manifest(self.directory, self._manifest("in_progress", []))

    def existing(self, unit: WorkUnit) -> PackageEntry | None:
        """The unit's package if its file exists and verifies; a file that fails is deleted."""
        path = self.index.get(unit.key)
        if path is None:
            return None
        try:
            package = verify_package(path, validate=False)
        except CorruptPackageError as exc:
            self.log.warning("regenerating_corrupt_package", path=str(path), error=str(exc))
            path.unlink(missing_ok=True)
            return None
        self.claimed.add(path)
        return _entry(path.name, unit.key, package)

    def record(self, unit: WorkUnit, output: UnitOutput) -> PackageEntry | None:
        if output.file_name is None or output.data is None:
            return None
        path = self.directory / output.file_name
        write_atomic(path, output.data)
        self.claimed.add(path)
        return _entry(output.file_name, unit.key, output.package)

    def finish(self, entries: list[PackageEntry]) -> tuple[DatasetManifest, list[str]]:
        fsync_directory(self.directory)
        manifest = self._manifest("complete", entries)
        write_manifest(self.directory, manifest)
        unclaimed = sorted(path.name for path in self.directory.glob(f"*{PACKAGE_SUFFIX}") if path not in self.claimed)
        for name in unclaimed:
            self.log.warning("unclaimed_package_file", file=name)
        return manifest, unclaimed

    def _manifest(self, status: Literal["in_progress", "complete"], entries: list[PackageEntry]) -> DatasetManifest:
        class_counts: dict[str, int] = {}
        for entry in entries:
            for label, count in entry.class_counts.items():
                class_counts[label] = class_counts.get(label, 0) + count
        return DatasetManifest(
            status=status,
            request_fingerprint=self.fingerprint,
            request=self.summary,
            generator_version=GENERATOR_VERSION,
            simulation_engine_version=SIMULATION_ENGINE_VERSION,
            data_schema_versions=schema_versions(),
            dataset_id=compute_dataset_id(entry.package_id for entry in entries) if status == "complete" else None,
            packages=entries,
            total_samples=sum(entry.sample_count for entry in entries),
            class_counts=dict(sorted(class_counts.items())),
        )


def _entry(file_name: str, unit_key: str, package: ScenarioRunPackage) -> PackageEntry:
    definition = package.scenario_definition
    return PackageEntry(
        file_name=file_name,
        package_id=package.package_id,
        unit_key=unit_key,
        scenario_definition_id=definition.scenario_definition_id,
        scenario_definition_version=definition.version,
        scenario_class_name=definition.scenario_class_name,
        seed=package.seed,
        sample_count=package.sample_count,
        class_counts=json.loads(package.run_metadata.get("class_counts", "{}")),
    )


class MLDataGenerator:
    """Generates ``MLDataSample`` datasets from scenarios: reproducible, resumable, parallel.

    Parameters
    ----------
    workers:
        Size of the local process pool (default 1); 0 runs units in the calling process.
    dask_scheduler:
        ``tcp://HOST:PORT`` of a Dask scheduler; units then run on its workers (``workers`` is ignored).
    executor:
        Any ``concurrent.futures.Executor`` to run units on instead (owned by the caller).
    scheduler_timeout_seconds:
        How long to wait for the Dask scheduler (and for at least one worker) before giving up.
    max_pool_restarts:
        How often a local pool whose worker died is rebuilt before the generation fails.
    """

    def __init__(
        self,
        *,
        workers: int = 1,
        dask_scheduler: str | None = None,
        executor: Executor | None = None,
        scheduler_timeout_seconds: float = 10.0,
        max_pool_restarts: int = 3,
    ) -> None:
        if workers < 0:
            raise InvalidRequestError("workers must be 0 or more")
        if dask_scheduler is not None and executor is not None:
            raise InvalidRequestError("give dask_scheduler or executor, not both")
        self.workers = workers
        self.dask_scheduler = dask_scheduler
        self.executor = executor
        self.scheduler_timeout_seconds = scheduler_timeout_seconds
        self.max_pool_restarts = max_pool_restarts

    def generate(
        self,
        scenarios: Sequence[BaseScenario[Any] | ScenarioDefinition],
        output_dir: Path,
        *,
        seed: int,
        mode: GenerationMode | str = GenerationMode.TRAINING,
        samples_per_run: int | None = None,
        duration_seconds: float | None = None,
        interval_seconds: float = 10.0,
        spread_over_duration: bool = False,
        runs_per_scenario: int = 1,
        class_quotas: dict[ClassLabel, int] | dict[str, int] | None = None,
        edge_parameters: int = 3,
        sequence_length: int = 12,
        sequence_stride: int | None = None,
        lineage: Lineage | None = None,
        include_thermal_image: bool = False,
        codec: Codec = "deflate",
        progress: Callable[[UnitEvent], None] | None = None,
    ) -> GenerationReport:
        """Generate into ``output_dir`` (a dataset folder) and return a report.

        See ``GenerationRequest`` for the meaning of every option. Bad input raises
        ``InvalidRequestError``, ``OutputDirectoryError`` or ``SchedulerUnavailableError`` before
        anything is written; a failing unit raises ``UnitFailedError`` (files already written stay
        valid and a rerun resumes).
        """
        started = time.perf_counter()
        request = validate_request(
            {
                "definitions": tuple(_as_definition(item) for item in scenarios),
                "seed": seed,
                "mode": mode,
                "samples_per_run": samples_per_run,
                "duration_seconds": duration_seconds,
                "interval_seconds": interval_seconds,
                "spread_over_duration": spread_over_duration,
                "runs_per_scenario": runs_per_scenario,
                "class_quotas": class_quotas,
                "edge_parameters": edge_parameters,
                "sequence_length": sequence_length,
                "sequence_stride": sequence_stride,
                "lineage": lineage or Lineage(),
                "include_thermal_image": include_thermal_image,
                "codec": codec,
            }
        )
        prepared = prepare(request)
        summary = request_summary(request, prepared)
        output_dir = Path(output_dir)
        check_output_directory(output_dir)
        with self._executor() as handle, ExitStack() as stack:
            try:
                output_dir.mkdir(parents=True, exist_ok=True)
                stack.enter_context(dataset_lock(output_dir))
            except OSError as exc:
                raise OutputDirectoryError(f"cannot write {output_dir}: {exc}") from exc
            session = _Session(output_dir, request_fingerprint(summary), summary)
            session.open()
            runner = _Runner(handle, session, progress, self.max_pool_restarts)
            if request.mode is GenerationMode.CLASS_BALANCED:
                entries = _run_balanced(request, prepared, runner)
            else:
                entries = runner.run(plan_units(request, prepared))
            manifest, unclaimed = session.finish(entries)
        report = GenerationReport(
            output_dir=output_dir,
            manifest=manifest,
            units_written=runner.counts["written"],
            units_skipped=runner.counts["skipped"],
            units_empty=runner.counts["empty"],
            elapsed_seconds=time.perf_counter() - started,
            pool_restarts=runner.restarts,
            unclaimed_files=unclaimed,
        )
        session.log.info(
            "generation_complete",
            dataset_id=report.dataset_id,
            samples=report.total_samples,
            written=report.units_written,
            skipped=report.units_skipped,
        )
        return report

    def _executor(self) -> AbstractContextManager[ExecutorHandle]:
        if self.dask_scheduler is not None:
            return dask_executor(self.dask_scheduler, self.scheduler_timeout_seconds)
        if self.executor is not None:
            return _borrowed(self.executor, max(self.workers, 1))
        return local_executor(self.workers)


@contextmanager
def _borrowed(executor: Executor, parallelism: int) -> Iterator[ExecutorHandle]:
    yield ExecutorHandle(executor, parallelism)


def _as_definition(item: object) -> ScenarioDefinition:
    if isinstance(item, ScenarioDefinition):
        return item
    if isinstance(item, BaseScenario):
        return item.to_definition()
    raise InvalidRequestError(f"expected a scenario or a ScenarioDefinition, got {type(item).__name__}")


class _Runner:
    """Runs units on the executor, a bounded number in flight, writing each file as it arrives."""

    def __init__(
        self,
        handle: ExecutorHandle,
        session: _Session,
        progress: Callable[[UnitEvent], None] | None,
        max_restarts: int,
    ) -> None:
        self.handle = handle
        self.session = session
        self.progress = progress
        self.max_restarts = max_restarts
        self.restarts = 0
        self.planned = 0
        self.done = 0
        self.counts: dict[Outcome, int] = {"written": 0, "skipped": 0, "empty": 0}

    def _report(self, unit: WorkUnit, outcome: Outcome, samples: int) -> None:
        self.done += 1
        self.counts[outcome] += 1
        if self.progress is not None:
            self.progress(UnitEvent(unit, outcome, samples, self.done, self.planned))

    def run(self, units: list[WorkUnit]) -> list[PackageEntry]:
        """Run ``units``; the entries of those that kept samples, in the order of ``units``."""
        self.planned += len(units)
        results: dict[str, PackageEntry | None] = {}
        todo: deque[WorkUnit] = deque()
        for unit in units:
            entry = self.session.existing(unit)
            if entry is None:
                todo.append(unit)
            else:
                results[unit.key] = entry
                self._report(unit, "skipped", entry.sample_count)
        in_flight: dict[Future[UnitOutput], WorkUnit] = {}
        while todo or in_flight:
            while todo and len(in_flight) < 2 * self.handle.parallelism:
                unit = todo.popleft()
                in_flight[self.handle.executor.submit(run_unit, unit)] = unit
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                unit = in_flight.pop(future)
                try:
                    output = future.result()
                except BrokenExecutor:
                    broken = True
                    todo.appendleft(unit)
                    continue
                except Exception as exc:
                    for other in in_flight:
                        other.cancel()
                    raise UnitFailedError(
                        f"unit {unit.key[:12]} (scenario {unit.definition.scenario_definition_id}, "
                        f"run {unit.run_index}) failed: {type(exc).__name__}: {exc}"
                    ) from exc
                entry = self.session.record(unit, output)
                results[unit.key] = entry
                self._report(unit, "empty" if entry is None else "written", output.package.sample_count)
            if broken:
                self._recover(todo, in_flight)
        return [entry for unit in units if (entry := results[unit.key]) is not None]

    def _recover(self, todo: deque[WorkUnit], in_flight: dict[Future[UnitOutput], WorkUnit]) -> None:
        todo.extendleft(reversed(list(in_flight.values())))
        in_flight.clear()
        if not self.handle.restartable or self.restarts >= self.max_restarts:
            raise UnitFailedError(
                f"a worker died {self.restarts + 1} times; {len(todo)} units were not generated "
                "(files already written stay valid: rerun to resume)"
            )
        self.restarts += 1
        self.session.log.warning("worker_died_restarting_pool", restarts=self.restarts, units_requeued=len(todo))
        self.handle.restart()


def _run_balanced(request: GenerationRequest, prepared: list[PreparedScenario], runner: _Runner) -> list[PackageEntry]:
    assert request.class_quotas is not None
    deficits = dict(request.class_quotas)
    delivered: dict[ClassLabel, int] = {}
    simulated: dict[ClassLabel, int] = {}
    next_run: dict[ClassLabel, int] = {}
    entries: list[PackageEntry] = []
    for _ in range(MAX_BALANCED_ROUNDS):
        yields = {label: delivered[label] / simulated[label] for label in delivered if simulated[label]}
        units = plan_balanced_round(request, prepared, deficits, yields, next_run)
        round_entries = runner.run(units)
        entries.extend(round_entries)
        got: dict[ClassLabel, int] = {}
        for entry in round_entries:
            for label, count in entry.class_counts.items():
                got[ClassLabel(label)] = got.get(ClassLabel(label), 0) + count
        for unit in units:
            assert unit.target_class is not None
            simulated[unit.target_class] = simulated.get(unit.target_class, 0) + unit.timesteps
        stalled = sorted(label.value for label in deficits if not got.get(label) and not delivered.get(label))
        if stalled:
            raise UnitFailedError(
                f"class_balanced: the runs for class {', '.join(stalled)} hold no timestep of that class; "
                "the hazard may begin after the end of the run (use longer runs)"
            )
        for label, count in got.items():
            delivered[label] = delivered.get(label, 0) + count
            deficits[label] -= count
        deficits = {label: deficit for label, deficit in deficits.items() if deficit > 0}
        if not deficits:
            return entries
    raise GenerationError(
        f"class_balanced: quotas not met after {MAX_BALANCED_ROUNDS} rounds (still missing "
        + ", ".join(f"{label.value}: {deficit}" for label, deficit in sorted(deficits.items()))
        + ")"
    )
