"""Where scenarios come from when no weak spot asks for them: uniform draws over classes and parameters.

The initial training set, the held-out evaluation set, each cycle's probe set, exploration and the
``random`` baseline all use ``random_definitions``: a scenario class drawn uniformly from the catalogue,
then every parameter uniformly inside its declared range. That is the "broad distribution" the
benchmarks document; seeds keep the sets apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import numpy as np

from envirosense.repository.errors import ConflictError
from envirosense.repository.interface import ScenarioRepositoryInterface
from envirosense.schemas import ScenarioDefinition
from envirosense.simulation import scenario_classes
from envirosense.simulation.parameters import sample_params
from envirosense.simulation.scenario import BaseScenario


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
    definitions = []
    for index in range(count):
        cls = catalogue[int(rng.integers(len(catalogue)))]
        scenario = cls(sample_params(cls.params_model, rng))
        definition_id = f"{id_prefix}-{index:04d}"
        definitions.append(
            scenario.to_definition(
                scenario_definition_id=definition_id,
                scenario_instance_id=definition_id,
                tags=[cls.class_label.value, cls.category.value, cls.registry_name(), "random", *tags],
                author="envirosense-learning",
            )
        )
    return definitions


def runs_for(samples: int, samples_per_run: int) -> int:
    """Scenario runs needed for ``samples`` samples (at least one)."""
    return max(1, -(-samples // samples_per_run))


def save_definitions(repository: ScenarioRepositoryInterface, definitions: Sequence[ScenarioDefinition]) -> None:
    """Store ``definitions``; ones stored already (by an earlier attempt of the same step) are kept."""
    for definition in definitions:
        with suppress(ConflictError):
            repository.save_scenario_definition(definition)
