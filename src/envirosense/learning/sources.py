"""Where scenarios come from when no weak spot asks for them: uniform draws over classes and parameters.

The initial training set, the held-out evaluation set, each cycle's probe set, exploration and the
``random`` baseline all use ``random_definitions``: a scenario class drawn uniformly from the catalogue,
then every parameter uniformly inside its declared range. That is the "broad distribution" the
benchmarks document; seeds keep the sets apart.

``label_balanced_definitions`` draws the class label first (uniformly over the labels, runs spread evenly
across them), then a scenario class of that label and its parameters uniformly: the catalogue has 9 normal
scenario classes of 17, so a uniform draw spends over half its runs on one of the seven labels macro-F1
weighs equally. ``lookalike_definitions`` keeps those label shares but gives the ``normal`` label's runs
to its confounder classes only. ``contrast_definitions`` spreads runs evenly over 13 strata instead: each
hazard label, each confounder class on its own, the plain normal classes together (it gives every
look-alike a hazard's share). Both are ablations (BENCHMARKS.md, "Look-alikes for arcing" and "A
four-times larger evaluation set").

``low_intensity_definitions`` is the second, deliberately different distribution the sample-efficiency
benchmark also scores on (``DISTRIBUTIONS``): rare, weak and distant hazards among many confounders.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any, Protocol

import numpy as np

from envirosense.repository.errors import ConflictError
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.schemas import ClassLabel, ScenarioCategory, ScenarioDefinition
from envirosense.simulation import scenario_classes
from envirosense.simulation.parameters import param_ranges, sample_params
from envirosense.simulation.registry import classes_for_label
from envirosense.simulation.scenario import BaseScenario

LOW_INTENSITY_CATEGORY_WEIGHTS = {"hazard": 0.5, "confounder": 0.4, "normal": 0.1}
"""Share of scenarios per kind in ``low_intensity_definitions`` (hazards are fire and electrical classes)."""

LOW_INTENSITY_BAND = 0.25
"""Hazards' intensity is drawn in the lowest, their distance in the highest, this share of its range."""


class DefinitionDraw(Protocol):
    """A distribution of scenario definitions: ``(rng, count, id_prefix, tags=...)`` → definitions."""

    def __call__(
        self, rng: np.random.Generator, count: int, id_prefix: str, *, tags: tuple[str, ...] = ()
    ) -> list[ScenarioDefinition]: ...


def random_definitions(
    rng: np.random.Generator,
    count: int,
    id_prefix: str,
    *,
    tags: tuple[str, ...] = (),
    classes: list[type[BaseScenario[Any]]] | None = None,
) -> list[ScenarioDefinition]:
    """``count`` definitions with ids ``<id_prefix>-0000``…, class and parameters drawn uniformly."""
    catalogue = classes or scenario_classes()
    return [
        drawn_definition(_uniform_scenario(catalogue, rng), f"{id_prefix}-{index:04d}", tags) for index in range(count)
    ]


def label_balanced_definitions(
    rng: np.random.Generator, count: int, id_prefix: str, *, tags: tuple[str, ...] = ()
) -> list[ScenarioDefinition]:
    """``count`` definitions whose class labels are spread evenly: each block of as many runs as there are
    labels gives every label one run, in a random order; then a scenario class of the label and its
    parameters are drawn uniformly. Ids ``<id_prefix>-0000``…"""
    groups = [*_hazard_strata(), classes_for_label(ClassLabel.NORMAL)]
    return _stratified_definitions(rng, count, id_prefix, groups, ("label-balanced", *tags))


def contrast_definitions(
    rng: np.random.Generator, count: int, id_prefix: str, *, tags: tuple[str, ...] = ()
) -> list[ScenarioDefinition]:
    """``count`` definitions spread evenly over ``contrast_strata``: every hazard label, every confounder
    class on its own, and the plain normal classes together, so each look-alike has as many runs as each
    hazard it can be mistaken for. Ids ``<id_prefix>-0000``…"""
    return _stratified_definitions(rng, count, id_prefix, contrast_strata(), ("contrast", *tags))


def lookalike_definitions(
    rng: np.random.Generator, count: int, id_prefix: str, *, tags: tuple[str, ...] = ()
) -> list[ScenarioDefinition]:
    """``count`` definitions spread evenly over the seven labels as ``label_balanced_definitions`` does,
    but the ``normal`` label's runs go to its confounder classes only (the hazards' look-alikes), none to
    the plain normal classes. Ids ``<id_prefix>-0000``…"""
    confounders = [cls for cls in classes_for_label(ClassLabel.NORMAL) if cls.is_confounder]
    return _stratified_definitions(rng, count, id_prefix, [*_hazard_strata(), confounders], ("lookalike", *tags))


def contrast_strata() -> list[list[type[BaseScenario[Any]]]]:
    """The strata of ``contrast_definitions``: the scenario classes of each hazard label (sorted by label),
    then each confounder class alone (catalogue order), then the normal classes that are not confounders."""
    normal = classes_for_label(ClassLabel.NORMAL)
    return [
        *_hazard_strata(),
        *([cls] for cls in normal if cls.is_confounder),
        [cls for cls in normal if not cls.is_confounder],
    ]


def _hazard_strata() -> list[list[type[BaseScenario[Any]]]]:
    """The scenario classes of each hazard label, labels sorted by name (``normal`` would sort last)."""
    return [
        classes_for_label(label)
        for label in sorted(ClassLabel, key=lambda label: label.value)
        if label is not ClassLabel.NORMAL
    ]


def _stratified_definitions(
    rng: np.random.Generator,
    count: int,
    id_prefix: str,
    strata: Sequence[Sequence[type[BaseScenario[Any]]]],
    tags: tuple[str, ...],
) -> list[ScenarioDefinition]:
    """``count`` definitions spread evenly over the non-empty ``strata`` (each block of as many runs as
    there are strata gives every stratum one run, in a random order), a class of the stratum and its
    parameters drawn uniformly."""
    groups = [group for group in strata if group]
    order = np.concatenate([rng.permutation(len(groups)) for _ in range(-(-count // len(groups)))])[:count]
    return [
        drawn_definition(_uniform_scenario(groups[int(g)], rng), f"{id_prefix}-{index:04d}", tags)
        for index, g in enumerate(order)
    ]


def low_intensity_definitions(
    rng: np.random.Generator, count: int, id_prefix: str, *, tags: tuple[str, ...] = ()
) -> list[ScenarioDefinition]:
    """``count`` definitions weighted toward the hard cases: half hazards, drawn weak and far (intensity
    parameter in the lowest ``LOW_INTENSITY_BAND`` of its range, distance in the highest), 40 % confounders
    and 10 % normal scenarios (``LOW_INTENSITY_CATEGORY_WEIGHTS``); other parameters uniform."""
    kinds: dict[str, list[type[BaseScenario[Any]]]] = {kind: [] for kind in LOW_INTENSITY_CATEGORY_WEIGHTS}
    for cls in scenario_classes():
        if cls.category in (ScenarioCategory.FIRE, ScenarioCategory.ELECTRICAL):
            kinds["hazard"].append(cls)
        elif cls.is_confounder:
            kinds["confounder"].append(cls)
        else:
            kinds["normal"].append(cls)
    names = list(LOW_INTENSITY_CATEGORY_WEIGHTS)
    weights = np.array([LOW_INTENSITY_CATEGORY_WEIGHTS[name] for name in names])
    definitions = []
    for index in range(count):
        group = kinds[names[int(rng.choice(len(names), p=weights / weights.sum()))]]
        cls = group[int(rng.integers(len(group)))]
        fixed: dict[str, float] = {}
        if cls.category in (ScenarioCategory.FIRE, ScenarioCategory.ELECTRICAL):
            ranges = param_ranges(cls.params_model)
            for path, band in (
                (getattr(cls, "intensity_parameter", None), (0.0, LOW_INTENSITY_BAND)),
                (getattr(cls, "distance_parameter", None), (1.0 - LOW_INTENSITY_BAND, 1.0)),
            ):
                if path is None:
                    continue
                lower, upper = ranges[path].lower, ranges[path].upper
                assert lower is not None and upper is not None
                value = lower + (upper - lower) * float(rng.uniform(*band))
                fixed[path] = round(value) if ranges[path].is_integer else value
        scenario = cls(sample_params(cls.params_model, rng, fixed=fixed))
        definitions.append(drawn_definition(scenario, f"{id_prefix}-{index:04d}", ("low-intensity", *tags)))
    return definitions


DISTRIBUTIONS: dict[str, DefinitionDraw] = {"uniform": random_definitions, "low-intensity": low_intensity_definitions}
"""The documented scenario distributions, by name."""


def _uniform_scenario(classes: Sequence[type[BaseScenario[Any]]], rng: np.random.Generator) -> BaseScenario[Any]:
    """One of ``classes`` uniformly, with its parameters drawn uniformly inside their declared ranges."""
    cls = classes[int(rng.integers(len(classes)))]
    return cls(sample_params(cls.params_model, rng))


def drawn_definition(scenario: BaseScenario[Any], definition_id: str, tags: Sequence[str]) -> ScenarioDefinition:
    """The definition of a scenario drawn at random: ``definition_id`` names it and its instance; its tags are
    its label, category and class name, ``random`` and ``tags``."""
    cls = type(scenario)
    return scenario.to_definition(
        scenario_definition_id=definition_id,
        scenario_instance_id=definition_id,
        tags=[cls.class_label.value, cls.category.value, cls.registry_name(), "random", *tags],
        author="envirosense-learning",
    )


def runs_for(samples: int, samples_per_run: int) -> int:
    """Scenario runs needed for ``samples`` samples (at least one)."""
    return max(1, -(-samples // samples_per_run))


def save_definitions(repository: ScenarioRepositoryInterface, definitions: Sequence[ScenarioDefinition]) -> None:
    """Store ``definitions``; ones stored already (by an earlier attempt of the same step) are kept."""
    for definition in definitions:
        with suppress(ConflictError):
            repository.save_scenario_definition(definition)
