"""The model registry: MLflow's model registry, a local SQLite store by default, nothing over the network.

Each registered version holds an MLflow ``sklearn``-flavour model saved with skops, plus
``envirosense_model_card.json`` (feature names, class order, training dataset ids, metrics). Its model
version tags record the training dataset ids, the metrics, and the SHA-256 of both files. Loading checks
both digests against the registry *before* deserialising, and skops then loads with a fixed allow-list of
types chosen here (never the list stored beside the model). Aliases (``champion``, ``candidate``) name
versions; ``model_version_tag`` resolves to a version through ``ModelRegistry.resolve``. An active-learning run
registers its models under ``<prefix>-<run id>``; ``ModelRegistry.for_run`` finds them by run id.

A registry made with ``cache=True`` (the loop's) remembers what it resolved, loaded and registered (the
model in memory, so the candidate is not read back from the files just written): a version's
description and files never change, and an alias moves only through ``set_alias`` (promotion), which
clears what it remembered, as does registering a version. It does not see aliases another process moves:
use it only where this process is the one that moves the aliases of its model (the loop, for the model
of its own run); every other reader (CLI, model server, API) uses the default, which asks MLflow each time.
Every call is timed as the cycle's model bookkeeping (``ops.timing``) when a cycle is being timed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import mlflow.sklearn
import skops.io
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from envirosense.models.training import Ensemble, ModelType, TrainedModel
from envirosense.ops.deferred_stop import uninterrupted
from envirosense.ops.logging import get_logger
from envirosense.ops.timing import BOOKKEEPING_MODELS, timed
from envirosense.ops.tracking import log_batch, prepare_local_store

log = get_logger(__name__)

DEFAULT_MODEL_NAME = "envirosense-hazard-classifier"
DEFAULT_EXPERIMENT = "envirosense-training"
WORKSPACE_ENV = "ENVIROSENSE_WORKSPACE"
DEFAULT_WORKSPACE = Path("envirosense-workspace")
CHAMPION = "champion"
CANDIDATE = "candidate"
MODEL_FILE = "model.skops"
CARD_FILE = "envirosense_model_card.json"
ARTIFACT_PATH = "model"

TRUSTED_SKOPS_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
"""The only non-default types skops may load: tree node storage of forests and of histogram boosting. They are
trusted only for files whose SHA-256 matches the digest the registry recorded when this code wrote them."""

TAG_DATASETS = "envirosense.training_dataset_ids"
TAG_METRICS = "envirosense.metrics"
TAG_MODEL_SHA = "envirosense.model_sha256"
TAG_CARD_SHA = "envirosense.card_sha256"
TAG_MODEL_TYPE = "envirosense.model_type"
TAG_CLASSES = "envirosense.class_labels"


class ModelRegistryError(RuntimeError):
    """Base class of registry errors."""


class ModelVersionNotFoundError(ModelRegistryError, LookupError):
    """``model_version_tag`` names no version or alias of the registered model."""


class ModelIntegrityError(ModelRegistryError):
    """A stored artifact's SHA-256 differs from the one recorded at registration: it will not be loaded."""


class ModelVersionInfo(BaseModel):
    """One registered version, as the registry describes it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: int = Field(ge=1)
    aliases: list[str]
    run_id: str | None
    source: str
    created_utc: datetime
    model_type: str
    class_labels: list[str]
    training_dataset_ids: list[str]
    metrics: dict[str, float]
    model_sha256: str
    card_sha256: str

    @property
    def tag(self) -> str:
        """``<name>/<version>``: what ``model_version_evaluated`` reports."""
        return f"{self.name}/{self.version}"


@dataclass
class LoadedModel:
    """A registered model ready to predict: the estimator, its card and where it came from."""

    estimator: Ensemble
    feature_names: list[str]
    class_labels: list[str]
    extractor_params: dict[str, Any]
    info: ModelVersionInfo


def default_workspace() -> Path:
    return Path(os.environ.get(WORKSPACE_ENV, DEFAULT_WORKSPACE))


def default_tracking_uri(workspace: Path | None = None) -> str:
    """``sqlite:///<workspace>/mlflow.db`` (the same store the experiment tracker uses)."""
    return f"sqlite:///{((workspace or default_workspace()) / 'mlflow.db').resolve()}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ModelRegistry:
    """Register, tag, alias, list and load model versions.

    Parameters
    ----------
    tracking_uri:
        MLflow tracking and registry URI; default ``$MLFLOW_TRACKING_URI`` or else
        ``sqlite:///<workspace>/mlflow.db``.
    workspace:
        Folder of the default store; artifacts of a new experiment go to ``<workspace>/mlartifacts``.
    model_name:
        Name of the registered model.
    experiment_name:
        MLflow experiment holding the training runs.
    cache:
        Remember resolved versions and loaded models until this registry moves an alias or registers a
        version (see the module docstring for when that is correct).
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        *,
        workspace: Path | None = None,
        model_name: str = DEFAULT_MODEL_NAME,
        experiment_name: str = DEFAULT_EXPERIMENT,
        cache: bool = False,
    ) -> None:
        self.workspace = workspace or default_workspace()
        if tracking_uri is None:
            tracking_uri = os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(self.workspace)
        prepare_local_store(tracking_uri)
        self.tracking_uri = tracking_uri
        self.model_name = model_name
        self.experiment_name = experiment_name
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self._experiment_id: str | None = None
        self.cache = cache
        self._resolved: dict[str | None, ModelVersionInfo] = {}
        self._loaded: dict[int, LoadedModel] = {}

    @classmethod
    def for_run(cls, run_id: str, tracking_uri: str | None = None, *, workspace: Path | None = None) -> ModelRegistry:
        """The registry of active-learning run ``run_id``: its registered model is ``<prefix>-<run_id>`` (the
        prefix is ``model.registered_model_name``, ``envirosense-hazard-classifier`` by default).

        Raises ``ModelVersionNotFoundError`` naming the runs that did register models when none matches.
        """
        probe = cls(tracking_uri, workspace=workspace)
        names = probe.model_names()
        matches = [name for name in names if name.endswith(f"-{run_id}")]
        preferred = f"{DEFAULT_MODEL_NAME}-{run_id}"
        if preferred in matches:
            matches = [preferred]
        if len(matches) != 1:
            runs = [name.removeprefix(f"{DEFAULT_MODEL_NAME}-") for name in names if name != DEFAULT_MODEL_NAME]
            problem = "no registered model" if not matches else f"several registered models ({', '.join(matches)})"
            raise ModelVersionNotFoundError(
                f"{problem} for run {run_id!r} in {probe.tracking_uri}; runs with models: "
                f"{', '.join(runs) or 'none'} (`envirosense runs` lists the runs of a workspace)"
            )
        return cls(probe.tracking_uri, workspace=probe.workspace, model_name=matches[0])

    @timed(BOOKKEEPING_MODELS)
    def model_names(self) -> list[str]:
        """Names of every registered model in the store, sorted (this one and the runs')."""
        try:
            return sorted(model.name for model in self.client.search_registered_models(max_results=1000))
        except MlflowException:
            return []

    # --- writing ---------------------------------------------------------------------------------

    @timed(BOOKKEEPING_MODELS)
    @uninterrupted()
    def register(
        self,
        model: TrainedModel,
        *,
        aliases: tuple[str, ...] = (),
        description: str | None = None,
        run_name: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> ModelVersionInfo:
        """Log ``model`` in a training run and register it as the next version, with ``aliases``.

        The MLflow training run is named ``run_name`` (default ``train-<model type>``) and carries ``tags``
        besides the model type (the loop names it after its run, cycle and model type). Training runs with
        the same ``tags`` left ``RUNNING`` by a killed registration are ended ``KILLED`` first, so a retry
        leaves one finished run and no orphan. A Ctrl-C waits for the registration to finish
        (``ops.deferred_stop``): stopping inside MLflow's store transaction would leave its database locked;
        any other interruption ends the training run ``KILLED``.
        """
        self._ensure_registered_model()
        if tags:
            self._end_orphans(tags)
        run = self.client.create_run(
            self._experiment(),
            run_name=run_name or f"train-{model.config.model_type.value}",
            tags={**(tags or {}), TAG_MODEL_TYPE: model.config.model_type.value},
        )
        run_id = run.info.run_id
        try:
            params = {f"training.{k}": str(v) for k, v in model.config.model_dump(mode="json").items()}
            params["training_dataset_ids"] = ",".join(model.training_dataset_ids)
            log_batch(self.client, run_id, metrics=model.metrics, params=params)
            with tempfile.TemporaryDirectory() as tmp:
                local = Path(tmp) / ARTIFACT_PATH
                mlflow.sklearn.save_model(
                    model.estimator,
                    str(local),
                    serialization_format="skops",
                    skops_trusted_types=list(TRUSTED_SKOPS_TYPES),
                    pip_requirements=["scikit-learn", "skops"],
                )
                (local / CARD_FILE).write_text(json.dumps(model.card(), indent=2, sort_keys=True))
                model_sha, card_sha = sha256_file(local / MODEL_FILE), sha256_file(local / CARD_FILE)
                self.client.log_artifacts(run_id, str(local), ARTIFACT_PATH)
            self.client.set_terminated(run_id)
        except BaseException as exc:
            self.client.set_terminated(run_id, status="FAILED" if isinstance(exc, Exception) else "KILLED")
            raise
        tags = {
            TAG_DATASETS: json.dumps(model.training_dataset_ids),
            TAG_METRICS: json.dumps(model.metrics, sort_keys=True),
            TAG_MODEL_SHA: model_sha,
            TAG_CARD_SHA: card_sha,
            TAG_MODEL_TYPE: model.config.model_type.value,
            TAG_CLASSES: json.dumps(model.class_labels),
        }
        version = self.client.create_model_version(
            self.model_name,
            source=f"{run.info.artifact_uri}/{ARTIFACT_PATH}",
            run_id=run_id,
            tags=tags,
            description=description,
        )
        self._resolved.clear()  # the newest version changed
        for alias in aliases:
            self.set_alias(alias, int(version.version))
        log.info("model_registered", model=self.model_name, version=version.version, aliases=list(aliases))
        info = self.resolve(str(version.version))
        if self.cache:  # the model just written is the one a load would read back
            self._loaded[info.version] = LoadedModel(
                estimator=model.estimator,
                feature_names=list(model.feature_names),
                class_labels=list(model.class_labels),
                extractor_params=dict(model.extractor_params),
                info=info,
            )
        return info

    def _end_orphans(self, tags: dict[str, str]) -> None:
        matching = " and ".join(f"tags.`{key}` = '{value}'" for key, value in sorted(tags.items()))
        for orphan in self.client.search_runs(
            [self._experiment()], filter_string=f"{matching} and attributes.status = 'RUNNING'"
        ):
            log.warning("orphaned_training_run_ended", mlflow_run_id=orphan.info.run_id, tags=tags)
            self.client.set_terminated(orphan.info.run_id, status="KILLED")

    @timed(BOOKKEEPING_MODELS)
    @uninterrupted()
    def set_alias(self, alias: str, version: int) -> None:
        """Point ``alias`` (e.g. ``champion``) at ``version``; the alias leaves any other version."""
        if alias.isdigit() or re.fullmatch(r"v\d+", alias):
            raise ValueError(f"alias {alias!r} would be read as a version number")
        self.resolve(str(version))
        self.client.set_registered_model_alias(self.model_name, alias, str(version))
        self._resolved.clear()

    def promote(self, version: int) -> None:
        """Make ``version`` the champion."""
        self.set_alias(CHAMPION, version)

    # --- reading ---------------------------------------------------------------------------------

    @timed(BOOKKEEPING_MODELS)
    def list_versions(self) -> list[ModelVersionInfo]:
        """Every version, newest first."""
        try:
            found = self.client.search_model_versions(f"name='{self.model_name}'")
        except MlflowException:
            return []
        aliases = self._aliases()
        return sorted((self._info(v, aliases) for v in found), key=lambda info: info.version, reverse=True)

    @timed(BOOKKEEPING_MODELS)
    def version_from_runs(self, run_tags: Mapping[str, str]) -> int | None:
        """The newest version registered from a training run carrying every tag of ``run_tags`` (the ``tags``
        given to ``register``), or None. Two filtered queries, the training runs and then their versions, so
        the cost does not grow with the number of versions."""
        matching = " and ".join(f"tags.`{key}` = '{value}'" for key, value in sorted(run_tags.items()))
        runs = self.client.search_runs([self._experiment()], filter_string=matching)
        if not runs:
            return None
        run_ids = ", ".join(f"'{run.info.run_id}'" for run in runs)
        found = self.client.search_model_versions(
            f"name = '{self.model_name}' and run_id IN ({run_ids})", max_results=1, order_by=["version_number DESC"]
        )
        return int(found[0].version) if found else None

    def _aliases(self) -> dict[int, list[str]]:
        try:
            registered = self.client.get_registered_model(self.model_name)
        except MlflowException:
            return {}
        by_version: dict[int, list[str]] = {}
        for alias, version in (registered.aliases or {}).items():
            by_version.setdefault(int(version), []).append(alias)
        return by_version

    @timed(BOOKKEEPING_MODELS)
    def resolve(self, model_version_tag: str | int | None = None) -> ModelVersionInfo:
        """The version ``model_version_tag`` names.

        ``None`` → the ``champion`` alias if set, else the newest version; ``3``, ``"3"`` or ``"v3"`` →
        version 3; any other string → the alias of that name.
        """
        tag = None if model_version_tag is None else str(model_version_tag).strip()
        if not self.cache:
            return self._resolve(tag)
        info = self._resolved.get(tag)
        if info is None:
            info = self._resolve(tag)
            self._resolved[tag] = self._resolved[str(info.version)] = info
        return info

    def _resolve(self, tag: str | None) -> ModelVersionInfo:
        try:
            if tag is None:
                try:
                    return self._info(self.client.get_model_version_by_alias(self.model_name, CHAMPION))
                except MlflowException:
                    versions = self.list_versions()
                    if not versions:
                        raise ModelVersionNotFoundError(f"model {self.model_name!r} has no versions") from None
                    return versions[0]
            number = re.fullmatch(r"v?(\d+)", tag)
            if number:
                return self._info(self.client.get_model_version(self.model_name, number.group(1)))
            return self._info(self.client.get_model_version_by_alias(self.model_name, tag))
        except MlflowException as exc:
            known = [f"{v.version}{'(' + ','.join(v.aliases) + ')' if v.aliases else ''}" for v in self.list_versions()]
            raise ModelVersionNotFoundError(
                f"model {self.model_name!r} has no version or alias {tag!r}; known: {', '.join(known) or 'none'}"
            ) from exc

    @timed(BOOKKEEPING_MODELS)
    def load(self, model_version_tag: str | int | None = None) -> LoadedModel:
        """Download, integrity-check and deserialise the version ``model_version_tag`` names."""
        info = self.resolve(model_version_tag)
        loaded = self._loaded.get(info.version)
        if loaded is None:
            loaded = self._load(info)
            if self.cache:
                self._loaded[info.version] = loaded
        return replace(loaded, info=info)

    def _load(self, info: ModelVersionInfo) -> LoadedModel:
        with tempfile.TemporaryDirectory() as tmp:
            assert info.run_id is not None
            local = Path(self.client.download_artifacts(info.run_id, ARTIFACT_PATH, tmp))
            for name, expected in ((MODEL_FILE, info.model_sha256), (CARD_FILE, info.card_sha256)):
                actual = sha256_file(local / name)
                if actual != expected:
                    raise ModelIntegrityError(
                        f"{info.tag}: {name} has SHA-256 {actual}, the registry recorded {expected}; not loading it"
                    )
            card = json.loads((local / CARD_FILE).read_text())
            estimator = skops.io.load(local / MODEL_FILE, trusted=list(TRUSTED_SKOPS_TYPES))
        return LoadedModel(
            estimator=estimator,
            feature_names=list(card["feature_names"]),
            class_labels=list(card["class_labels"]),
            extractor_params=dict(card["feature_extractor"]),
            info=info,
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _experiment(self) -> str:
        if self._experiment_id is None:
            experiment = self.client.get_experiment_by_name(self.experiment_name)
            if experiment is not None:
                self._experiment_id = str(experiment.experiment_id)
            else:
                location = None
                if self.tracking_uri.startswith("sqlite:///"):
                    location = (self.workspace / "mlartifacts").resolve().as_uri()
                self._experiment_id = str(
                    self.client.create_experiment(self.experiment_name, artifact_location=location)
                )
        return self._experiment_id

    def _ensure_registered_model(self) -> None:
        try:
            self.client.get_registered_model(self.model_name)
        except MlflowException:
            self.client.create_registered_model(
                self.model_name, description="EnviroSense hazard classifier (scikit-learn ensemble, skops)."
            )

    def _info(self, version: Any, aliases_by_version: dict[int, list[str]] | None = None) -> ModelVersionInfo:
        tags = dict(version.tags or {})
        aliases = (aliases_by_version if aliases_by_version is not None else self._aliases()).get(
            int(version.version), []
        )
        if TAG_MODEL_SHA not in tags:
            raise ModelRegistryError(f"{self.model_name}/{version.version} was not registered by EnviroSense")
        return ModelVersionInfo(
            name=self.model_name,
            version=int(version.version),
            aliases=sorted(aliases),
            run_id=version.run_id,
            source=str(version.source),
            created_utc=datetime.fromtimestamp(int(version.creation_timestamp) / 1000, tz=UTC),
            model_type=tags.get(TAG_MODEL_TYPE, ModelType.RANDOM_FOREST.value),
            class_labels=json.loads(tags.get(TAG_CLASSES, "[]")),
            training_dataset_ids=json.loads(tags[TAG_DATASETS]),
            metrics=json.loads(tags[TAG_METRICS]),
            model_sha256=tags[TAG_MODEL_SHA],
            card_sha256=tags[TAG_CARD_SHA],
        )
