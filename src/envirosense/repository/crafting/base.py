"""What every crafter shares: the request, the result, the protocol, targets and search coordinates.

A crafter turns a ``SampleFeaturesSummary`` (feature paths, importances, raw values of one sample the
model got wrong or was unsure about) into a scenario class and parameters. It is chosen when the
repository is built (``crafter=...``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError

from envirosense.repository.errors import CraftingError
from envirosense.repository.sensors import FeatureField, driven_fields, parse_feature_path
from envirosense.schemas import SENSORS_BY_ID, ClassLabel, SampleFeaturesSummary
from envirosense.simulation.parameters import ParamModel, ScenarioParams, deep_merge, param_ranges
from envirosense.simulation.registry import classes_for_label
from envirosense.simulation.scenario import BaseScenario

LOG_SCALE_RATIO = 20.0
"""A positive range whose upper/lower ratio is at least this is searched on a log scale."""
_EDGE = 1e-9


@dataclass(frozen=True)
class FeatureTarget:
    """One reading the crafted scenario should reproduce: ``raw_value`` (the field's unit) with a weight."""

    feature: FeatureField
    raw_value: float
    weight: float


@dataclass(frozen=True)
class CraftRequest:
    """What to craft: a scenario of ``target_label`` whose readings match ``targets``.

    ``start`` is the scenario to begin from (the stored ``base_id`` definition) when there is one.
    """

    summary: SampleFeaturesSummary
    target_label: ClassLabel
    targets: tuple[FeatureTarget, ...]
    start: BaseScenario[Any] | None = None


@dataclass(frozen=True)
class CraftResult:
    """The crafted class and parameters, and a JSON-ready report of how they were found."""

    scenario_class: type[BaseScenario[Any]]
    params: ParamModel
    report: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Crafter(Protocol):
    """Anything with a ``name`` and a ``craft`` method can craft scenarios for a repository."""

    name: str

    def craft(self, request: CraftRequest) -> CraftResult:
        """Choose a class and parameters for ``request``; ``CraftingError`` when it cannot."""
        ...


def feature_targets(summary: SampleFeaturesSummary, sensor_ids: tuple[str, ...] | None = None) -> list[FeatureTarget]:
    """The summary's features that name a scalar reading field and carry a finite raw value.

    Restricted to ``sensor_ids`` when given. Weights are the absolute importances, normalised to sum
    to one (equal when every importance is zero).
    """
    found: list[tuple[FeatureField, float, float]] = []
    for contribution in summary.top_n_features:
        feature = parse_feature_path(contribution.feature_path)
        if feature is None or contribution.raw_value is None or not math.isfinite(contribution.raw_value):
            continue
        if sensor_ids is not None and feature.sensor_id not in sensor_ids:
            continue
        annotation = str(SENSORS_BY_ID[feature.sensor_id].reading_model.model_fields[feature.field].annotation)
        if "list" in annotation or "bool" in annotation:
            continue
        found.append((feature, float(contribution.raw_value), abs(contribution.importance_score)))
    total = sum(importance for _, _, importance in found)
    return [
        FeatureTarget(feature, value, importance / total if total > 0 else 1.0 / len(found))
        for feature, value, importance in found
    ]


def driver_parameters(cls: type[BaseScenario[Any]], targets: tuple[FeatureTarget, ...]) -> list[str]:
    """Numeric parameters of ``cls`` that drive at least one target's field, in declaration order."""
    wanted = {target.feature for target in targets}
    ranges = param_ranges(cls.params_model)
    return [
        path
        for path, fields in driven_fields(cls).items()
        if wanted.intersection(fields) and path in ranges and ranges[path].choices is None
    ]


def choose_class(
    target_label: ClassLabel, targets: tuple[FeatureTarget, ...], start: BaseScenario[Any] | None = None
) -> type[BaseScenario[Any]]:
    """The class of ``target_label`` whose drivers cover the most target weight.

    Ties go to the start scenario's class, then to the class whose own parameters (not the shared
    weather and device ones) cover the most target weight — a source of its own explains the readings
    better than, say, regional background pollution — then to registration order. ``CraftingError``
    when no class predicts ``target_label``.
    """
    candidates = classes_for_label(target_label)
    if not candidates:
        raise CraftingError(f"no scenario class is labelled {target_label.value!r}")

    shared = set(param_ranges(ScenarioParams))

    def coverage(cls: type[BaseScenario[Any]], own_only: bool = False) -> float:
        drivers = driven_fields(cls)
        driven = {field for path, fields in drivers.items() if not (own_only and path in shared) for field in fields}
        return sum(target.weight for target in targets if target.feature in driven)

    best = max(coverage(cls) for cls in candidates)
    tied = [cls for cls in candidates if coverage(cls) == best]
    if start is not None and type(start) in tied:
        return type(start)
    return max(tied, key=lambda cls: coverage(cls, own_only=True))


def start_params(cls: type[BaseScenario[Any]], start: BaseScenario[Any] | None) -> ParamModel:
    """The start scenario's parameters when it is of ``cls``, else the class defaults."""
    params: ParamModel = start.params if start is not None and type(start) is cls else cls.params_model()
    return params


@dataclass(frozen=True)
class SearchDimension:
    """One searched parameter, mapped to the unit interval (on a log scale for wide positive ranges)."""

    path: str
    lower: float
    upper: float
    log: bool
    is_integer: bool

    def to_value(self, unit: float) -> float:
        u = min(max(unit, _EDGE), 1.0 - _EDGE)
        if self.log:
            value = math.exp(math.log(self.lower) + u * (math.log(self.upper) - math.log(self.lower)))
        else:
            value = self.lower + u * (self.upper - self.lower)
        value = min(max(value, self.lower), self.upper)
        return float(round(value)) if self.is_integer else value

    def to_unit(self, value: float) -> float:
        if self.log:
            return (math.log(value) - math.log(self.lower)) / (math.log(self.upper) - math.log(self.lower))
        return (value - self.lower) / (self.upper - self.lower) if self.upper > self.lower else 0.5


def search_dimensions(cls: type[BaseScenario[Any]], paths: list[str]) -> list[SearchDimension]:
    """``SearchDimension`` for each numeric parameter path of ``cls``."""
    ranges = param_ranges(cls.params_model)
    dimensions = []
    for path in paths:
        declared = ranges[path]
        assert declared.lower is not None and declared.upper is not None
        log = declared.lower > 0 and declared.upper / declared.lower >= LOG_SCALE_RATIO
        dimensions.append(SearchDimension(path, declared.lower, declared.upper, log, declared.is_integer))
    return dimensions


def params_at(
    cls: type[BaseScenario[Any]], base: ParamModel, dimensions: list[SearchDimension], units: list[float]
) -> ParamModel:
    """``base`` with each searched parameter set from its unit coordinate."""
    values = {dimension.path: dimension.to_value(unit) for dimension, unit in zip(dimensions, units, strict=True)}
    try:
        return cls.params_model.model_validate(deep_merge(base.model_dump(mode="json"), values))
    except ValidationError as exc:
        raise CraftingError(f"crafted parameters of {cls.__name__} do not validate: {exc}") from exc


def unit_point(base: ParamModel, dimensions: list[SearchDimension]) -> list[float]:
    """The unit coordinates of ``base``'s values of the searched parameters."""
    flat = base.model_dump(mode="json")
    point = []
    for dimension in dimensions:
        node: Any = flat
        for part in dimension.path.split("."):
            node = node[part]
        point.append(min(max(dimension.to_unit(float(node)), 0.0), 1.0))
    return point
