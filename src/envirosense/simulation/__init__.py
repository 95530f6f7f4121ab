"""The simulator: weather and sources → true field at the device → sensor readings and labels."""

from envirosense.simulation.parameters import DeviceParams, EnvironmentParams, ScenarioParams, param_ranges
from envirosense.simulation.registry import (
    register_scenario,
    scenario_class,
    scenario_classes,
    scenario_from_definition,
)
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import SIMULATION_ENGINE_VERSION, BaseScenario

__all__ = [
    "SIMULATION_ENGINE_VERSION",
    "BaseScenario",
    "DeviceParams",
    "EnvironmentParams",
    "ScenarioParams",
    "SimulationResult",
    "param_ranges",
    "register_scenario",
    "scenario_class",
    "scenario_classes",
    "scenario_from_definition",
]
