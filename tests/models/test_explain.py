from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from envirosense.models.explain import (
    ExplanationMethod,
    OcclusionExplainer,
    TreePathExplainer,
    pointed_sensor,
    summarise,
    tree_explainer,
)
from envirosense.models.features import FeatureExtractor
from envirosense.models.training import TrainedModel


@pytest.fixture(scope="module")
def features(eval_samples: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    extractor = FeatureExtractor()
    batch = extractor.transform(eval_samples[::25])
    return batch.values, extractor.model_input(batch.values)


def test_path_contributions_add_up_to_the_prediction(
    trained_model: TrainedModel, features: tuple[np.ndarray, np.ndarray]
) -> None:
    _, model_input = features
    explainer = TreePathExplainer(trained_model.estimator)
    proba = trained_model.estimator.predict_proba(model_input)
    for target in range(proba.shape[1]):
        targets = np.full(len(model_input), target, dtype=np.intp)
        contributions = explainer.contributions(model_input, targets)
        np.testing.assert_allclose(contributions.sum(axis=1) + explainer.bias()[target], proba[:, target], atol=1e-9)


def test_occlusion_measures_the_drop_when_a_feature_is_set_to_its_reference() -> None:
    def predict_proba(x: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-(2.0 * x[:, 0] - 1.0 * x[:, 1])))
        return np.column_stack([1 - p, p])

    rows = np.array([[1.0, 0.0, 5.0], [0.0, 2.0, 5.0]])
    reference = np.zeros(3)
    contributions = OcclusionExplainer(predict_proba, reference).contributions(rows, np.array([1, 1]))
    base = predict_proba(rows)[:, 1]
    assert contributions[0, 0] == pytest.approx(base[0] - 0.5)
    assert contributions[1, 1] == pytest.approx(base[1] - 0.5)
    assert contributions[0, 1] == 0.0 and contributions[:, 2].tolist() == [0.0, 0.0]


def test_summary_ranks_by_absolute_contribution_and_names_real_fields(
    trained_model: TrainedModel, features: tuple[np.ndarray, np.ndarray]
) -> None:
    raw, model_input = features
    extractor = FeatureExtractor()
    explainer = TreePathExplainer(trained_model.estimator)
    contributions = explainer.contributions(model_input[:1], np.array([0], dtype=np.intp))[0]
    summary, sensor = summarise(contributions, raw[0], extractor, "normal", ExplanationMethod.TREE_PATH, 4)
    assert summary.method == "tree_path_contributions"
    assert len(summary.top_n_features) == 4
    scores = [abs(f.importance_score) for f in summary.top_n_features]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(np.abs(contributions).max())
    for feature in summary.top_n_features:
        assert feature.feature_path in extractor.feature_names
        value = raw[0, extractor.column_index(feature.feature_path)]
        assert feature.raw_value == (None if np.isnan(value) else value)
    assert sensor == pointed_sensor(contributions, extractor)


def test_pointed_sensor_sums_the_sensor_features() -> None:
    extractor = FeatureExtractor()
    contributions = np.zeros(extractor.n_features)
    contributions[extractor.column_index("sensor_readings_map.U29_TFEMF.field_strength_ut")] = 0.2
    contributions[extractor.column_index("sensor_readings_map.U29_TFEMF.hf_noise_db")] = -0.2
    contributions[extractor.column_index("sensor_readings_map.U20_SPS30.mass_concentration_pm1_0_ug_m3")] = 0.3
    assert pointed_sensor(contributions, extractor) == "U29_TFEMF"


def test_shap_is_used_when_installed(trained_model: TrainedModel, features: tuple[np.ndarray, np.ndarray]) -> None:
    """The test environment installs the ``explain`` extra (see the Makefile), so SHAP must be used."""
    _, model_input = features
    explainer = tree_explainer(trained_model.estimator)
    assert explainer is not None and explainer.method is ExplanationMethod.SHAP
    contributions = explainer.contributions(model_input[:3], np.array([0, 1, 2], dtype=np.intp))
    assert contributions.shape == (3, model_input.shape[1])


def test_without_shap_forests_fall_back_to_path_contributions(trained_model: TrainedModel) -> None:
    explainer = tree_explainer(trained_model.estimator, prefer_shap=False)
    assert explainer is not None and explainer.method is ExplanationMethod.TREE_PATH
    assert tree_explainer(object()) is None
