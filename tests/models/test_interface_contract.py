"""One contract suite, run against LocalModelInterface and ApiBasedModelInterface (a real MLServer) on the
same registered model and the same data; they must agree with each other and with scikit-learn."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_recall_fscore_support

from envirosense.generation.reader import iter_samples
from envirosense.models.api import ApiBasedModelInterface, ModelNotFoundError
from envirosense.models.datasets import InvalidSampleError
from envirosense.models.evaluation import EvaluationConfig
from envirosense.models.features import FeatureExtractor
from envirosense.models.interface import MembersUnavailableError, ModelInterface
from envirosense.models.local import LocalModelInterface
from envirosense.models.registry import ModelRegistry, ModelVersionInfo, ModelVersionNotFoundError
from envirosense.models.serving import SERVING_SPEC_FILE, MLServerProcess
from envirosense.models.training import member_predict_proba
from envirosense.models.uncertainty import UncertaintyMeasure, entropy, epistemic_uncertainty, margin_uncertainty
from envirosense.schemas import SENSOR_IDS, ModelPerformanceData

CONFIG = EvaluationConfig(top_k_uncertain=15, max_misclassified=25, top_n_features=4, reliance_subset_size=300)
KINDS = ["local", "api"]


@pytest.fixture(scope="module")
def interfaces(registry: ModelRegistry, mlserver: tuple[MLServerProcess, Path]) -> Iterator[dict[str, ModelInterface]]:
    server, folder = mlserver
    api = ApiBasedModelInterface.from_serving_spec(
        folder / SERVING_SPEC_FILE,
        server.base_url,
        CONFIG,
        batch_size=128,
        max_concurrency=3,
        registry=registry,
    )
    yield {"local": LocalModelInterface(registry, CONFIG), "api": api}
    api.close()


@pytest.fixture(scope="module")
def feedback(
    interfaces: dict[str, ModelInterface], eval_samples: list[dict[str, Any]]
) -> dict[str, ModelPerformanceData]:
    return {
        kind: interface.get_model_performance_feedback(eval_samples, "champion")
        for kind, interface in interfaces.items()
    }


@pytest.fixture(scope="module")
def reference(registry: ModelRegistry, eval_samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Predictions computed directly with the registered scikit-learn model, for independent checks."""
    model = registry.load("champion")
    extractor = FeatureExtractor()
    batch = extractor.transform(eval_samples)
    proba = model.estimator.predict_proba(extractor.model_input(batch.values))
    classes = list(model.class_labels)
    y_true = np.array([classes.index(label) for label in batch.labels or []])
    return {"proba": proba, "classes": classes, "y_true": y_true, "valid": batch.sensor_valid, "ids": batch.sample_ids}


@pytest.mark.parametrize("kind", KINDS)
def test_feedback_is_complete_and_valid(
    kind: str, feedback: dict[str, ModelPerformanceData], eval_samples: list[dict[str, Any]], champion: ModelVersionInfo
) -> None:
    performance = feedback[kind]
    assert ModelPerformanceData.model_validate(performance.model_dump()) == performance
    assert performance.model_version_evaluated == champion.tag
    assert performance.dataset_identifier.startswith("samples@")
    assert set(performance.sensor_specific_metrics) == set(SENSOR_IDS)
    assert set(performance.per_class_metrics) == set(champion.class_labels)
    assert sum(m.support for m in performance.per_class_metrics.values()) == len(eval_samples)
    assert performance.confusion_matrix is not None
    assert sum(map(sum, performance.confusion_matrix.counts)) == len(eval_samples)
    assert len(performance.uncertain_samples) == CONFIG.top_k_uncertain
    assert 0 < len(performance.misclassified_samples) <= CONFIG.max_misclassified
    by_id = {s["sample_id"]: s for s in eval_samples}
    extractor = FeatureExtractor()
    for sample in [*performance.uncertain_samples, *performance.misclassified_samples]:
        source = by_id[sample.raw_sample_id]
        assert sample.original_scenario_id == source["scenario_id"]
        assert sample.scenario_timestep_seconds == source["scenario_timestep_seconds"]
        assert sample.sensor_id in SENSOR_IDS
        assert sum(sample.predicted_label_distribution.values()) == pytest.approx(1.0)
        summary = sample.sample_features_summary
        assert summary.method == ("tree_path_contributions" if kind == "local" else "occlusion") or (
            kind == "local" and summary.method == "SHAP"
        )
        assert summary.target_class_for_explanation == max(
            sample.predicted_label_distribution, key=sample.predicted_label_distribution.__getitem__
        )
        assert len(summary.top_n_features) == CONFIG.top_n_features
        assert all(f.feature_path in extractor.feature_names for f in summary.top_n_features)
    for wrong in performance.misclassified_samples:
        assert wrong.true_label == by_id[wrong.raw_sample_id]["extracted_class_label"] != wrong.predicted_label
        assert wrong.confidence_of_prediction == pytest.approx(max(wrong.predicted_label_distribution.values()))


@pytest.mark.parametrize("kind", KINDS)
def test_metrics_equal_an_independent_sklearn_computation(
    kind: str, feedback: dict[str, ModelPerformanceData], reference: dict[str, Any]
) -> None:
    performance = feedback[kind]
    proba, y_true, classes = reference["proba"], reference["y_true"], reference["classes"]
    y_pred = proba.argmax(axis=1)
    overall = performance.overall_metrics
    assert overall.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    assert overall.macro_f1_score == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert overall.weighted_f1_score == pytest.approx(f1_score(y_true, y_pred, average="weighted"))
    assert overall.log_loss == pytest.approx(log_loss(y_true, proba, labels=range(len(classes))))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=range(len(classes)), zero_division=0
    )
    for i, label in enumerate(classes):
        metrics = performance.per_class_metrics[label]
        assert (metrics.precision, metrics.recall, metrics.f1_score, metrics.support) == pytest.approx(
            (precision[i], recall[i], f1[i], support[i])
        )
    for j, sensor_id in enumerate(SENSOR_IDS):
        valid = reference["valid"][:, j]
        sensor = performance.sensor_specific_metrics[sensor_id]
        assert sensor.valid_sample_count == int(valid.sum())
        assert sensor.overall_accuracy == pytest.approx(accuracy_score(y_true[valid], y_pred[valid]))
        assert sum(m.support for m in sensor.per_class_metrics.values()) == int(valid.sum())


@pytest.mark.parametrize("kind", KINDS)
def test_uncertain_samples_are_the_top_k_by_the_configured_measure(
    kind: str, feedback: dict[str, ModelPerformanceData], reference: dict[str, Any]
) -> None:
    scores = entropy(reference["proba"])
    reported = [s.uncertainty_score for s in feedback[kind].uncertain_samples]
    assert reported == sorted(reported, reverse=True)
    np.testing.assert_allclose(reported, np.sort(scores)[::-1][: CONFIG.top_k_uncertain], atol=1e-12)
    confidences = [s.confidence_of_prediction for s in feedback[kind].misclassified_samples]
    assert confidences == sorted(confidences, reverse=True)


def test_both_interfaces_report_the_same_metrics(feedback: dict[str, ModelPerformanceData]) -> None:
    local, api = feedback["local"], feedback["api"]
    assert local.model_version_evaluated == api.model_version_evaluated
    assert local.dataset_identifier == api.dataset_identifier
    assert local.overall_metrics == api.overall_metrics
    assert local.per_class_metrics == api.per_class_metrics
    assert local.sensor_specific_metrics == api.sensor_specific_metrics
    assert local.confusion_matrix == api.confusion_matrix
    assert [s.raw_sample_id for s in local.uncertain_samples] == [s.raw_sample_id for s in api.uncertain_samples]
    assert [(s.raw_sample_id, s.true_label, s.predicted_label) for s in local.misclassified_samples] == [
        (s.raw_sample_id, s.true_label, s.predicted_label) for s in api.misclassified_samples
    ]
    for a, b in zip(local.uncertain_samples, api.uncertain_samples, strict=True):
        assert a.uncertainty_score == pytest.approx(b.uncertainty_score, abs=1e-12)
        assert a.predicted_label_distribution == pytest.approx(b.predicted_label_distribution, abs=1e-12)


def test_uncertainty_is_split_locally_and_not_invented_remotely(feedback: dict[str, ModelPerformanceData]) -> None:
    local, api = feedback["local"], feedback["api"]
    assert local.uncertainty_source == "ensemble_members"
    for sample in local.uncertain_samples:
        assert sample.aleatoric_uncertainty_score + sample.epistemic_uncertainty_score == pytest.approx(
            sample.uncertainty_score
        )
    assert any(s.epistemic_uncertainty_score > 0 for s in local.uncertain_samples)
    assert any(s.disagreement_score > 0 for s in local.uncertain_samples)
    assert api.uncertainty_source == "probabilities_only"
    for sample in api.uncertain_samples:
        assert sample.epistemic_uncertainty_score == 0 and sample.disagreement_score == 0
        assert sample.aleatoric_uncertainty_score == pytest.approx(sample.uncertainty_score)


def test_reliance_is_positive_for_some_sensor(feedback: dict[str, ModelPerformanceData]) -> None:
    reliance = {sid: m.reliance_score for sid, m in feedback["local"].sensor_specific_metrics.items()}
    assert max(reliance.values()) > 0
    assert all(-1 <= value <= 1 for value in reliance.values())


@pytest.mark.parametrize("kind", KINDS)
def test_an_avro_folder_gives_the_same_feedback_as_its_samples(
    kind: str, interfaces: dict[str, ModelInterface], avro_eval_dataset: Path
) -> None:
    from_path = interfaces[kind].get_model_performance_feedback(avro_eval_dataset, "champion")
    samples = list(iter_samples(avro_eval_dataset))
    from_list = interfaces[kind].get_model_performance_feedback(samples, "champion")
    assert from_path.dataset_identifier == f"eval-set@{from_list.dataset_identifier.split('@')[1]}"
    assert from_path.overall_metrics == from_list.overall_metrics
    assert from_path.sensor_specific_metrics == from_list.sensor_specific_metrics
    assert from_path.uncertain_samples == from_list.uncertain_samples
    assert from_path.misclassified_samples == from_list.misclassified_samples


def test_batch_size_does_not_change_the_result(registry: ModelRegistry, eval_samples: list[dict[str, Any]]) -> None:
    whole = LocalModelInterface(registry, CONFIG).get_model_performance_feedback(eval_samples)
    small = LocalModelInterface(registry, CONFIG.model_copy(update={"batch_size": 7})).get_model_performance_feedback(
        eval_samples
    )
    assert small.overall_metrics.log_loss == pytest.approx(whole.overall_metrics.log_loss, rel=1e-12)
    same_sum = {"overall_metrics": {**small.overall_metrics.model_dump(), "log_loss": whole.overall_metrics.log_loss}}
    assert small.model_copy(update=same_sum).model_dump() == whole.model_dump()


@pytest.mark.parametrize("kind", KINDS)
def test_version_tags_resolve_to_the_same_version(
    kind: str,
    interfaces: dict[str, ModelInterface],
    eval_samples: list[dict[str, Any]],
    feedback: dict[str, ModelPerformanceData],
) -> None:
    subset = eval_samples[:40]
    tags = [None, "1", "champion"] + (["v1"] if kind == "local" else [])
    results = [interfaces[kind].get_model_performance_feedback(subset, tag) for tag in tags]
    assert {r.overall_metrics.model_dump_json() for r in results} == {results[0].overall_metrics.model_dump_json()}
    if kind == "local":
        assert {r.model_version_evaluated for r in results} == {feedback["local"].model_version_evaluated}
        with pytest.raises(ModelVersionNotFoundError):
            interfaces[kind].get_model_performance_feedback(subset, "staging")
    else:
        with pytest.raises(ModelVersionNotFoundError):
            interfaces[kind].get_model_performance_feedback(subset, "9")


def test_a_version_the_server_does_not_have_is_a_typed_error(
    mlserver: tuple[MLServerProcess, Path], eval_samples: list[dict[str, Any]]
) -> None:
    server, folder = mlserver
    spec = folder / SERVING_SPEC_FILE
    version_nine = r"version '9' not found on .*HTTP 404: .*with version 9 not found"
    with (
        ApiBasedModelInterface.from_serving_spec(spec, server.base_url) as api,
        pytest.raises(ModelNotFoundError, match=version_nine),
    ):
        api.get_model_performance_feedback(eval_samples[:5], "9")
    unknown = r"model 'no-such-model' not found on .*Model no-such-model not found"
    with (
        ApiBasedModelInterface.from_serving_spec(spec, server.base_url, model_name="no-such-model") as api,
        pytest.raises(ModelNotFoundError, match=unknown),
    ):
        api.get_model_performance_feedback(eval_samples[:5], None)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_is_a_clear_error(
    kind: str, interfaces: dict[str, ModelInterface], eval_samples: list[dict[str, Any]]
) -> None:
    broken = copy.deepcopy(eval_samples[:5])
    broken[3]["sensor_readings_map"]["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"] = -4.0
    with pytest.raises(InvalidSampleError, match=r"sample 3 .*U20_SPS30\.mass_concentration_pm2_5_ug_m3"):
        interfaces[kind].get_model_performance_feedback(broken, "champion")
    with pytest.raises(ValueError, match="no samples"):
        interfaces[kind].get_model_performance_feedback([], "champion")


@pytest.mark.parametrize("kind", KINDS)
def test_predict_proba_equals_the_model_in_dataset_order(
    kind: str, interfaces: dict[str, ModelInterface], eval_samples: list[dict[str, Any]], reference: dict[str, Any]
) -> None:
    predictions = interfaces[kind].predict_proba(eval_samples, "champion")
    assert predictions.sample_ids == reference["ids"]
    assert predictions.class_labels == reference["classes"]
    assert predictions.labels == [s["extracted_class_label"] for s in eval_samples]
    np.testing.assert_allclose(predictions.proba, reference["proba"], atol=1e-9)
    ordered = np.sort(reference["proba"], axis=1)
    np.testing.assert_allclose(predictions.margins(), ordered[:, -1] - ordered[:, -2], atol=1e-9)
    assert predictions.wrong().tolist() == (reference["proba"].argmax(axis=1) != reference["y_true"]).tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_predict_proba_rejects_bad_input_clearly(
    kind: str, interfaces: dict[str, ModelInterface], eval_samples: list[dict[str, Any]], reference: dict[str, Any]
) -> None:
    broken = copy.deepcopy(eval_samples[:5])
    broken[2]["sensor_readings_map"]["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"] = -4.0
    with pytest.raises(InvalidSampleError, match=r"sample 2 .*U20_SPS30\.mass_concentration_pm2_5_ug_m3"):
        interfaces[kind].predict_proba(broken, "champion")
    assert interfaces[kind].predict_proba([], "champion").proba.shape == (0, len(reference["classes"]))


@pytest.mark.parametrize("kind", KINDS)
def test_predict_uncertainty_scores_what_the_mean_distribution_can_tell(
    kind: str, interfaces: dict[str, ModelInterface], eval_samples: list[dict[str, Any]], reference: dict[str, Any]
) -> None:
    predictions, score = interfaces[kind].predict_uncertainty(eval_samples, UncertaintyMeasure.MARGIN, "champion")
    assert predictions.sample_ids == reference["ids"]
    np.testing.assert_allclose(predictions.proba, reference["proba"], atol=1e-9)
    np.testing.assert_allclose(score, margin_uncertainty(reference["proba"]), atol=1e-9)


def test_epistemic_uncertainty_is_the_members_mutual_information_locally(
    interfaces: dict[str, ModelInterface], registry: ModelRegistry, eval_samples: list[dict[str, Any]]
) -> None:
    model = registry.load("champion")
    extractor = FeatureExtractor()
    members = member_predict_proba(model.estimator, extractor.model_input(extractor.transform(eval_samples).values))
    predictions, score = interfaces["local"].predict_uncertainty(eval_samples, UncertaintyMeasure.EPISTEMIC, "champion")
    np.testing.assert_allclose(score, epistemic_uncertainty(members), atol=1e-9)
    assert score.shape == (len(eval_samples),) and score.max() > 0
    assert (score <= entropy(predictions.proba) + 1e-12).all()


@pytest.mark.parametrize("measure", [UncertaintyMeasure.EPISTEMIC, UncertaintyMeasure.DISAGREEMENT])
def test_a_model_server_refuses_member_measures(
    measure: UncertaintyMeasure, interfaces: dict[str, ModelInterface], eval_samples: list[dict[str, Any]]
) -> None:
    with pytest.raises(MembersUnavailableError, match=f"{measure.value}' needs ensemble members.*use entropy"):
        interfaces["api"].predict_uncertainty(eval_samples, measure, "champion")
