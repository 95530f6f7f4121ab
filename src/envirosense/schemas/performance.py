"""``ModelPerformanceData``: what a ModelInterface reports about a model on an evaluation set."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from envirosense.schemas.base import Record

Probability = float


class FeatureContribution(Record):
    feature_path: str = Field(
        description="Schema field path, e.g. sensor_readings_map.U20_SPS30.mass_concentration_pm2_5_ug_m3."
    )
    importance_score: float = Field(description="Signed contribution toward the target class (model units).")
    raw_value: float | None = Field(description="The sample's value of that feature (field's unit).")


class SampleFeaturesSummary(Record):
    method: str = Field(description="How the explanation was made, e.g. SHAP or permutation_fallback.")
    target_class_for_explanation: str = Field(description="Class the contributions push toward.")
    top_n_features: list[FeatureContribution] = Field(description="Most important features first.")


class OverallMetrics(Record):
    accuracy: float = Field(ge=0, le=1)
    macro_f1_score: float = Field(ge=0, le=1)
    weighted_f1_score: float = Field(ge=0, le=1)
    log_loss: float = Field(ge=0)


class ClassMetrics(Record):
    precision: float = Field(ge=0, le=1)
    recall: float = Field(ge=0, le=1)
    f1_score: float = Field(ge=0, le=1)
    support: int = Field(ge=0)


class SensorMetrics(Record):
    overall_accuracy: float = Field(ge=0, le=1, description="Accuracy on samples where the sensor reads validly.")
    per_class_metrics: dict[str, ClassMetrics]
    reliance_score: float = Field(
        description="How much the model leans on this sensor: accuracy drop when its features are permuted."
    )
    valid_sample_count: int = Field(ge=0)


class UncertainSample(Record):
    raw_sample_id: str
    sensor_id: str = Field(description="The sensor the explanation points to.")
    uncertainty_score: float = Field(ge=0, description="The configured uncertainty measure (higher = less sure).")
    epistemic_uncertainty_score: float = Field(ge=0, description="Mutual information between members, nats.")
    aleatoric_uncertainty_score: float = Field(ge=0, description="Expected member entropy, nats.")
    disagreement_score: float = Field(ge=0, le=1, description="Share of members voting against the majority.")
    predicted_label_distribution: dict[str, Probability]
    original_scenario_id: str
    scenario_timestep_seconds: float = Field(ge=0)
    sample_features_summary: SampleFeaturesSummary


class MisclassifiedSample(UncertainSample):
    true_label: str
    predicted_label: str
    confidence_of_prediction: float = Field(ge=0, le=1)


class ConfusionMatrix(Record):
    labels: list[str] = Field(description="Class names, in row and column order.")
    counts: list[list[int]] = Field(description="counts[i][j]: samples of true labels[i] predicted as labels[j].")


class ModelPerformanceData(Record):
    """The full feedback of one evaluation; key names are a fixed contract (``docs/learning.md``)."""

    model_version_evaluated: str
    dataset_identifier: str
    overall_metrics: OverallMetrics
    per_class_metrics: dict[str, ClassMetrics]
    sensor_specific_metrics: dict[str, SensorMetrics]
    uncertain_samples: list[UncertainSample]
    misclassified_samples: list[MisclassifiedSample]
    uncertainty_source: Literal["ensemble_members", "probabilities_only"] = Field(
        default="ensemble_members",
        description="ensemble_members: epistemic, aleatoric and disagreement come from the members' predictions; "
        "probabilities_only: only the mean distribution was available (e.g. a model server), so epistemic and "
        "disagreement are 0 and aleatoric holds the whole predictive entropy.",
    )
    confusion_matrix: ConfusionMatrix | None = Field(default=None, description="Over the whole evaluation set.")
