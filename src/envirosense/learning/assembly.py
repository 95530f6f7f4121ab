"""Building a run from its settings: database, repository, generator, registry, model interface,
tracker and the shared initial and evaluation datasets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from envirosense.generation import DatasetConflictError, MLDataGenerator
from envirosense.generation.batches import simulation_batch
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.context import EventCallback
from envirosense.learning.manager import ActiveLearningManager
from envirosense.learning.progress import generation_progress
from envirosense.learning.run_config import StoredRunConfig
from envirosense.learning.settings import RepositoryRetrySettings, RunSettings
from envirosense.learning.sources import DefinitionDraw, random_definitions, runs_for, save_definitions
from envirosense.learning.state import RunStatus
from envirosense.learning.store import RunStore
from envirosense.learning.tracking import MlflowListener
from envirosense.learning.trainer import CandidateTrainer
from envirosense.models.evaluation import EvaluationConfig
from envirosense.models.interface import ModelInterface
from envirosense.models.local import LocalModelInterface
from envirosense.models.registry import ModelRegistry
from envirosense.models.served import ServedModelInterface
from envirosense.models.training import TrainingConfig
from envirosense.ops.failpoints import failpoint
from envirosense.ops.locks import file_lock
from envirosense.ops.logging import get_logger
from envirosense.ops.tracking import ExperimentTracker
from envirosense.repository import SqlScenarioRepository, make_engine, open_repository, resolve_database_url
from envirosense.repository.catalogue import seed_catalogue
from envirosense.repository.crafting import RuleBasedInverseCrafter
from envirosense.repository.migrate import upgrade_database


@dataclass(frozen=True)
class Workspace:
    """The folders and stores of one workspace."""

    root: Path
    database_url: str
    tracking_uri: str

    @classmethod
    def from_settings(cls, settings: RunSettings) -> Workspace:
        root = settings.workspace.resolve()
        root.mkdir(parents=True, exist_ok=True)
        tracking = settings.mlflow_tracking_uri or f"sqlite:///{root / 'mlflow.db'}"
        return cls(root, resolve_database_url(settings.database_url, root), tracking)

    def dataset(self, name: str) -> Path:
        return self.root / "datasets" / name

    def report(self, run_id: str) -> Path:
        return self.root / "reports" / f"{run_id}.html"


def new_run_id(strategy: str) -> str:
    return f"{strategy}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


log = get_logger(__name__)

SHARED_DATASET_WAIT_S = 3600.0
"""How long a run waits for another process generating the same shared dataset, s."""


def prepare_database(
    workspace: Workspace, *, seed_scenarios: bool = False, retry: RepositoryRetrySettings | None = None
) -> SqlScenarioRepository:
    """Migrate the database to the current schema and open the repository on it (retrying transient errors
    as ``retry`` says; default ``resilience.repository``'s: about 18 s, enough to ride out a database
    server restart); with ``seed_scenarios``, load the built-in scenario catalogue (definitions it holds
    already are skipped)."""
    retry = retry or RepositoryRetrySettings()
    engine = make_engine(workspace.database_url)
    try:
        upgrade_database(engine)
    finally:
        engine.dispose()
    repository = open_repository(workspace.database_url, max_attempts=retry.max_attempts, retry_wait_s=retry.wait_s)
    if seed_scenarios:
        seed_catalogue(repository)
    return repository


def shared_dataset(
    generator: MLDataGenerator,
    repository: SqlScenarioRepository | None,
    workspace: Workspace,
    purpose: str,
    samples: int,
    seed: int,
    samples_per_run: int,
    *,
    distribution: DefinitionDraw = random_definitions,
    on_event: EventCallback | None = None,
) -> Path:
    """A dataset of random scenarios (``<workspace>/datasets/<purpose>-s<seed>-n<samples>-r<per run>``),
    drawn from ``distribution`` (``learning.sources.DISTRIBUTIONS``; name ``purpose`` after it), generated
    once and reused by every run with the same settings.

    Definitions of the evaluation set are *not* stored in the repository (pass ``repository=None``), so no
    strategy can ever select them; the initial set's are, for lineage. When another process (a run started
    at the same time in the same workspace) is generating the same dataset, this waits for it and then
    only verifies its files. ``on_event`` receives the generation's ``generation_progress`` events.
    """
    definitions = distribution(
        np.random.default_rng(seed), runs_for(samples, samples_per_run), f"{purpose}-s{seed}", tags=(purpose,)
    )
    if repository is not None:
        save_definitions(repository, definitions)
    folder = workspace.dataset(f"{purpose}-s{seed}-n{samples}-r{samples_per_run}")
    waiting = Retrying(
        stop=stop_after_delay(SHARED_DATASET_WAIT_S),
        wait=wait_exponential(multiplier=0.5, max=5.0),
        retry=retry_if_exception_type(DatasetConflictError),
        before_sleep=lambda state: log.info("waiting_for_shared_dataset", folder=str(folder)),
        reraise=True,
    )
    waiting(
        generator.generate,
        definitions,
        folder,
        seed=seed,
        samples_per_run=samples_per_run,
        spread_over_duration=True,
        progress=generation_progress(on_event, purpose, samples_per_run),
    )
    return folder


def build_manager(
    settings: RunSettings,
    run_id: str,
    *,
    config: ActiveLearningConfig | None = None,
    on_event: EventCallback | None = None,
    generator: MLDataGenerator | None = None,
) -> ActiveLearningManager:
    """Everything a run needs, from ``settings``; ``config`` (e.g. a resumed run's stored one) replaces
    ``settings.active_learning``. Records a new run (status ``created``, its whole configuration) before
    anything else, so a kill from here on resumes; creates the shared initial and evaluation datasets on
    first use.

    ``generator`` (default: one from ``settings.generation``, each request on its own executor) generates
    every dataset of the run and runs the crafters' simulation batches; ``open_run`` passes an open one,
    which keeps one executor for the whole run."""
    config = config or settings.active_learning
    workspace = Workspace.from_settings(settings)
    resilience = settings.resilience
    repository = prepare_database(workspace, seed_scenarios=True, retry=resilience.repository)
    engine = make_engine(workspace.database_url)
    store = RunStore(engine, retry=resilience.run_store)
    record = StoredRunConfig.of(settings, config).model_dump(mode="json")
    store.create_run(run_id, config.strategy, record, status=RunStatus.CREATED)
    failpoint("setup:recorded")
    generator = generator or run_generator(settings)
    # The repository's crafter (used when failure-seeking is off) draws its simulation seeds from the
    # run's seed and runs its simulations on the run's executor.
    repository.crafter = RuleBasedInverseCrafter(batch=simulation_batch(generator), seed=config.seed)
    per_run = config.budget.samples_per_scenario_run
    data = settings.datasets
    initial = shared_dataset(
        generator, repository, workspace, "initial", data.initial_samples, data.initial_seed, per_run, on_event=on_event
    )
    failpoint("setup:initial-set")
    evaluation = shared_dataset(
        generator,
        None,
        workspace,
        "evaluation",
        data.evaluation_samples,
        data.evaluation_seed,
        per_run,
        on_event=on_event,
    )
    with file_lock(workspace.root / ".mlflow-init.lock"):  # MLflow creates its tables and experiment racily
        registry = ModelRegistry(
            workspace.tracking_uri,
            workspace=workspace.root,
            model_name=f"{settings.model.registered_model_name}-{run_id}",
            cache=True,  # this run's process alone moves the aliases of its run's model
        )
        tracker = ExperimentTracker(workspace.tracking_uri, artifact_location=workspace.root / "mlartifacts")
    interface, scoring = model_interfaces(settings, registry)
    return ActiveLearningManager(
        interface,
        repository,
        generator,
        CandidateTrainer(registry, TrainingConfig(n_estimators=settings.model.n_estimators)),
        store,
        config,
        run_id=run_id,
        workspace=workspace.root,
        evaluation_dataset=evaluation,
        initial_dataset=initial,
        scoring_interface=scoring,
        listeners=[
            MlflowListener(tracker, run_id, config, workspace.root / "runs" / run_id),
            *([on_event] if on_event is not None else []),
        ],
    )


def run_generator(settings: RunSettings) -> MLDataGenerator:
    """The generator ``settings.generation`` describes (a local pool, or the Dask scheduler's workers), with
    the retries and breaker of ``settings.resilience``."""
    resilience = settings.resilience
    return MLDataGenerator(
        workers=settings.generation.workers,
        dask_scheduler=settings.generation.dask_scheduler,
        executor_attempts=resilience.generator.max_attempts,
        backoff_initial_s=resilience.generator.wait_s,
        backoff_max_s=resilience.generator.max_wait_s,
        breaker_fail_max=resilience.generator_breaker.fail_max,
        breaker_reset_timeout_s=resilience.generator_breaker.reset_timeout_s,
    )


@contextmanager
def open_run(
    settings: RunSettings,
    run_id: str,
    *,
    config: ActiveLearningConfig | None = None,
    on_event: EventCallback | None = None,
) -> Iterator[ActiveLearningManager]:
    """``build_manager`` for the block, with one executor (a warm process pool, or one Dask client) for
    every generation of the run, from the shared datasets on; it is closed when the block ends, by return,
    error or interrupt."""
    with run_generator(settings) as generator:
        yield build_manager(settings, run_id, config=config, on_event=on_event, generator=generator)


SCORING_ONLY = EvaluationConfig(top_k_uncertain=0, max_misclassified=0, explanations="none", reliance_subset_size=0)
"""What the held-out evaluation needs: metrics, no explanations or samples."""


def model_interfaces(settings: RunSettings, registry: ModelRegistry) -> tuple[ModelInterface, ModelInterface]:
    """The loop's model interface and its cheaper scoring twin: local, or on ``settings.model.server``
    (sharing one circuit breaker)."""
    server = settings.model.server
    if settings.model.kind == "local" or server is None:
        return LocalModelInterface(registry), LocalModelInterface(registry, SCORING_ONLY)
    interface = ServedModelInterface(registry, server, server.model_repository)
    scoring = ServedModelInterface(registry, server, server.model_repository, SCORING_ONLY, breaker=interface.breaker)
    return interface, scoring
