"""``ScenarioRepositoryInterface``: the eight calls the active-learning loop makes on a scenario store.

Names and parameters are the loop's fixed contract (``docs/repository.md``). Getters return runnable
``BaseScenario`` objects whose ``definition`` is the stored ``ScenarioDefinition``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from envirosense.repository.crafting.base import Crafter
from envirosense.repository.variation import SensorContext
from envirosense.schemas import ClassLabel, SampleFeaturesSummary, ScenarioCategory, ScenarioDefinition
from envirosense.simulation.scenario import BaseScenario


class ScenarioRepositoryInterface(ABC):
    """Store, query, version, vary and craft scenario definitions."""

    @abstractmethod
    def get_scenario_by_id(self, scenario_id: str) -> BaseScenario[Any]:
        """The runnable scenario stored as ``scenario_id`` (latest version).

        Raises ``ScenarioNotFoundError`` when there is none.
        """

    @abstractmethod
    def get_scenarios_by_category(
        self, category: ScenarioCategory | str, sensor_type: str | None = None, num_to_get: int = 5
    ) -> list[BaseScenario[Any]]:
        """Up to ``num_to_get`` scenarios of ``category``, oldest first.

        ``sensor_type`` (a sensor id such as ``U20_SPS30`` or a kind such as ``particulate``) keeps only
        scenarios relevant to that sensor: tagged ``sensor:<id>``, or of a class whose parameters drive it.
        """

    @abstractmethod
    def get_scenarios_by_class_label(
        self, class_label: ClassLabel | str, sensor_type: str | None = None, num_to_get: int = 5
    ) -> list[BaseScenario[Any]]:
        """Up to ``num_to_get`` scenarios whose class predicts ``class_label``, oldest first
        (``sensor_type`` as in ``get_scenarios_by_category``)."""

    @abstractmethod
    def create_scenario_variation(
        self,
        base_scenario: BaseScenario[Any] | ScenarioDefinition | str,
        new_id_suffix: str,
        param_modifications: Mapping[str, Any],
        sensor_context: SensorContext | Mapping[str, Any] | None = None,
    ) -> BaseScenario[Any]:
        """Save and return ``base_scenario`` with ``param_modifications`` merged in.

        The new id is ``<base id>-<new_id_suffix>``. ``param_modifications`` may nest or use dotted paths
        (``{"environment.wind_speed_m_s": 8}``); every path must be a parameter of the class and every
        value inside its declared range, else ``RepositoryValidationError`` and nothing is saved. The new
        definition's parent is the base; it is tagged with its class, sensors and origin; the sensor
        context is kept as lineage. Repeating the same call returns the stored variation.
        """

    @abstractmethod
    def craft_scenario_from_features(
        self,
        features_summary: SampleFeaturesSummary | Mapping[str, Any],
        base_id: str,
        target_class: ClassLabel | str | None = None,
        sensor_type: str | None = None,
        *,
        crafter: Crafter | None = None,
    ) -> BaseScenario[Any]:
        """Save and return a scenario of ``target_class`` (default: the summary's target class) whose
        readings resemble the summary's features, made by ``crafter`` (default: the repository's).

        The new id starts with ``base_id``; when ``base_id`` names a stored definition it becomes the
        parent. ``sensor_type`` limits the features used to that sensor's.
        """

    @abstractmethod
    def get_default_exploration_scenario(self, scenario_id: str, sensor_type: str | None = None) -> BaseScenario[Any]:
        """The exploration default stored under ``scenario_id`` (suffixed with the sensor type when given):
        created on first use, the same definition on every later call."""

    @abstractmethod
    def save_scenario_definition(self, scenario_def: ScenarioDefinition | Mapping[str, Any]) -> str:
        """Validate and store a new definition; returns its id. ``ConflictError`` if the id exists."""

    @abstractmethod
    def update_scenario_definition(self, scenario_def_id: str, updates: Mapping[str, Any]) -> bool:
        """Write a new version of a definition with ``updates`` (field → value) applied.

        ``updates["version"]``, when given, is the version the change was based on: if the stored one is
        newer, ``ConflictError`` and nothing is written. Returns ``True`` when a new version was written
        and ``False`` when the updates change nothing.
        """
