"""Normal operation scenarios: nothing is wrong."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from envirosense.schemas import ClassLabel, DifficultyLevel, ScenarioCategory
from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.parameters import ScenarioParams
from envirosense.simulation.physics.ambient import quiet_field
from envirosense.simulation.registry import register_scenario
from envirosense.simulation.scenario import BaseScenario


class BaselineOperationParams(ScenarioParams):
    """Baseline operation has only the shared weather and device parameters."""


@register_scenario
class BaselineOperationScenario(BaseScenario[BaselineOperationParams]):
    """Equipment under normal load in ordinary weather."""

    params_model = BaselineOperationParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.NORMAL
    event_type = "baseline"
    difficulty = DifficultyLevel.VERY_LOW

    def build_field(self, times_s: NDArray[np.float64], rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        field = quiet_field(self.params.environment, self.params.device, times_s, rng)
        labels = LabelTrack.constant(len(times_s), ClassLabel.NORMAL, self.event_type, type(self).__name__)
        return field, labels
