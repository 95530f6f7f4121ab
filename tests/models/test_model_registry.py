from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from envirosense.models.features import FeatureExtractor
from envirosense.models.registry import (
    TAG_DATASETS,
    TAG_METRICS,
    TRUSTED_SKOPS_TYPES,
    ModelIntegrityError,
    ModelRegistry,
    ModelVersionNotFoundError,
    default_tracking_uri,
)
from envirosense.models.training import TrainedModel
from envirosense.ops.timing import BOOKKEEPING_MODELS, StepTimer, timing


@pytest.fixture
def fresh_registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(workspace=tmp_path / "ws")


def test_versions_aliases_and_resolution(fresh_registry: ModelRegistry, trained_model: TrainedModel) -> None:
    with pytest.raises(ModelVersionNotFoundError, match="has no versions"):
        fresh_registry.resolve(None)
    first = fresh_registry.register(trained_model, aliases=("champion",))
    second = fresh_registry.register(trained_model, aliases=("candidate",))
    assert (first.version, second.version) == (1, 2)
    assert fresh_registry.resolve(None).version == 1
    assert fresh_registry.resolve("champion").version == 1
    assert fresh_registry.resolve("candidate").version == 2
    assert (
        fresh_registry.resolve("2").version == fresh_registry.resolve("v2").version == fresh_registry.resolve(2).version
    )
    fresh_registry.promote(2)
    assert fresh_registry.resolve(None).version == 2
    listed = fresh_registry.list_versions()
    assert [v.version for v in listed] == [2, 1]
    assert listed[0].aliases == ["candidate", "champion"] and listed[1].aliases == []
    with pytest.raises(
        ModelVersionNotFoundError, match=r"no version or alias 'staging'; known: 2\(candidate,champion\), 1"
    ):
        fresh_registry.resolve("staging")
    with pytest.raises(ModelVersionNotFoundError):
        fresh_registry.resolve("7")
    with pytest.raises(ValueError, match="read as a version number"):
        fresh_registry.set_alias("v3", 1)


def test_each_version_records_datasets_and_metrics(fresh_registry: ModelRegistry, trained_model: TrainedModel) -> None:
    info = fresh_registry.register(trained_model)
    assert info.training_dataset_ids == trained_model.training_dataset_ids
    assert info.metrics == pytest.approx(trained_model.metrics)
    assert info.class_labels == trained_model.class_labels
    raw = fresh_registry.client.get_model_version(fresh_registry.model_name, "1")
    assert json.loads(raw.tags[TAG_DATASETS]) == trained_model.training_dataset_ids
    assert json.loads(raw.tags[TAG_METRICS])["validation_accuracy"] == pytest.approx(
        trained_model.metrics["validation_accuracy"]
    )
    assert raw.run_id is not None
    run = fresh_registry.client.get_run(raw.run_id)
    assert run.data.metrics["validation_accuracy"] == pytest.approx(trained_model.metrics["validation_accuracy"])
    assert run.data.params["training.model_type"] == "random_forest"


def test_loaded_model_predicts_like_the_trained_one(
    registry: ModelRegistry, trained_model: TrainedModel, eval_samples: list[dict[str, object]]
) -> None:
    loaded = registry.load("champion")
    extractor = FeatureExtractor()
    features = extractor.model_input(extractor.transform(eval_samples[:64]).values)
    assert np.array_equal(loaded.estimator.predict_proba(features), trained_model.estimator.predict_proba(features))
    assert loaded.feature_names == trained_model.feature_names
    assert loaded.class_labels == trained_model.class_labels
    assert loaded.info.tag == f"{registry.model_name}/1"


def test_the_store_is_local_sqlite_and_holds_skops_only(
    fresh_registry: ModelRegistry, trained_model: TrainedModel
) -> None:
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert fresh_registry.tracking_uri == default_tracking_uri(fresh_registry.workspace)
    fresh_registry.register(trained_model)
    stored = sorted(p.name for p in fresh_registry.workspace.rglob("*") if p.is_file())
    assert "mlflow.db" in stored and "model.skops" in stored
    assert not [name for name in stored if name.endswith((".pkl", ".joblib", ".pickle"))]
    mlmodel = next(fresh_registry.workspace.rglob("MLmodel")).read_text()
    assert "serialization_format: skops" in mlmodel
    assert set(TRUSTED_SKOPS_TYPES) >= {"sklearn.tree._tree.Tree"}


def test_a_tampered_artifact_is_not_loaded(fresh_registry: ModelRegistry, trained_model: TrainedModel) -> None:
    fresh_registry.register(trained_model)
    artifact = next(fresh_registry.workspace.rglob("model.skops"))
    artifact.write_bytes(artifact.read_bytes() + b"\0")
    with pytest.raises(ModelIntegrityError, match=r"model\.skops has SHA-256 .* the registry recorded"):
        fresh_registry.load("1")


def test_a_tampered_card_is_not_loaded(fresh_registry: ModelRegistry, trained_model: TrainedModel) -> None:
    fresh_registry.register(trained_model)
    card = next(fresh_registry.workspace.rglob("envirosense_model_card.json"))
    data = json.loads(card.read_text())
    data["class_labels"] = list(reversed(data["class_labels"]))
    card.write_text(json.dumps(data))
    with pytest.raises(ModelIntegrityError, match=r"envirosense_model_card\.json"):
        fresh_registry.load("1")


def test_a_training_run_orphaned_by_a_killed_registration_is_ended(
    fresh_registry: ModelRegistry, trained_model: TrainedModel
) -> None:
    tags = {"envirosense.training_key": "run-1/cycle-1"}
    fresh_registry.register(trained_model, tags={"envirosense.training_key": "other"})
    experiment = fresh_registry.client.get_experiment_by_name(fresh_registry.experiment_name)
    assert experiment is not None
    # What a SIGKILL between creating the training run and ending it leaves behind.
    orphan = fresh_registry.client.create_run(experiment.experiment_id, tags=tags).info.run_id

    info = fresh_registry.register(trained_model, tags=tags)

    assert fresh_registry.client.get_run(orphan).info.status == "KILLED"
    assert info.run_id is not None and fresh_registry.client.get_run(info.run_id).info.status == "FINISHED"
    others = fresh_registry.client.search_runs([experiment.experiment_id], "tags.`envirosense.training_key` = 'other'")
    assert [run.info.status for run in others] == ["FINISHED"]


class CallCounter:
    """Counts the calls a real MLflow client method receives (and passes them on)."""

    def __init__(self, registry: ModelRegistry, *names: str) -> None:
        self.calls = 0
        for name in names:
            setattr(registry.client, name, self._counted(getattr(registry.client, name)))

    def _counted(self, method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return method(*args, **kwargs)

        return call


RESOLVING = ("get_model_version", "get_model_version_by_alias", "get_registered_model", "search_model_versions")


def test_a_caching_registry_asks_mlflow_once_until_it_moves_an_alias(
    tmp_path: Path, trained_model: TrainedModel
) -> None:
    """The loop's registry (``cache=True``) resolves each tag once and loads each version once; its own
    promotion is seen at once. An alias moved by another registry (another process) is not seen: that is the
    rule documented, and why only the process that moves its model's aliases may cache."""
    workspace = tmp_path / "ws"
    cached = ModelRegistry(workspace=workspace, model_name="m", cache=True)
    cached.register(trained_model, aliases=("champion",))
    cached.register(trained_model, aliases=("candidate",))
    queries = CallCounter(cached, *RESOLVING)
    downloads = CallCounter(cached, "download_artifacts")
    assert cached.resolve("champion").version == cached.resolve(None).version == 1
    asked = queries.calls
    assert asked > 0
    for _ in range(3):  # the version found is remembered under its number too
        assert cached.resolve("champion").version == cached.resolve(None).version == cached.resolve(1).version == 1
    assert cached.resolve("champion").aliases == ["champion"]
    first = cached.load("champion")
    assert cached.load(1).estimator is first.estimator
    assert queries.calls == asked and downloads.calls == 0  # it kept the models it registered
    cached.promote(2)
    assert cached.resolve("champion").version == 2 and cached.resolve(None).version == 2
    assert cached.load("champion").info.aliases == ["candidate", "champion"]
    other = ModelRegistry(workspace=workspace, model_name="m")  # another process: asks MLflow every time
    other.promote(1)
    assert other.resolve("champion").version == 1
    assert cached.resolve("champion").version == 2


def test_a_caching_registry_keeps_the_model_it_registered(tmp_path: Path, trained_model: TrainedModel) -> None:
    """The candidate just registered is not read back from its files, and predicts as the stored one does."""
    cached = ModelRegistry(workspace=tmp_path / "ws", model_name="m", cache=True)
    version = cached.register(trained_model, aliases=("candidate",)).version
    downloads = CallCounter(cached, "download_artifacts")
    kept = cached.load("candidate")
    assert downloads.calls == 0 and kept.estimator is trained_model.estimator and kept.info.version == version
    stored = ModelRegistry(workspace=tmp_path / "ws", model_name="m").load(version)
    assert (kept.feature_names, kept.class_labels, kept.extractor_params) == (
        stored.feature_names,
        stored.class_labels,
        stored.extractor_params,
    )
    features = np.random.default_rng(0).normal(size=(5, len(kept.feature_names)))
    np.testing.assert_array_equal(kept.estimator.predict_proba(features), stored.estimator.predict_proba(features))
    resumed = ModelRegistry(workspace=tmp_path / "ws", model_name="m", cache=True)  # e.g. a resumed run
    reads = CallCounter(resumed, "download_artifacts")
    assert resumed.load(version).estimator is resumed.load("candidate").estimator and reads.calls == 1


def test_registry_calls_are_timed_as_model_bookkeeping(
    fresh_registry: ModelRegistry, trained_model: TrainedModel
) -> None:
    timer = StepTimer()
    with timing(timer):
        fresh_registry.register(trained_model, aliases=("champion",))
        fresh_registry.load("champion")
    assert list(timer.profile()) == [BOOKKEEPING_MODELS] and timer.total > 0
