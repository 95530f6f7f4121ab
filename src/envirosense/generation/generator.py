"""``MLDataGenerator``: scenarios → work units → Avro package files in a dataset folder.

Order of work in ``generate``: validate the request and every definition, check the output folder,
open the executor (connect to Dask), and only then create the folder, lock it and write. Units whose
file exists and verifies are skipped, so rerunning an interrupted generation finishes it with exactly
the files an uninterrupted run writes.

Bad input fails at once. Failures of the executor itself (see ``executors.ExecutorFailedError``) are retried
a bounded number of times, each retry resuming the dataset like a rerun, and counted by a circuit breaker
that, once open, fails calls at once with ``GeneratorUnavailableError`` until its reset timeout lets one
trial call through.

By default every ``generate`` call opens its own executor and closes it at the end. A generator used as a
context manager (``with MLDataGenerator(workers=2) as generator:``, or ``open()`` … ``close()``) keeps one
executor for all its calls instead: the pool's workers stay warm (imports and simulator set-up happen
once per worker), the Dask client connects once. An attempt that fails because of the executor discards
it, and the next attempt opens a fresh one, exactly as separate calls would.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import pybreaker
from tenacity import RetryCallState

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
    GeneratorUnavailableError,
    InvalidRequestError,
    OutputDirectoryError,
    SchedulerUnavailableError,
    UnitFailedError,
)
from envirosense.generation.executors import (
    ExecutorFailedError,
    ExecutorHandle,
    dask_executor,
    is_infrastructure_failure,
    local_executor,
    warm_up,
)
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
from envirosense.ops.metrics import watch_breaker
from envirosense.ops.resilience import BreakerSettings, RetrySettings, call_through, circuit_breaker, retrying
from envirosense.schemas import ClassLabel, ScenarioDefinition, ScenarioRunPackage
from envirosense.schemas.avro import schema_versions
from envirosense.simulation import SIMULATION_ENGINE_VERSION, BaseScenario

Outcome = Literal["written", "skipped", "empty"]
T = TypeVar("T")

log = get_logger(__name__)


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
    ``attempts`` is 1 plus the retries after executor failures (units are counted once across them);
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
    attempts: int = 1

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


class _BreakerWatch(pybreaker.CircuitBreakerListener):
    """Logs the breaker's state changes and keeps what its error messages need: when it opened, and the
    last failure it counted."""

    def __init__(self, executor: str) -> None:
        self.executor = executor
        self.opened_at: datetime | None = None
        self.last_failure: BaseException | None = None

    def failure(self, cb: pybreaker.CircuitBreaker, exc: BaseException) -> None:
        self.last_failure = exc

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        fields: dict[str, Any] = {}
        if new_state.name == pybreaker.STATE_OPEN:
            self.opened_at = datetime.now(UTC)
            fields["next_trial_at"] = (self.opened_at + timedelta(seconds=cb.reset_timeout)).isoformat()
            fields["last_error"] = str(self.last_failure)
        log.warning(
            "circuit_breaker_state",
            breaker=cb.name,
            executor=self.executor,
            old=getattr(old_state, "name", None),
            new=new_state.name,
            **fields,
        )

    def next_trial_at(self, cb: pybreaker.CircuitBreaker) -> datetime | None:
        """When the open breaker lets a trial call through; ``None`` unless it is open."""
        if cb.current_state != pybreaker.STATE_OPEN or self.opened_at is None:
            return None
        return self.opened_at + timedelta(seconds=cb.reset_timeout)


def executor_failed(exc: BaseException) -> bool:
    """The generator's classifier: only a failed executor (pool broken, workers lost) is transient."""
    return isinstance(exc, ExecutorFailedError)


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
        How long to wait for the Dask scheduler (and for at least one worker) before giving up. While
        units run, a cluster that finishes none for this long is asked whether it still has a worker; no
        answer, or no worker, within this long again fails the attempt.
    max_pool_restarts:
        How often, within one attempt, a local pool whose worker died is rebuilt before the attempt fails.
    executor_attempts:
        Attempts per ``generate`` call when the executor fails (scheduler unreachable, cluster without
        workers, pool broken more than ``max_pool_restarts`` times, connection lost); each retry skips
        the files already written and verified. A unit that raises on its input is never retried.
    backoff_initial_s, backoff_max_s:
        Pause before the first retry (s), doubling up to ``backoff_max_s``.
    breaker_fail_max:
        Consecutive failed attempts (over all calls) that open the circuit breaker. While it is open,
        ``generate`` fails at once with ``GeneratorUnavailableError``, without touching the executor.
    breaker_reset_timeout_s:
        How long the breaker stays open (s) before it lets one trial call through; the trial's success
        closes it, its failure opens it again. Other calls wait for the trial's outcome.
    breaker_name:
        The breaker's name in logs and in the ``envirosense_circuit_breaker_state{breaker=...}`` metric.

    Used as a context manager (or between ``open()`` and ``close()``), the generator keeps one executor
    for all its ``generate`` calls: a long-lived pool whose workers stay warm, or one Dask client. It is
    closed on leaving the block, whether by return, error or interrupt.
    """

    def __init__(
        self,
        *,
        workers: int = 1,
        dask_scheduler: str | None = None,
        executor: Executor | None = None,
        scheduler_timeout_seconds: float = 10.0,
        max_pool_restarts: int = 3,
        executor_attempts: int = 3,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 5.0,
        breaker_fail_max: int = 3,
        breaker_reset_timeout_s: float = 30.0,
        breaker_name: str = "generator-executor",
    ) -> None:
        if workers < 0:
            raise InvalidRequestError("workers must be 0 or more")
        if dask_scheduler is not None and executor is not None:
            raise InvalidRequestError("give dask_scheduler or executor, not both")
        if scheduler_timeout_seconds <= 0:
            raise InvalidRequestError("scheduler_timeout_seconds must be more than 0")
        if max_pool_restarts < 0:
            raise InvalidRequestError("max_pool_restarts must be 0 or more")
        if executor_attempts < 1:
            raise InvalidRequestError("executor_attempts must be 1 or more")
        if backoff_initial_s < 0 or backoff_max_s < 0:
            raise InvalidRequestError("backoff_initial_s and backoff_max_s must be 0 or more")
        if breaker_fail_max < 1:
            raise InvalidRequestError("breaker_fail_max must be 1 or more")
        if breaker_reset_timeout_s <= 0:
            raise InvalidRequestError("breaker_reset_timeout_s must be more than 0")
        self.workers = workers
        self.dask_scheduler = dask_scheduler
        self.executor = executor
        self.scheduler_timeout_seconds = scheduler_timeout_seconds
        self.max_pool_restarts = max_pool_restarts
        self.executor_attempts = executor_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.breaker_fail_max = breaker_fail_max
        self.breaker_reset_timeout_s = breaker_reset_timeout_s
        self.breaker_name = breaker_name
        self._watch = _BreakerWatch(self.executor_description)
        self.breaker = circuit_breaker(
            BreakerSettings(fail_max=breaker_fail_max, reset_timeout_s=breaker_reset_timeout_s),
            breaker_name,
            # Only executor failures count. Bad input or a failing unit proves the executor works; an
            # interrupt (not an Exception) during a trial proves nothing, so it counts as a failure.
            exclude=lambda exc: isinstance(exc, Exception) and not executor_failed(exc),
            listeners=(self._watch,),
        )
        watch_breaker(self.breaker, breaker_name)
        self._held_lock = threading.Lock()
        self._keep_open = False
        self._held: ExecutorHandle | None = None
        self._held_stack: ExitStack | None = None

    # --- a long-lived executor ----------------------------------------------------------------------

    def open(self) -> MLDataGenerator:
        """Keep one executor for every ``generate`` call until ``close()``.

        The executor itself is opened by the first call that needs it (inside its retries and circuit
        breaker, as for a call on its own), so opening never blocks on a scheduler that is down.
        """
        with self._held_lock:
            self._keep_open = True
        return self

    def close(self) -> None:
        """Close the kept executor (shut the pool down, disconnect from Dask); later calls open their own."""
        with self._held_lock:
            self._keep_open = False
            self._discard_held()

    @property
    def is_open(self) -> bool:
        """Whether ``generate`` calls share one executor (between ``open()`` and ``close()``)."""
        return self._keep_open

    def __enter__(self) -> MLDataGenerator:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _discard_held(self) -> None:
        """Close the kept executor, if any (the caller holds ``_held_lock``)."""
        stack, self._held_stack, self._held = self._held_stack, None, None
        if stack is not None:
            stack.close()

    @contextmanager
    def kept_executor(self) -> Iterator[ExecutorHandle]:
        """The kept executor, opened on first use (what ``generate`` runs on, and other work of the run, such
        as crafting's simulation batches); discarded when an attempt fails because of it (or is interrupted),
        so that the next attempt starts from a fresh one."""
        with self._held_lock:
            if self._held is None:
                stack = ExitStack()
                self._held = stack.enter_context(self._executor())
                self._held_stack = stack
                warm_up(self._held)
            handle = self._held
        try:
            yield handle
        except BaseException as exc:
            # A broken executor, or an interrupt (nothing may keep running after it): the next attempt
            # starts from a fresh one. Bad input or a failing unit leave the executor as it is.
            if isinstance(exc, ExecutorFailedError) or not isinstance(exc, Exception):
                with self._held_lock:
                    if self._held is handle:
                        self._discard_held()
            raise

    @property
    def executor_description(self) -> str:
        """What runs the units, as error messages and logs name it."""
        if self.dask_scheduler is not None:
            return f"Dask scheduler {self.dask_scheduler}"
        if self.executor is not None:
            return f"executor {type(self.executor).__name__}"
        if self.workers == 0:
            return "in-process executor"
        return f"local process pool ({self.workers} workers)"

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
        ``InvalidRequestError`` or ``OutputDirectoryError`` before anything is written; a unit that
        raises fails the generation at once with ``UnitFailedError``. Neither is retried or counted by
        the circuit breaker. When the executor fails, the generation is retried (up to
        ``executor_attempts`` attempts, resuming each time); then, or at once while the breaker is open,
        it raises ``GeneratorUnavailableError`` (``SchedulerUnavailableError`` when the Dask scheduler is
        what is down). In every case files already written stay valid and a rerun resumes.
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
        tally = _Tally(progress)

        def attempt() -> tuple[DatasetManifest, list[str]]:
            return self._attempt(request, prepared, summary, output_dir, tally)

        (manifest, unclaimed), attempts = self._with_retries(attempt, output_dir)
        report = GenerationReport(
            output_dir=output_dir,
            manifest=manifest,
            units_written=tally.count("written"),
            units_skipped=tally.count("skipped"),
            units_empty=tally.count("empty"),
            elapsed_seconds=time.perf_counter() - started,
            pool_restarts=tally.restarts,
            unclaimed_files=unclaimed,
            attempts=attempts,
        )
        log.info(
            "generation_complete",
            output_dir=str(output_dir),
            dataset_id=report.dataset_id,
            samples=report.total_samples,
            written=report.units_written,
            skipped=report.units_skipped,
            attempts=attempts,
        )
        return report

    def _attempt(
        self,
        request: GenerationRequest,
        prepared: list[PreparedScenario],
        summary: dict[str, Any],
        output_dir: Path,
        tally: _Tally,
    ) -> tuple[DatasetManifest, list[str]]:
        """One attempt: open the executor, then lock the folder and run every unit not yet written."""
        with ExitStack() as stack:
            try:
                handle = stack.enter_context(self.kept_executor() if self._keep_open else self._executor())
            except SchedulerUnavailableError as exc:
                raise ExecutorFailedError(str(exc)) from exc
            try:
                output_dir.mkdir(parents=True, exist_ok=True)
                stack.enter_context(dataset_lock(output_dir))
            except OSError as exc:
                raise OutputDirectoryError(f"cannot write {output_dir}: {exc}") from exc
            session = _Session(output_dir, request_fingerprint(summary), summary)
            session.open()
            runner = _Runner(handle, session, tally, self.max_pool_restarts)
            if request.mode is GenerationMode.CLASS_BALANCED:
                entries = _run_balanced(request, prepared, runner)
            else:
                entries = runner.run(plan_units(request, prepared))
            return session.finish(entries)

    def _with_retries(self, attempt: Callable[[], T], output_dir: Path) -> tuple[T, int]:
        """``attempt()`` through the breaker, retried on ``ExecutorFailedError``; its result and the attempts made."""

        def before_sleep(state: RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome else None
            log.warning(
                "generator_executor_retry",
                executor=self.executor_description,
                output_dir=str(output_dir),
                attempt=state.attempt_number,
                max_attempts=self.executor_attempts,
                retry_in_s=round(state.next_action.sleep, 3) if state.next_action else None,
                error=str(failure),
            )

        policy = RetrySettings(
            max_attempts=self.executor_attempts,
            timeout_s=None,
            wait_s=self.backoff_initial_s,
            max_wait_s=self.backoff_max_s,
        )
        attempts = 0

        def counted() -> T:
            nonlocal attempts
            attempts += 1
            return self._through_breaker(attempt)

        try:
            return retrying(policy, executor_failed, on_retry=before_sleep)(counted), attempts
        except ExecutorFailedError as failure:
            raise self._unavailable(
                f"{self.executor_description} is down ({attempts} attempts, last: {failure}). {self._breaker_status()}",
                failure,
            ) from (failure.__cause__ or failure)

    def _through_breaker(self, attempt: Callable[[], T]) -> T:
        """One attempt, counted by the circuit breaker without serialising concurrent generations
        (``ops.resilience.call_through``); an open breaker fails at once with ``GeneratorUnavailableError``."""
        try:
            return call_through(self.breaker, attempt)
        except pybreaker.CircuitBreakerError:
            last = self._watch.last_failure
            raise self._unavailable(
                f"{self.executor_description} is down (last failure: {last}). {self._breaker_status()}", last
            ) from (None if last is None else last.__cause__ or last)

    def _breaker_status(self) -> str:
        next_trial = self._watch.next_trial_at(self.breaker)
        if next_trial is None:
            return "The next call tries again at once; files already written stay valid."
        remaining = max((next_trial - datetime.now(UTC)).total_seconds(), 0.0)
        return (
            f"Circuit breaker {self.breaker_name!r} is open: calls fail at once, without trying, until the "
            f"next trial at {next_trial.isoformat(timespec='seconds')} (in {remaining:.1f} s). "
            "Files already written stay valid; a later call resumes."
        )

    def _unavailable(self, message: str, failure: BaseException | None) -> GeneratorUnavailableError:
        scheduler_down = failure is not None and isinstance(failure.__cause__, SchedulerUnavailableError)
        error_type = SchedulerUnavailableError if scheduler_down else GeneratorUnavailableError
        return error_type(
            message, executor=self.executor_description, next_trial_at=self._watch.next_trial_at(self.breaker)
        )

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


class _Tally:
    """What one ``generate`` call did, over all its attempts: every unit is counted and reported once
    (a unit written by a failed attempt is skipped by the next one, and stays counted as written)."""

    def __init__(self, progress: Callable[[UnitEvent], None] | None) -> None:
        self.progress = progress
        self.planned: set[str] = set()
        self.outcomes: dict[str, Outcome] = {}
        self.restarts = 0

    def plan(self, units: list[WorkUnit]) -> None:
        self.planned.update(unit.key for unit in units)

    def report(self, unit: WorkUnit, outcome: Outcome, samples: int) -> None:
        if unit.key in self.outcomes:
            return
        self.outcomes[unit.key] = outcome
        if self.progress is not None:
            self.progress(UnitEvent(unit, outcome, samples, len(self.outcomes), len(self.planned)))

    def count(self, outcome: Outcome) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)


class _Runner:
    """Runs units on the executor, a bounded number in flight, writing each file as it arrives."""

    def __init__(self, handle: ExecutorHandle, session: _Session, tally: _Tally, max_restarts: int) -> None:
        self.handle = handle
        self.session = session
        self.tally = tally
        self.max_restarts = max_restarts
        self.restarts = 0

    def run(self, units: list[WorkUnit]) -> list[PackageEntry]:
        """Run ``units``; the entries of those that kept samples, in the order of ``units``.

        Raises ``UnitFailedError`` when a unit raises, ``ExecutorFailedError`` when the executor fails.
        """
        self.tally.plan(units)
        results: dict[str, PackageEntry | None] = {}
        todo: deque[WorkUnit] = deque()
        for unit in units:
            entry = self.session.existing(unit)
            if entry is None:
                todo.append(unit)
            else:
                results[unit.key] = entry
                self.tally.report(unit, "skipped", entry.sample_count)
        in_flight: dict[Future[UnitOutput], WorkUnit] = {}
        while todo or in_flight:
            broken = self._submit(todo, in_flight)
            # A broken pool still hands out the results that arrived before it broke: collect them first.
            timeout = 0 if broken else self.handle.stall_check_seconds
            finished, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
            if not finished and not broken and self.handle.check_alive is not None:
                try:
                    self.handle.check_alive()
                except ExecutorFailedError:
                    _cancel_all(in_flight)
                    raise
            for future in finished:
                unit = in_flight.pop(future)
                try:
                    output = future.result()
                except BrokenExecutor:
                    broken = True
                    todo.appendleft(unit)
                    continue
                except Exception as exc:
                    _cancel_all(in_flight)
                    where = (
                        f"unit {unit.key[:12]} (scenario {unit.definition.scenario_definition_id}, "
                        f"run {unit.run_index})"
                    )
                    if is_infrastructure_failure(exc):
                        raise ExecutorFailedError(f"{where} was lost: {type(exc).__name__}: {exc}") from exc
                    raise UnitFailedError(f"{where} failed: {type(exc).__name__}: {exc}") from exc
                entry = self.session.record(unit, output)
                results[unit.key] = entry
                self.tally.report(unit, "empty" if entry is None else "written", output.package.sample_count)
            if broken:
                self._recover(todo, in_flight)
        return [entry for unit in units if (entry := results[unit.key]) is not None]

    def _submit(self, todo: deque[WorkUnit], in_flight: dict[Future[UnitOutput], WorkUnit]) -> bool:
        """Submit units until ``2 × parallelism`` are in flight; ``True`` if the pool turned out broken."""
        while todo and len(in_flight) < 2 * self.handle.parallelism:
            unit = todo.popleft()
            try:
                future = self.handle.executor.submit(run_unit, unit)
            except BrokenExecutor:  # a worker died since the last results came in
                todo.appendleft(unit)
                return True
            in_flight[future] = unit
        return False

    def _recover(self, todo: deque[WorkUnit], in_flight: dict[Future[UnitOutput], WorkUnit]) -> None:
        todo.extendleft(reversed(list(in_flight.values())))
        in_flight.clear()
        if not self.handle.restartable:
            raise ExecutorFailedError(f"the executor broke and cannot be rebuilt; {len(todo)} units were not generated")
        if self.restarts >= self.max_restarts:
            raise ExecutorFailedError(
                f"a pool worker died {self.restarts + 1} times (max_pool_restarts={self.max_restarts}); "
                f"{len(todo)} units were not generated"
            )
        self.restarts += 1
        self.tally.restarts += 1
        self.session.log.warning("worker_died_restarting_pool", restarts=self.restarts, units_requeued=len(todo))
        self.handle.restart()


def _cancel_all(in_flight: dict[Future[UnitOutput], WorkUnit]) -> None:
    for future in in_flight:
        future.cancel()


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
