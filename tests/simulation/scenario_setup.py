"""A scenario of one class with chosen parameters, for the physics tests of the simulator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from envirosense.simulation import BaseScenario, scenario_class
from envirosense.simulation.field import TrueField


def configured(name: str, base: Mapping[str, Mapping[str, Any]] | None = None, **params: Any) -> BaseScenario[Any]:
    """Scenario ``name`` with its default parameters, then the ``base`` section updates (each applied to
    the keys that section has), then ``params`` (a dict value updates its section, anything else replaces)."""
    merged = scenario_class(name)().params.model_dump()
    for section, updates in (base or {}).items():
        if section in merged:
            merged[section].update({key: value for key, value in updates.items() if key in merged[section]})
    for key, value in params.items():
        if isinstance(value, dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return scenario_class(name)(merged)


def field_and_readings(scenario: BaseScenario[Any], seed: int, steps: int) -> tuple[TrueField, dict[str, Any]]:
    """The true field and the sensor readings of ``steps`` timesteps spread over the scenario's duration."""
    times = scenario.sample_times(scenario.params.duration_seconds / steps, steps)
    field, _ = scenario.build_field(times, np.random.default_rng(seed))
    return field, scenario.simulate(times, np.random.default_rng(seed)).readings
