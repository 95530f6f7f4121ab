"""Experiment tracking with MLflow: one parent run per active-learning run, one nested run per cycle.

Uses ``MlflowClient`` (no global "active run" state) against a local store by default
(``sqlite:///<workspace>/mlflow.db``, artifacts under ``<workspace>/mlartifacts``). Telemetry is switched
off before MLflow is imported, so nothing reaches the network. Every call is idempotent: runs are found by
their EnviroSense tags before being created, so a resumed run logs into the same MLflow runs.
"""

from __future__ import annotations

import os
import re
import shlex
import time
from collections.abc import Mapping
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

RUN_TAG = "envirosense.run_id"
CYCLE_TAG = "envirosense.cycle_index"
PARENT_TAG = "mlflow.parentRunId"


@cache
def mlflow_client_class() -> Any:
    """``mlflow.tracking.MlflowClient``, imported with telemetry disabled."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    from mlflow.tracking import MlflowClient

    return MlflowClient


def log_batch(
    client: Any,
    mlflow_run_id: str,
    *,
    metrics: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    step: int = 0,
) -> None:
    """Log ``metrics`` (at ``step``) and ``params`` (as strings, cut at 6,000 characters) in as few MLflow
    requests as its limits allow (1,000 metrics or 100 parameters each) rather than one per value: a SQLite
    store makes each request durable on its own."""
    from mlflow.entities import Metric, Param

    stamp = int(time.time() * 1000)
    logged_metrics = [Metric(key, float(value), stamp, step) for key, value in sorted((metrics or {}).items())]
    logged_params = [Param(key, str(value)[:6000]) for key, value in sorted((params or {}).items())]
    for start in range(0, len(logged_metrics), 1000):
        client.log_batch(mlflow_run_id, metrics=logged_metrics[start : start + 1000])
    for start in range(0, len(logged_params), 100):
        client.log_batch(mlflow_run_id, params=logged_params[start : start + 100])


def prepare_local_store(tracking_uri: str) -> None:
    """Create the SQLite store of ``tracking_uri`` (``sqlite:///PATH``) if it does not exist yet, fast.

    MLflow creates a new store by running its whole chain of schema migrations, several hundred DDL
    statements that SQLite makes durable one by one (an fsync each: 6–9 s on a loaded 2-core machine).
    Here they run on a temporary file with ``synchronous=OFF`` and an in-memory journal (about 3× faster),
    which then replaces the store's path atomically: a crash half-way leaves no store rather than a
    damaged one, and MLflow finds an up-to-date schema. Any other URI, or a store that exists, is left
    alone.
    """
    if not tracking_uri.startswith("sqlite:///") or "?" in tracking_uri:
        return
    path = Path(tracking_uri.removeprefix("sqlite:///"))
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mlflow_client_class()  # sets the environment MLflow must be imported with
    import sqlalchemy
    from mlflow.store.db.utils import _initialize_tables

    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    engine = sqlalchemy.create_engine(f"sqlite:///{partial}")

    @sqlalchemy.event.listens_for(engine, "connect")
    def _fast(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.close()

    try:
        _initialize_tables(engine)  # type: ignore[no-untyped-call]
        engine.dispose()
        with suppress(FileExistsError):  # never replaces: a store another process created meanwhile is as good
            os.link(partial, path)
    finally:
        engine.dispose()
        partial.unlink(missing_ok=True)


def default_tracking_uri(workspace: Path) -> str:
    return f"sqlite:///{(workspace / 'mlflow.db').resolve()}"


def shown_uri(uri: str) -> str:
    """``uri`` fit to print: a password in it becomes ``PASSWORD``."""
    return re.sub(r"(://[^/:@\s]+):[^/@\s]+@", r"\1:PASSWORD@", uri)


def ui_command(tracking_uri: str) -> str:
    """How to look at the runs of ``tracking_uri``: ``mlflow ui --backend-store-uri …`` for a store MLflow
    can open directly (SQLite, a database, a folder), the address itself for a tracking server. A password in
    the URI is shown as ``PASSWORD``, never printed."""
    shown = shown_uri(tracking_uri)
    if shown.startswith(("http://", "https://")):
        return f"open {shown} in a browser"
    return f"mlflow ui --backend-store-uri {shlex.quote(shown)}"


class ExperimentTracker:
    """Logs an active-learning run and its cycles to MLflow.

    Parameters
    ----------
    tracking_uri:
        MLflow tracking URI, e.g. ``sqlite:///ws/mlflow.db`` or ``http://mlflow:5000``.
    artifact_location:
        Folder for artifacts of a newly created experiment on a local store (``sqlite:``, ``file:``); ignored
        for existing experiments, and for a tracking server, which stores artifacts where it was told to.
    experiment_name:
        MLflow experiment holding the runs.
    """

    def __init__(
        self,
        tracking_uri: str,
        artifact_location: Path | None = None,
        experiment_name: str = "envirosense-active-learning",
    ) -> None:
        prepare_local_store(tracking_uri)
        self.client = mlflow_client_class()(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        experiment = self.client.get_experiment_by_name(experiment_name)
        if experiment is None:
            local = tracking_uri.startswith("sqlite:") or tracking_uri.startswith("file:")
            location = artifact_location.resolve().as_uri() if artifact_location is not None and local else None
            self.experiment_id: str = self.client.create_experiment(experiment_name, artifact_location=location)
        else:
            self.experiment_id = experiment.experiment_id
        self._parents: dict[str, str] = {}

    def _find(self, filter_string: str) -> str | None:
        runs = self.client.search_runs([self.experiment_id], filter_string=filter_string, max_results=1)
        return str(runs[0].info.run_id) if runs else None

    def parent_run(self, run_id: str, params: Mapping[str, Any]) -> str:
        """The MLflow run of EnviroSense run ``run_id``, created (with ``params``) on first use; searched for
        once per tracker, then remembered (a run's parent never changes)."""
        if run_id in self._parents:
            return self._parents[run_id]
        existing = self._find(f"tags.`{RUN_TAG}` = '{run_id}' and tags.`{CYCLE_TAG}` = 'none'")
        if existing is None:
            run = self.client.create_run(self.experiment_id, run_name=run_id, tags={RUN_TAG: run_id, CYCLE_TAG: "none"})
            existing = str(run.info.run_id)
            self._log_params(existing, params)
        self._parents[run_id] = existing
        return existing

    def cycle_run(self, run_id: str, cycle_index: int, params: Mapping[str, Any]) -> str:
        """The nested MLflow run of one cycle, created on first use."""
        parent = self.parent_run(run_id, {})
        existing = self._find(f"tags.`{RUN_TAG}` = '{run_id}' and tags.`{CYCLE_TAG}` = '{cycle_index}'")
        if existing is not None:
            return existing
        run = self.client.create_run(
            self.experiment_id,
            run_name=f"{run_id}-cycle-{cycle_index}",
            tags={RUN_TAG: run_id, CYCLE_TAG: str(cycle_index), PARENT_TAG: parent},
        )
        self._log_params(run.info.run_id, params)
        return str(run.info.run_id)

    def _log_params(self, mlflow_run_id: str, params: Mapping[str, Any]) -> None:
        log_batch(self.client, mlflow_run_id, params=params)

    def log_metrics(self, mlflow_run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
        log_batch(self.client, mlflow_run_id, metrics=metrics, step=step)

    def log_artifact(self, mlflow_run_id: str, path: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifact(mlflow_run_id, str(path), artifact_path)

    def finish(self, mlflow_run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(mlflow_run_id, status=status)
