"""``WeakSpot``: a place where the model is weak, found from ModelPerformanceData."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from envirosense.schemas.base import Record
from envirosense.schemas.performance import SampleFeaturesSummary


class WeakSpotType(StrEnum):
    HIGH_UNCERTAINTY_SAMPLE = "high_uncertainty_sample"
    MISCLASSIFIED_REGION = "misclassified_region"
    LOW_RECALL_CLASS = "low_recall_class"


class WeakSpot(Record):
    weak_spot_id: str = Field(description="Deterministic id from content and cycle.")
    weak_spot_type: WeakSpotType
    priority: float = Field(ge=0, le=1)
    sensor_id: str | None = Field(description="Sensor the weak spot points to; null for a class-level spot.")
    cycle_id: str | None = None
    target_class: str | None = Field(default=None, description="Class the model should learn better.")
    predicted_label: str | None = None
    original_scenario_id: str | None = None
    scenario_timestep_seconds: float | None = Field(default=None, ge=0)
    uncertainty_score: float | None = Field(default=None, ge=0)
    epistemic_uncertainty_score: float | None = Field(default=None, ge=0)
    aleatoric_uncertainty_score: float | None = Field(default=None, ge=0)
    disagreement_score: float | None = Field(default=None, ge=0, le=1)
    recall: float | None = Field(default=None, ge=0, le=1)
    sample_features_summary: SampleFeaturesSummary | None = None
    member_sample_ids: list[str] = Field(default_factory=list, description="Samples merged into this spot.")
    related_sensor_ids: list[str] = Field(
        default_factory=list, description="Every sensor the spot's samples point to, most frequent first."
    )
