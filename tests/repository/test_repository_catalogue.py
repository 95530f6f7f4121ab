"""The built-in catalogue as definitions, seeding, and the query plans behind the lookups."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.repository import SqlScenarioRepository
from envirosense.repository.catalogue import catalogue_definitions, exploration_class, seed_catalogue
from envirosense.repository.sensors import driven_sensor_ids
from envirosense.simulation import param_ranges, scenario_classes
from envirosense.simulation.registry import scenario_from_definition


def test_catalogue_has_every_class_with_defaults_and_seeded_variations() -> None:
    definitions = list(catalogue_definitions(variations_per_class=3, seed=5))
    classes = scenario_classes()
    assert len(definitions) == 4 * len(classes)
    for cls in classes:
        default = next(d for d in definitions if d.scenario_definition_id == cls.registry_name())
        assert scenario_from_definition(default).params == cls.params_model()
        variations = [d for d in definitions if d.parent_scenario_id == cls.registry_name()]
        assert len(variations) == 3
        params = [scenario_from_definition(v).params for v in variations]
        assert len({p.model_dump_json() for p in params}) == 3
        for variation, values in zip(variations, params, strict=True):
            assert {f"class:{cls.registry_name()}", "origin:catalogue"} <= set(variation.tags)
            for path, declared in param_ranges(cls.params_model).items():
                if declared.choices is None:
                    node = values.model_dump()
                    for part in path.split("."):
                        node = node[part]
                    assert declared.lower <= node <= declared.upper
    again = [d.specific_params_json for d in catalogue_definitions(variations_per_class=3, seed=5)]
    assert again == [d.specific_params_json for d in definitions]
    other = [d.specific_params_json for d in catalogue_definitions(variations_per_class=3, seed=6)]
    assert other != again


def test_seeding_twice_adds_nothing(repository: SqlScenarioRepository) -> None:
    first = seed_catalogue(repository, variations_per_class=1, seed=0, batch_size=7)
    assert (first.created, first.skipped) == (2 * len(scenario_classes()), 0)
    second = seed_catalogue(repository, variations_per_class=2, seed=0)
    assert (second.created, second.skipped) == (len(scenario_classes()), 2 * len(scenario_classes()))
    assert repository.count_definitions() == 3 * len(scenario_classes())


def test_exploration_class_drives_the_sensor() -> None:
    for sensor_id in ("U20_SPS30", "U26_Lepton35", "U27_SPU0410HR5H"):
        assert sensor_id in driven_sensor_ids(exploration_class((sensor_id,)))
    assert exploration_class(()).registry_name() == "baseline_operation"


def test_query_plans_use_the_indexes(repository: SqlScenarioRepository) -> None:
    seed_catalogue(repository, variations_per_class=1)
    assert any(
        "uq_scenario_definitions_definition_id" in line or "autoindex" in line
        for line in repository.explain_get("arcing_event")
    )
    if repository.engine.dialect.name == "sqlite":
        assert "ix_scenario_definitions_class_label" in "\n".join(repository.explain_find(class_label="arcing"))
        assert "ix_scenario_definitions_category" in "\n".join(repository.explain_find(category="fire"))
        assert "scenario_definition_tags" in "\n".join(repository.explain_find(tags=["label:arcing"]))
        assert "scenario_definitions_fts" in "\n".join(repository.explain_find(text="arcing"))
    else:
        plan = "\n".join(repository.explain_find(text="arcing"))
        assert "search_vector @@" in plan


@pytest.mark.parametrize("kind", ["class_label", "category"])
def test_lookups_return_runnable_scenarios(repository: SqlScenarioRepository, kind: str) -> None:
    seed_catalogue(repository, variations_per_class=1)
    found = (
        repository.get_scenarios_by_class_label("arcing", num_to_get=10)
        if kind == "class_label"
        else repository.get_scenarios_by_category("electrical", num_to_get=100)
    )
    assert found
    for scenario in found:
        assert scenario.definition is not None
        result = scenario.simulate(scenario.sample_times(60.0, count=3), np.random.default_rng(0))
        assert len(result) == 3
