"""The scenario registry: class name → scenario class, and definitions → runnable scenarios."""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from envirosense.schemas import ClassLabel, ScenarioCategory, ScenarioDefinition
from envirosense.simulation.scenario import BaseScenario

S = TypeVar("S", bound=type[BaseScenario[Any]])

_REGISTRY: dict[str, type[BaseScenario[Any]]] = {}


class UnknownScenarioClassError(LookupError):
    """A scenario class name that is not registered."""


def register_scenario(cls: S) -> S:
    """Class decorator: make ``cls`` available by its class name and its registry name."""
    _REGISTRY[cls.__name__] = cls
    _REGISTRY[cls.registry_name()] = cls
    return cls


def _load_builtin() -> None:
    importlib.import_module("envirosense.simulation.scenarios")


def scenario_classes() -> list[type[BaseScenario[Any]]]:
    """Every registered scenario class, once each, in registration order."""
    _load_builtin()
    return list(dict.fromkeys(_REGISTRY.values()))


def scenario_class(name: str) -> type[BaseScenario[Any]]:
    """The class registered as ``name`` (class name like ``ArcingEventScenario`` or ``arcing_event``)."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(cls.registry_name() for cls in scenario_classes()))
        raise UnknownScenarioClassError(f"unknown scenario class {name!r}; known: {known}") from None


def classes_for_label(label: ClassLabel) -> list[type[BaseScenario[Any]]]:
    return [cls for cls in scenario_classes() if cls.class_label is label]


def classes_for_category(category: ScenarioCategory) -> list[type[BaseScenario[Any]]]:
    return [cls for cls in scenario_classes() if cls.category is category]


def scenario_from_definition(definition: ScenarioDefinition) -> BaseScenario[Any]:
    """The runnable scenario a definition describes; its parameters are validated against the class."""
    cls = scenario_class(definition.scenario_class_name)
    return cls(cls.params_model.model_validate(definition.specific_params()), definition=definition)
