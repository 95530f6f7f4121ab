from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from envirosense.generation import MLDataGenerator
from envirosense.learning.sources import random_definitions
from envirosense.repository import SQLiteScenarioRepository, make_engine
from envirosense.repository.migrate import upgrade_database
from envirosense.schemas import MisclassifiedSample, ModelPerformanceData, UncertainSample

MakeSample = Callable[..., dict[str, Any]]


def _summary(features: dict[str, float], target: str) -> dict[str, Any]:
    return {
        "method": "SHAP",
        "target_class_for_explanation": target,
        "top_n_features": [
            {"feature_path": f"sensor_readings_map.{path}", "importance_score": 0.1, "raw_value": value}
            for path, value in features.items()
        ],
    }


@pytest.fixture
def make_sample() -> MakeSample:
    def make(
        sample_id: str,
        *,
        sensor_id: str = "U20_SPS30",
        features: dict[str, float] | None = None,
        uncertainty: float = 0.5,
        epistemic: float = 0.2,
        aleatoric: float = 0.4,
        disagreement: float = 0.3,
        true_label: str | None = None,
        predicted: str = "fire_precursor",
        confidence: float = 0.6,
        scenario_id: str = "scn-1",
    ) -> dict[str, Any]:
        features = features or {"U20_SPS30.mass_concentration_pm2_5_ug_m3": 80.0}
        record: dict[str, Any] = {
            "raw_sample_id": sample_id,
            "sensor_id": sensor_id,
            "uncertainty_score": uncertainty,
            "epistemic_uncertainty_score": epistemic,
            "aleatoric_uncertainty_score": aleatoric,
            "disagreement_score": disagreement,
            "predicted_label_distribution": {predicted: confidence, "normal": 1 - confidence},
            "original_scenario_id": scenario_id,
            "scenario_timestep_seconds": 100.0,
            "sample_features_summary": _summary(features, predicted),
        }
        if true_label is not None:
            record |= {"true_label": true_label, "predicted_label": predicted, "confidence_of_prediction": confidence}
        return record

    return make


@pytest.fixture
def make_performance() -> Callable[..., ModelPerformanceData]:
    def make(
        *,
        recalls: dict[str, float] | None = None,
        uncertain: list[dict[str, Any]] | None = None,
        misclassified: list[dict[str, Any]] | None = None,
        reliance: dict[str, float] | None = None,
    ) -> ModelPerformanceData:
        recalls = recalls or {"normal": 0.95, "fire_precursor": 0.9}
        per_class = {
            label: {"precision": 0.8, "recall": recall, "f1_score": 0.8, "support": 50}
            for label, recall in recalls.items()
        }
        sensors = {
            sensor: {
                "overall_accuracy": 0.8,
                "per_class_metrics": per_class,
                "reliance_score": score,
                "valid_sample_count": 100,
            }
            for sensor, score in (reliance or {"U20_SPS30": 0.1}).items()
        }
        return ModelPerformanceData(
            model_version_evaluated="m/1",
            dataset_identifier="eval",
            overall_metrics={"accuracy": 0.8, "macro_f1_score": 0.7, "weighted_f1_score": 0.8, "log_loss": 0.5},
            per_class_metrics=per_class,
            sensor_specific_metrics=sensors,
            uncertain_samples=[UncertainSample.model_validate(s) for s in uncertain or []],
            misclassified_samples=[MisclassifiedSample.model_validate(s) for s in misclassified or []],
        )

    return make


@pytest.fixture(scope="module")
def initial_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("initial") / "initial"
    definitions = random_definitions(np.random.default_rng(3), 3, "runner-initial")
    MLDataGenerator(workers=1).generate(definitions, folder, seed=3, samples_per_run=4, spread_over_duration=True)
    return folder


@pytest.fixture
def repository(tmp_path: Path) -> SQLiteScenarioRepository:
    engine = make_engine(f"sqlite:///{tmp_path / 'scenarios.db'}")
    upgrade_database(engine)
    engine.dispose()
    return SQLiteScenarioRepository(tmp_path / "scenarios.db")
