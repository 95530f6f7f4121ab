"""Variations steer the simulator: the readings move the way the changed parameter says they should.

Checked through the real simulator and catalogue classes (not just the stored JSON), on both databases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from envirosense.repository import SqlScenarioRepository
from envirosense.repository.catalogue import class_definition
from envirosense.repository.crafting import ForwardModel
from envirosense.repository.sensors import parse_feature_path
from envirosense.schemas import ClassLabel
from envirosense.simulation.parameters import param_ranges
from envirosense.simulation.registry import scenario_class
from envirosense.simulation.scenario import BaseScenario

# class, parameter, from and to (fractions of its declared range), feature, label whose timesteps are
# summarised, +1 when the feature should rise
DIRECTIONS = [
    ("equipment_overheat", "rated_rise_c", 0.1, 0.9, "U26_Lepton35.hotspot_delta_c", "equipment_overheat", +1),
    (
        "corona_discharge",
        "ultrasound_level_db_at_1m",
        0.1,
        0.9,
        "U27_SPU0410HR5H.band_ultrasonic_db",
        "corona_discharge",
        +1,
    ),
    (
        "distant_vegetation_smoke",
        "pm2_5_increment_ug_m3",
        0.1,
        0.9,
        "U20_SPS30.mass_concentration_pm2_5_ug_m3",
        "normal",
        +1,
    ),
    ("baseline_operation", "environment.wind_speed_m_s", 0.1, 0.9, "U24_FT205.wind_speed_m_s", "normal", +1),
    ("baseline_operation", "environment.mean_temperature_c", 0.9, 0.1, "U22_SHT85.temperature_c", "normal", -1),
]


def _in_range(name: str, parameter: str, fraction: float) -> float:
    declared = param_ranges(scenario_class(name).params_model)[parameter]
    assert declared.lower is not None and declared.upper is not None
    return declared.lower + fraction * (declared.upper - declared.lower)


def _summary(scenario: BaseScenario[Any], feature: str, label: str) -> float:
    field = parse_feature_path(feature)
    assert field is not None
    forward = ForwardModel(n_steps=48, n_repeats=3, seed=11)
    return forward.evaluate(scenario, [field], ClassLabel(label))[field]


@pytest.mark.parametrize(("name", "parameter", "start", "end", "feature", "label", "sign"), DIRECTIONS)
def test_variation_moves_readings_in_the_expected_direction(
    repository: SqlScenarioRepository,
    name: str,
    parameter: str,
    start: float,
    end: float,
    feature: str,
    label: str,
    sign: int,
) -> None:
    cls = scenario_class(name)
    repository.save_scenario_definition(class_definition(cls, name, origin="test", author="test"))
    before = repository.create_scenario_variation(name, "from", {parameter: _in_range(name, parameter, start)})
    after = repository.create_scenario_variation(name, "to", {parameter: _in_range(name, parameter, end)})
    stored = repository.get_scenario_by_id(after.scenario_id)
    assert stored.params == after.params
    value_before = _summary(repository.get_scenario_by_id(before.scenario_id), feature, label)
    value_after = _summary(stored, feature, label)
    assert np.isfinite(value_before) and np.isfinite(value_after)
    change = value_after - value_before
    assert sign * change > 0.03 * max(abs(value_before), 1.0), (value_before, value_after)
