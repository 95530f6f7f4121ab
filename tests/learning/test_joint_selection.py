"""alm's one selection over the pool: by margin, by the epistemic score the model interface returns, or by
the champion's error on the simulator's label."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from envirosense.generation import MLDataGenerator
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.context import CycleContext
from envirosense.learning.degradation import ServiceGuard
from envirosense.learning.joint_selection import PoolSelector
from envirosense.learning.sampling import SampleMaker
from envirosense.learning.state import DatasetSlice
from envirosense.models.datasets import EvaluationDataset
from envirosense.models.interface import Predictions
from envirosense.models.uncertainty import UncertaintyMeasure
from envirosense.repository import SQLiteScenarioRepository
from envirosense.schemas import ModelPerformanceData
from tests.learning.fakes import ScriptedModel


class MemberModel(ScriptedModel):
    """Scripted margins, an epistemic score that orders the samples against them (the least separated
    sample has the least member disagreement), and every third sample labelled with the class the model
    gives the lesser probability, so the three rankings keep different samples."""

    def __init__(self, make_performance: Callable[..., ModelPerformanceData]) -> None:
        super().__init__({}, make_performance)
        self.measures: list[UncertaintyMeasure] = []

    def predict_proba(self, samples: EvaluationDataset, model_version_tag: str | None = None) -> Predictions:
        predictions = super().predict_proba(samples, model_version_tag)
        labels = ["arcing" if i % 3 == 0 else "normal" for i in range(len(predictions.labels))]
        return Predictions(predictions.sample_ids, labels, predictions.class_labels, predictions.proba)

    def predict_uncertainty(
        self, samples: EvaluationDataset, measure: UncertaintyMeasure, model_version_tag: str | None = None
    ) -> tuple[Predictions, np.ndarray]:
        self.measures.append(measure)
        predictions = self.predict_proba(samples, model_version_tag)
        return predictions, predictions.margins().copy()


@pytest.mark.parametrize("uncertainty", ["margin", "epistemic", "loss"])
def test_the_selection_keeps_the_most_uncertain_by_the_configured_measure(
    uncertainty: str,
    tmp_path: Path,
    initial_dataset: Path,
    repository: SQLiteScenarioRepository,
    make_performance: Callable[..., ModelPerformanceData],
) -> None:
    targeting = {"uncertainty": uncertainty, "diversity": False, "max_share_per_run": 1.0}
    config = ActiveLearningConfig.model_validate({"seed": 2, "targeting": targeting})
    model = MemberModel(make_performance)
    maker = SampleMaker(MLDataGenerator(workers=1), repository, model, ServiceGuard(config.resilience), 4)
    context = CycleContext("r", 1, None, config, tmp_path / "cycle-1", lambda event, fields: None)
    kept, degraded = PoolSelector(maker, config.targeting).select(context, [DatasetSlice(path=str(initial_dataset))], 4)
    assert degraded is None
    predictions = model.predict_proba(initial_dataset)
    margins = predictions.margins()
    surest = {"margin": margins, "epistemic": -margins, "loss": -predictions.true_class_error()}[uncertainty]
    order = np.lexsort((np.asarray(predictions.sample_ids), surest))
    expected = {predictions.sample_ids[i] for i in order[:4]}
    by_margin = {predictions.sample_ids[i] for i in np.lexsort((np.asarray(predictions.sample_ids), margins))[:4]}
    assert (expected == by_margin) is (uncertainty == "margin")
    assert {sample_id for entry in kept for sample_id in entry.sample_ids or ()} == expected
    assert model.measures == ([UncertaintyMeasure.EPISTEMIC] if uncertainty == "epistemic" else [])
