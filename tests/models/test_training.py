from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from envirosense.models.features import FeatureExtractor
from envirosense.models.training import (
    ModelTrainer,
    ModelType,
    TrainedModel,
    TrainingConfig,
    member_predict_proba,
)
from envirosense.models.uncertainty import mean_member_proba


def test_trained_model_describes_itself(trained_model: TrainedModel, train_samples: list[dict[str, Any]]) -> None:
    assert trained_model.feature_names == FeatureExtractor().feature_names
    assert set(trained_model.class_labels) == {s["extracted_class_label"] for s in train_samples}
    assert trained_model.metrics["n_training_samples"] == len(train_samples)
    assert 0 < trained_model.metrics["validation_accuracy"] <= 1
    assert trained_model.metrics["validation_log_loss"] > 0
    assert sum(trained_model.class_counts.values()) == len(train_samples)
    assert trained_model.estimator.class_weight == "balanced"
    assert trained_model.training_dataset_ids[0].startswith("samples@")
    assert len(trained_model.estimator.estimators_) == 40


def test_validation_holds_out_whole_scenario_runs(train_samples: list[dict[str, Any]]) -> None:
    trainer = ModelTrainer(TrainingConfig(n_estimators=5))
    _, labels, runs, _ = trainer.load([train_samples])
    split = trainer._validation_split(labels, runs)
    assert split is not None
    train_idx, val_idx = split
    assert not set(runs[train_idx]) & set(runs[val_idx])
    assert 0.1 < len(val_idx) / len(labels) < 0.35


def test_training_is_reproducible(train_samples: list[dict[str, Any]]) -> None:
    subset = train_samples[::3]
    config = TrainingConfig(n_estimators=8, random_state=5)
    first = ModelTrainer(config).fit([subset])
    second = ModelTrainer(config).fit([subset])
    features = FeatureExtractor().model_input(FeatureExtractor().transform(subset[:40]).values)
    assert np.array_equal(first.estimator.predict_proba(features), second.estimator.predict_proba(features))


def test_several_datasets_get_one_id_each(train_samples: list[dict[str, Any]]) -> None:
    half = len(train_samples) // 2
    model = ModelTrainer(TrainingConfig(n_estimators=5, validation_fraction=0)).fit(
        [train_samples[:half], train_samples[half:]], dataset_ids=["part-a", "part-b"]
    )
    assert model.training_dataset_ids == ["part-a", "part-b"]
    assert model.metrics["n_training_samples"] == len(train_samples)
    assert "validation_accuracy" not in model.metrics
    with pytest.raises(ValueError, match="one dataset id per dataset"):
        ModelTrainer(TrainingConfig(n_estimators=5)).fit([train_samples], dataset_ids=["a", "b"])


def test_single_class_is_refused(train_samples: list[dict[str, Any]]) -> None:
    normal = [s for s in train_samples if s["extracted_class_label"] == "normal"][:50]
    with pytest.raises(ValueError, match="at least two classes"):
        ModelTrainer(TrainingConfig(n_estimators=5)).fit([normal])


@pytest.mark.parametrize("model_type", list(ModelType))
def test_members_average_to_predict_proba(model_type: ModelType, train_samples: list[dict[str, Any]]) -> None:
    config = TrainingConfig(model_type=model_type, n_estimators=4, max_iter=10, validation_fraction=0)
    model = ModelTrainer(config).fit([train_samples[::2]])
    extractor = FeatureExtractor()
    features = extractor.model_input(extractor.transform(train_samples[1::20]).values)
    members = member_predict_proba(model.estimator, features)
    assert members.shape == (4, features.shape[0], len(model.class_labels))
    np.testing.assert_allclose(members.sum(axis=2), 1.0)
    expected = model.estimator.predict_proba(features)
    if model_type is ModelType.BAGGED_HIST_GRADIENT_BOOSTING:
        np.testing.assert_allclose(mean_member_proba(members), expected, atol=1e-12)
    else:
        assert np.array_equal(mean_member_proba(members), expected)
