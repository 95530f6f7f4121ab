"""The champion's error score of a crafting round: one model call for the whole round, the same scores
as each candidate scored on its own."""

from __future__ import annotations

import json
import zlib
from typing import Any

import numpy as np

from envirosense.learning.proposals import ChampionErrorScore
from envirosense.models.datasets import EvaluationDataset
from envirosense.models.interface import ModelInterface, Predictions
from envirosense.repository.crafting.forward import ForwardModel
from envirosense.schemas import ModelPerformanceData
from envirosense.simulation.registry import scenario_class

CLASSES = ["normal", "equipment_overheat"]


class ReadingModel(ModelInterface):
    """Gives each sample a probability fixed by its readings (not its id) and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def get_model_performance_feedback(
        self, evaluation_dataset: EvaluationDataset, model_version_tag: str | None = None
    ) -> ModelPerformanceData:
        raise NotImplementedError

    def predict_proba(self, samples: EvaluationDataset, model_version_tag: str | None = None) -> Predictions:
        assert isinstance(samples, list)
        self.calls += 1
        rows: list[dict[str, Any]] = samples
        first = np.asarray(
            [zlib.crc32(json.dumps(s["sensor_readings_map"], sort_keys=True).encode()) % 100 / 100 for s in rows]
        )
        return Predictions(
            [str(s["sample_id"]) for s in rows],
            [str(s["extracted_class_label"]) for s in rows],
            CLASSES,
            np.column_stack([first, 1.0 - first]),
        )


def test_a_round_is_scored_in_one_call_as_each_candidate_alone() -> None:
    cls = scenario_class("equipment_overheat")
    forward = ForwardModel(n_steps=6)
    scenarios = [cls(cls.params_model.model_validate({"rated_rise_c": rise})) for rise in (30.0, 90.0, 180.0)]
    runs = [forward.run(scenario) for scenario in scenarios]
    model = ReadingModel()
    scorer = ChampionErrorScore(model, "champion")
    together = scorer.score_batch(scenarios, runs)
    assert model.calls == 1
    alone = [scorer.score_batch([scenario], [run])[0] for scenario, run in zip(scenarios, runs, strict=True)]
    assert together == alone
    assert len(set(together)) == 3 and all(0.0 <= score <= 1.0 for score in together)
