"""What a created scenario changed: its parameters that differ from its parent's, each with its unit, rounded
for reading (a scenario drawn afresh lists its values the same way)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from envirosense.learning.history import RunHistory
from envirosense.repository.errors import ScenarioNotFoundError
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.simulation.parameters import ParamModel, flatten_params

_UNIT_AFTER_COMMA = re.compile(r",\s*([^,()]+?)\.?\s*$")
_UNIT_IN_PARENS = re.compile(r"\(([^()]+)\)\.?\s*$")
_UNIT = re.compile(r"^[^\s]{1,8}$")
"""A unit is one short token (°C, µg/m³, %RH, m/s, days); anything longer is prose, not a unit."""
_NO_UNIT = {"ratio", "fraction", "count", "from"}


@dataclass(frozen=True)
class ParameterChange:
    """One parameter (dotted path) of a created scenario against its reference."""

    path: str
    before: Any
    after: Any
    unit: str

    def text(self) -> str:
        before, after = _pair(self.before, self.after)
        numeric = isinstance(self.after, int | float) and not isinstance(self.after, bool)
        unit = f" {self.unit}" if self.unit and numeric else ""
        return f"{self.path}: {before} → {after}{unit}"

    def value_text(self) -> str:
        """The new value alone, with its unit: for a scenario drawn afresh, where nothing was changed."""
        numeric = isinstance(self.after, int | float) and not isinstance(self.after, bool)
        unit = f" {self.unit}" if self.unit and numeric else ""
        return f"{self.path} = {_number(self.after, 3)}{unit}"


def unit_of(description: str | None) -> str:
    """The unit a parameter description ends with (``…, °C.`` or ``… (ratio).``); '' for ratios and none."""
    if not description:
        return ""
    match = _UNIT_AFTER_COMMA.search(description) or _UNIT_IN_PARENS.search(description)
    unit = match.group(1).strip() if match else ""
    return "" if unit in _NO_UNIT or not _UNIT.match(unit) else unit


def _walk(model: type[ParamModel], prefix: str = "") -> dict[str, str]:
    units: dict[str, str] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, ParamModel):
            units.update(_walk(annotation, f"{prefix}{name}."))
        else:
            units[f"{prefix}{name}"] = unit_of(info.description)
    return units


@cache
def parameter_units(scenario_class_name: str) -> dict[str, str]:
    """Dotted parameter path → unit for a scenario class (empty for an unknown class)."""
    from envirosense.simulation.registry import UnknownScenarioClassError, scenario_class

    try:
        return _walk(scenario_class(scenario_class_name).params_model)
    except UnknownScenarioClassError:
        return {}


def changes(scenario_class_name: str, params: Mapping[str, Any], reference: Mapping[str, Any]) -> list[ParameterChange]:
    """Parameters of ``params`` that differ from ``reference`` (both nested dicts), in path order."""
    units = parameter_units(scenario_class_name)
    new, old = flatten_params(params), flatten_params(reference)
    return [
        ParameterChange(path, old.get(path), value, units.get(path, ""))
        for path, value in sorted(new.items())
        if not _same(old.get(path), value)
    ]


def parent_params(repository: ScenarioRepositoryInterface, history: RunHistory) -> dict[str, dict[str, Any]]:
    """Parameters of every parent scenario the run's created scenarios name, from ``repository`` and from the
    run itself (a variation of a variation); parents that no longer exist are left out."""
    created = {s.scenario_definition_id: dict(s.params) for cycle in history.cycles for s in cycle.scenarios}
    parents: dict[str, dict[str, Any]] = {}
    for cycle in history.cycles:
        for scenario in cycle.scenarios:
            parent = scenario.parent_scenario_id
            if parent is None or parent in parents:
                continue
            if parent in created:
                parents[parent] = created[parent]
                continue
            try:
                found = repository.get_scenario_by_id(parent)
            except ScenarioNotFoundError:
                continue
            definition = found.definition
            parents[parent] = (
                definition.specific_params() if definition is not None else found.params.model_dump(mode="json")
            )
    return parents


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, int | float) and isinstance(after, int | float) and not isinstance(before, bool):
        return math.isclose(float(before), float(after), rel_tol=1e-9, abs_tol=1e-12)
    return bool(before == after)


def _pair(before: Any, after: Any) -> tuple[str, str]:
    """Both values with the fewest significant digits (≥ 3) that still tell them apart."""
    if before is None:
        return "–", _number(after, 3)
    for digits in range(3, 10):
        a, b = _number(before, digits), _number(after, digits)
        if a != b:
            return a, b
    return _number(before, 10), _number(after, 10)


def _number(value: Any, digits: int) -> str:
    """``value`` with ``digits`` significant digits, in plain notation from 0.001 to a million."""
    if not isinstance(value, float) or not math.isfinite(value):
        return str(value)
    if value == 0 or not 1e-3 <= abs(value) < 1e6:
        return f"{value:.{digits}g}"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
