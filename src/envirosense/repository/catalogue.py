"""The built-in catalogue as definitions: every registered class with its defaults, plus a seeded spread
of parameter variations, and the per-sensor exploration defaults.

Ids are stable (``<class>`` for the defaults, ``<class>-vNNN`` for variations), so seeding again only
adds what is missing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from envirosense.repository.sensors import driven_fields
from envirosense.repository.variation import lineage_tags
from envirosense.schemas import ScenarioDefinition
from envirosense.simulation.parameters import ParamModel, sample_params
from envirosense.simulation.registry import scenario_classes
from envirosense.simulation.scenario import BaseScenario

if TYPE_CHECKING:
    from envirosense.repository.sql import SqlScenarioRepository

CATALOGUE_AUTHOR = "envirosense.catalogue"
EXPLORATION_AUTHOR = "envirosense.exploration"
DEFAULT_EXPLORATION_CLASS = "baseline_operation"


def class_definition(
    cls: type[BaseScenario[Any]],
    definition_id: str,
    params: ParamModel | None = None,
    *,
    origin: str,
    author: str,
    name: str | None = None,
    description: str | None = None,
    parent_scenario_id: str | None = None,
    sensor_ids: tuple[str, ...] = (),
) -> ScenarioDefinition:
    """A definition of ``cls`` with ``params`` (defaults when ``None``), tagged with its lineage
    (``sensor:`` tags for ``sensor_ids``, or for the sensors the class drives when empty)."""
    scenario = cls(params)
    base = scenario.to_definition()
    return scenario.to_definition(
        scenario_definition_id=definition_id,
        scenario_instance_id=definition_id,
        name=name or base.name,
        description=description if description is not None else base.description,
        tags=lineage_tags(cls, origin, sensor_ids, base.tags),
        author=author,
        parent_scenario_id=parent_scenario_id,
        difficulty_level=cls.difficulty,
    )


def catalogue_definitions(variations_per_class: int = 4, seed: int = 0) -> Iterator[ScenarioDefinition]:
    """Every class's default definition followed by ``variations_per_class`` seeded variations of it.

    Each class draws from its own generator (seeded by ``seed`` and the class name), so adding a class
    to the catalogue does not change the others' variations.
    """
    if variations_per_class < 0:
        raise ValueError("variations_per_class must be >= 0")
    for cls in scenario_classes():
        stem = cls.registry_name()
        summary = (cls.__doc__ or stem).strip().splitlines()[0]
        yield class_definition(cls, stem, origin="catalogue", author=CATALOGUE_AUTHOR, description=summary)
        rng = np.random.default_rng([seed, zlib.crc32(stem.encode())])
        for index in range(1, variations_per_class + 1):
            yield class_definition(
                cls,
                f"{stem}-v{index:03d}",
                sample_params(cls.params_model, rng),
                origin="catalogue",
                author=CATALOGUE_AUTHOR,
                name=f"{stem.replace('_', ' ')} variation {index}",
                description=f"{summary} Parameters drawn uniformly inside their declared ranges (seed {seed}).",
                parent_scenario_id=stem,
            )


@dataclass(frozen=True)
class SeedReport:
    created: int
    skipped: int


def seed_catalogue(
    repository: SqlScenarioRepository,
    variations_per_class: int = 4,
    seed: int = 0,
    *,
    batch_size: int = 200,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Save the catalogue into ``repository``, skipping ids it already holds; ``progress(n)`` per batch."""
    created = skipped = 0
    batch: list[ScenarioDefinition] = []

    def flush() -> None:
        nonlocal created, skipped
        saved = repository.save_many(batch, skip_existing=True)
        created += saved
        skipped += len(batch) - saved
        if progress is not None:
            progress(len(batch))
        batch.clear()

    for definition in catalogue_definitions(variations_per_class, seed):
        batch.append(definition)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return SeedReport(created=created, skipped=skipped)


def exploration_class(sensor_ids: tuple[str, ...]) -> type[BaseScenario[Any]]:
    """The class that drives ``sensor_ids`` the most (registration order breaks ties); the baseline
    scenario when none does or no sensor is given."""
    classes = scenario_classes()

    def weight(cls: type[BaseScenario[Any]]) -> int:
        return sum(field.sensor_id in sensor_ids for fields in driven_fields(cls).values() for field in fields)

    if sensor_ids:
        best = max(classes, key=weight)
        if weight(best) > 0:
            return best
    return next((cls for cls in classes if cls.registry_name() == DEFAULT_EXPLORATION_CLASS), classes[0])


def exploration_definition(definition_id: str, sensor_ids: tuple[str, ...]) -> ScenarioDefinition:
    """The exploration default for ``sensor_ids``: the class that drives them most, with its defaults."""
    cls = exploration_class(sensor_ids)
    sensors = ", ".join(sensor_ids) if sensor_ids else "the whole device"
    return class_definition(
        cls,
        definition_id,
        origin="exploration",
        author=EXPLORATION_AUTHOR,
        name=f"exploration default for {sensors}"[:200],
        description=f"Default exploration scenario for {sensors}: {cls.__name__} with its default parameters.",
        sensor_ids=sensor_ids,
    )
