"""``BaseScenario``: parameters → sources over time → true field → sensor readings and labels.

A scenario is the *simulator* in VerifAI's sense: given its parameters, timesteps and a random
generator, it says what happens. What to try next (samplers, variation, crafting) lives elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from envirosense.schemas import ClassLabel, DifficultyLevel, ScenarioCategory, ScenarioDefinition
from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.parameters import ScenarioParams
from envirosense.simulation.result import SimulationResult

P = TypeVar("P", bound=ScenarioParams)

SIMULATION_ENGINE_VERSION = "1.0.0"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class BaseScenario(ABC, Generic[P]):
    """One kind of situation the device can be in, with its parameters.

    Subclasses declare ``params_model`` (a ``ScenarioParams`` subclass whose every parameter has a
    range), ``class_label`` (the label while the event is active), ``category``, ``event_type`` and
    ``difficulty``, and implement ``build_field``. ``sensor_drivers`` maps parameter paths to the sensor
    feature paths they mainly drive, for inverse design.
    """

    params_model: ClassVar[type[ScenarioParams]]
    class_label: ClassVar[ClassLabel]
    category: ClassVar[ScenarioCategory]
    event_type: ClassVar[str]
    difficulty: ClassVar[DifficultyLevel] = DifficultyLevel.MEDIUM
    is_confounder: ClassVar[bool] = False
    sensor_drivers: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(
        self,
        params: P | Mapping[str, Any] | None = None,
        *,
        definition: ScenarioDefinition | None = None,
    ) -> None:
        if params is None:
            params = self.params_model()  # type: ignore[assignment]
        elif isinstance(params, Mapping):
            params = self.params_model.model_validate(dict(params))  # type: ignore[assignment]
        elif not isinstance(params, self.params_model):
            raise TypeError(f"{type(self).__name__} needs {self.params_model.__name__}, got {type(params).__name__}")
        self.params: P = params  # type: ignore[assignment]
        self.definition = definition

    # --- what subclasses implement -------------------------------------------------------------

    @abstractmethod
    def build_field(self, times_s: NDArray[np.float64], rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        """The true field at the device and the labels, for every time in ``times_s`` (s, shape (T,))."""

    # --- running -------------------------------------------------------------------------------

    def simulate(self, times_s: NDArray[np.float64], rng: np.random.Generator) -> SimulationResult:
        """Readings of every sensor at ``times_s`` (seconds since the scenario start, shape (T,)).

        All randomness comes from ``rng``: the same parameters, times and seed give identical results.
        """
        from envirosense.simulation.sensors import GridGuardianDevice

        times = np.asarray(times_s, dtype=np.float64)
        if times.ndim != 1 or times.size == 0:
            raise ValueError("times_s must be a non-empty 1-D array")
        if np.any(np.diff(times) <= 0) or times[0] < 0:
            raise ValueError("times_s must be non-negative and strictly increasing")
        field, labels = self.build_field(times, rng)
        readings = GridGuardianDevice(self.params.device).measure(field, rng)
        return SimulationResult(times_s=times, readings=readings, labels=labels, truth=field)

    def sample_times(self, interval_seconds: float, count: int | None = None) -> NDArray[np.float64]:
        """Evenly spaced times from 0 s, ``interval_seconds`` apart, over the duration (or ``count`` of them)."""
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        if count is None:
            count = int(self.params.duration_seconds // interval_seconds)
        return np.arange(max(count, 1), dtype=np.float64) * interval_seconds

    # --- definitions ---------------------------------------------------------------------------

    @classmethod
    def registry_name(cls) -> str:
        return _snake(cls.__name__).removesuffix("_scenario")

    def params_json(self) -> str:
        return json.dumps(self.params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def scenario_id(self) -> str:
        """The definition id when known, else a deterministic id from the class and parameters."""
        if self.definition is not None:
            return self.definition.scenario_definition_id
        digest = hashlib.sha256(f"{type(self).__name__}:{self.params_json()}".encode()).hexdigest()[:12]
        return f"{self.registry_name()}-{digest}"

    def to_definition(self, **overrides: Any) -> ScenarioDefinition:
        """A ``ScenarioDefinition`` that rebuilds this scenario exactly; ``overrides`` set other fields."""
        if self.definition is not None:
            base = self.definition.model_dump()
            base["specific_params_json"] = self.params_json()
            base.update(overrides)
            return ScenarioDefinition.model_validate(base)
        fields: dict[str, Any] = {
            "scenario_definition_id": self.scenario_id,
            "scenario_class_module": type(self).__module__,
            "scenario_class_name": type(self).__name__,
            "scenario_instance_id": self.scenario_id,
            "name": self.registry_name().replace("_", " "),
            "description": (type(self).__doc__ or "").strip().splitlines()[0] if type(self).__doc__ else "",
            "category": self.category,
            "tags": [self.class_label.value, self.category.value, self.registry_name()],
            "difficulty_level": self.difficulty,
            "expected_duration_seconds": self.params.duration_seconds,
            "creation_timestamp_utc": datetime.now(UTC),
            "specific_params_json": self.params_json(),
        }
        fields.update(overrides)
        return ScenarioDefinition.model_validate(fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(scenario_id={self.scenario_id!r})"
