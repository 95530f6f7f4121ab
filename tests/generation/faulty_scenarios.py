"""A scenario whose every run rejects its own input: a unit that fails the same way on any worker.

Workers import a unit's scenario module by name (``tests.generation.faulty_scenarios``), so it must stay
importable from the repository root (pytest puts the root on ``sys.path``; process pools and Dask workers
inherit that path). Importing it registers
the scenario; tests remove it again with the ``overloaded_feeder`` fixture of ``test_generator_breaker``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.registry import register_scenario
from envirosense.simulation.scenarios.normal import BaselineOperationScenario


@register_scenario
class OverloadedFeederScenario(BaselineOperationScenario):
    """Baseline operation whose load model re-validates the device with an overload of 1.2 on top of its
    load: above the 1.2 limit of ``grid_load_fraction`` for any valid load, so every run raises a
    ``ValidationError``."""

    event_type = "overloaded_feeder"

    def build_field(self, times_s: NDArray[np.float64], rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        device = self.params.device
        DeviceParams.model_validate({**device.model_dump(), "grid_load_fraction": device.grid_load_fraction + 1.2})
        return super().build_field(times_s, rng)
