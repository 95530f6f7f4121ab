"""The contract every ScenarioRepositoryInterface implementation keeps, run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from envirosense.repository import (
    ConflictError,
    RepositoryValidationError,
    ScenarioNotFoundError,
    ScenarioRepositoryInterface,
    SqlScenarioRepository,
)
from envirosense.repository.sensors import driven_sensor_ids
from envirosense.schemas import SENSOR_IDS, ScenarioDefinition
from envirosense.simulation import BaseScenario
from envirosense.simulation.registry import scenario_class
from tests.repository.repo_helpers import baseline_definition

INTERFACE_METHODS = {
    "get_scenario_by_id": ["self", "scenario_id"],
    "get_scenarios_by_category": ["self", "category", "sensor_type", "num_to_get"],
    "get_scenarios_by_class_label": ["self", "class_label", "sensor_type", "num_to_get"],
    "create_scenario_variation": ["self", "base_scenario", "new_id_suffix", "param_modifications", "sensor_context"],
    "craft_scenario_from_features": ["self", "features_summary", "base_id", "target_class", "sensor_type", "crafter"],
    "get_default_exploration_scenario": ["self", "scenario_id", "sensor_type"],
    "save_scenario_definition": ["self", "scenario_def"],
    "update_scenario_definition": ["self", "scenario_def_id", "updates"],
}


def test_interface_has_exactly_the_designed_methods() -> None:
    import inspect

    abstract = ScenarioRepositoryInterface.__abstractmethods__
    assert abstract == set(INTERFACE_METHODS)
    for name, parameters in INTERFACE_METHODS.items():
        assert list(inspect.signature(getattr(ScenarioRepositoryInterface, name)).parameters) == parameters
    # The crafter is the one addition to the designed signatures: optional and keyword-only.
    crafter = inspect.signature(ScenarioRepositoryInterface.craft_scenario_from_features).parameters["crafter"]
    assert crafter.kind is inspect.Parameter.KEYWORD_ONLY and crafter.default is None


def test_save_then_get_returns_a_runnable_scenario(repository: SqlScenarioRepository) -> None:
    definition = baseline_definition("baseline-a", description="quiet afternoon", tags=["normal", "demo"])
    assert repository.save_scenario_definition(definition) == "baseline-a"
    scenario = repository.get_scenario_by_id("baseline-a")
    assert isinstance(scenario, BaseScenario)
    assert scenario.scenario_id == "baseline-a"
    assert scenario.definition is not None
    stored = scenario.definition
    assert stored.model_dump(exclude={"creation_timestamp_utc"}) == definition.model_dump(
        exclude={"creation_timestamp_utc"}
    )
    assert abs((stored.creation_timestamp_utc - definition.creation_timestamp_utc).total_seconds()) < 1e-3
    assert stored.creation_timestamp_utc.utcoffset() is not None
    assert scenario.params == scenario_class("baseline_operation").params_model()


def test_partial_params_are_stored_complete(repository: SqlScenarioRepository) -> None:
    definition = baseline_definition("partial", specific_params_json='{"environment": {"wind_speed_m_s": 7.5}}')
    repository.save_scenario_definition(definition)
    stored = repository.get_definition("partial").specific_params()
    assert stored["environment"]["wind_speed_m_s"] == 7.5  # type: ignore[index]
    assert stored["duration_seconds"] == 1800.0
    assert repository.get_scenario_by_id("partial").params.environment.wind_speed_m_s == 7.5


def test_save_accepts_a_plain_dict(repository: SqlScenarioRepository) -> None:
    as_dict = baseline_definition("from-dict").model_dump(mode="json")
    assert repository.save_scenario_definition(as_dict) == "from-dict"
    assert repository.get_definition("from-dict").name == as_dict["name"]


def test_duplicate_id_is_a_conflict_and_changes_nothing(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("dup", description="first"))
    with pytest.raises(ConflictError):
        repository.save_scenario_definition(baseline_definition("dup", description="second"))
    assert repository.get_definition("dup").description == "first"
    assert [d.version for d in repository.history("dup")] == [1]


def test_unknown_id_is_not_found(repository: SqlScenarioRepository) -> None:
    with pytest.raises(ScenarioNotFoundError):
        repository.get_scenario_by_id("nope")
    with pytest.raises(ScenarioNotFoundError):
        repository.update_scenario_definition("nope", {"description": "x"})
    with pytest.raises(ScenarioNotFoundError):
        repository.history("nope")
    with pytest.raises(ScenarioNotFoundError):
        repository.get_definition("nope", version=1)


def test_update_writes_a_new_version_and_keeps_history(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("versioned", description="v1"))
    assert repository.update_scenario_definition("versioned", {"description": "v2", "tags": ["edited"]})
    assert repository.update_scenario_definition(
        "versioned", {"specific_params_json": {"environment": {"wind_speed_m_s": 11.0}}, "version": 2}
    )
    latest = repository.get_definition("versioned")
    assert latest.version == 3
    assert latest.description == "v2"
    assert latest.tags == ["edited"]
    assert repository.get_scenario_by_id("versioned").params.environment.wind_speed_m_s == 11.0
    history = repository.history("versioned")
    assert [d.version for d in history] == [1, 2, 3]
    assert [d.description for d in history] == ["v1", "v2", "v2"]
    assert repository.get_definition("versioned", version=1).description == "v1"
    assert history[0].creation_timestamp_utc <= history[2].creation_timestamp_utc


def test_update_that_changes_nothing_returns_false(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("same", description="d"))
    assert repository.update_scenario_definition("same", {"description": "d"}) is False
    assert repository.get_definition("same").version == 1
    assert len(repository.history("same")) == 1


def test_stale_version_is_a_conflict_and_writes_nothing(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("occ", description="base"))
    assert repository.update_scenario_definition("occ", {"description": "mine", "version": 1})
    with pytest.raises(ConflictError) as raised:
        repository.update_scenario_definition("occ", {"description": "theirs", "version": 1})
    assert raised.value.expected_version == 1
    assert raised.value.actual_version == 2
    assert repository.get_definition("occ").description == "mine"
    assert len(repository.history("occ")) == 2


@pytest.mark.parametrize(
    ("updates", "field"),
    [
        ({"no_such_field": 1}, "updates.no_such_field"),
        ({"scenario_definition_id": "other"}, "updates.scenario_definition_id"),
        ({"version": "2"}, "updates.version"),
        ({"category": "volcano"}, "category"),
        (
            {"specific_params_json": {"environment": {"wind_speed_m_s": 99.0}}},
            "specific_params_json.environment.wind_speed_m_s",
        ),
        ({"scenario_class_name": "NoSuchScenario"}, "scenario_class_name"),
        ({"description": "x" * 5000}, "description"),
        ({"name": "bad\x00name"}, "name"),
    ],
)
def test_invalid_update_names_the_field_and_writes_nothing(
    repository: SqlScenarioRepository, updates: dict[str, Any], field: str
) -> None:
    repository.save_scenario_definition(baseline_definition("guarded"))
    with pytest.raises(RepositoryValidationError) as raised:
        repository.update_scenario_definition("guarded", updates)
    assert raised.value.field == field
    assert repository.get_definition("guarded").version == 1
    assert len(repository.history("guarded")) == 1


def _bad(field: str, value: Any) -> dict[str, Any]:
    data = baseline_definition("bad").model_dump(mode="json")
    data[field] = value
    return data


BAD_DEFINITIONS = [
    pytest.param(_bad("scenario_class_name", "NoSuchScenario"), "scenario_class_name", id="unknown-class"),
    pytest.param(_bad("scenario_class_module", "os.path"), "scenario_class_module", id="wrong-module"),
    pytest.param(_bad("expected_duration_seconds", "long"), "expected_duration_seconds", id="wrong-type"),
    pytest.param(_bad("category", "volcano"), "category", id="unknown-category"),
    pytest.param(_bad("scenario_definition_id", "a b; DROP TABLE x"), "scenario_definition_id", id="bad-id"),
    pytest.param(_bad("specific_params_json", "{not json"), "specific_params_json", id="params-not-json"),
    pytest.param(_bad("specific_params_json", "[1, 2]"), "specific_params_json", id="params-not-object"),
    pytest.param(
        _bad("specific_params_json", '{"environment": {"wind_speed_m_s": 99}}'),
        "specific_params_json.environment.wind_speed_m_s",
        id="param-out-of-range",
    ),
    pytest.param(
        _bad("specific_params_json", '{"warp_drive": 1}'), "specific_params_json.warp_drive", id="unknown-param"
    ),
    pytest.param(
        _bad("specific_params_json", '{"environment": {"wind_speed_m_s": "fast"}}'),
        "specific_params_json.environment.wind_speed_m_s",
        id="param-wrong-type",
    ),
    pytest.param(
        _bad("specific_params_json", json.dumps({"pad": "x" * 70_000})), "specific_params_json", id="oversized-params"
    ),
    pytest.param(_bad("description", "y" * 10_000), "description", id="oversized-description"),
    pytest.param(_bad("tags", [f"t{i}" for i in range(65)]), "tags", id="too-many-tags"),
    pytest.param(_bad("tags", ["z" * 101]), "tags", id="oversized-tag"),
    pytest.param(
        _bad("related_scenario_ids", [f"r{i}" for i in range(1001)]), "related_scenario_ids", id="too-many-links"
    ),
    pytest.param(_bad("name", "nul\x00byte"), "name", id="nul-in-text"),
    pytest.param(_bad("description", "lone \ud800 surrogate"), "description", id="lone-surrogate"),
    pytest.param(
        _bad("specific_params_json", '{"environment": {"wind_speed_m_s": 3, "x\\u0000": 1}}'),
        "specific_params_json.environment.x\x00",
        id="nul-in-params",
    ),
    pytest.param({**_bad("name", "ok"), "extra_field": 1}, "extra_field", id="unknown-field"),
    pytest.param({k: v for k, v in _bad("name", "ok").items() if k != "category"}, "category", id="missing-field"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_DEFINITIONS)
def test_bad_definitions_are_rejected_naming_the_field(
    repository: SqlScenarioRepository, payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(RepositoryValidationError) as raised:
        repository.save_scenario_definition(payload)
    assert raised.value.field == field
    assert repository.count_definitions() == 0


INJECTIONS = [
    "'; DROP TABLE scenario_definitions; --",
    'Robert"); DELETE FROM scenario_definition_history; --',
    "1' OR '1'='1",
    "$$; SELECT pg_sleep(10); $$",
    "\\x00 %s %(name)s {name} ? :param",
    "<script>alert(1)</script> ünïcødé 火災 🔥",
]


def test_injection_strings_are_stored_literally(repository: SqlScenarioRepository) -> None:
    for index, text in enumerate(INJECTIONS):
        definition = baseline_definition(
            f"inj-{index}", name=text[:200], description=text, author=text[:200], tags=[text[:100], "inj"]
        )
        repository.save_scenario_definition(definition)
        stored = repository.get_definition(f"inj-{index}")
        assert (stored.name, stored.description, stored.author) == (text[:200], text, text[:200])
        assert stored.tags == [text[:100], "inj"]
        assert [d.scenario_definition_id for d in repository.find_definitions(tags=[text[:100]])] == [f"inj-{index}"]
        repository.search_text(text)
        assert repository.update_scenario_definition(f"inj-{index}", {"description": text + text})
    assert repository.count_definitions() == len(INJECTIONS)
    assert repository.count_definitions(tags=["inj"]) == len(INJECTIONS)


def _undriven_sensor() -> str:
    """A sensor the baseline class's parameters do not drive."""
    driven = driven_sensor_ids(scenario_class("baseline_operation"))
    return next(sensor_id for sensor_id in SENSOR_IDS if sensor_id not in driven)


def _seed_mixed(repository: SqlScenarioRepository) -> None:
    for index in range(4):
        repository.save_scenario_definition(baseline_definition(f"normal-{index}", tags=["normal", f"n{index}"]))
    repository.save_scenario_definition(
        baseline_definition("confounder-0", category="confounder", tags=[f"sensor:{_undriven_sensor()}"])
    )


def test_get_by_category_filters_orders_and_limits(repository: SqlScenarioRepository) -> None:
    _seed_mixed(repository)
    found = repository.get_scenarios_by_category("normal", num_to_get=3)
    assert [s.scenario_id for s in found] == ["normal-0", "normal-1", "normal-2"]
    assert all(isinstance(s, BaseScenario) for s in found)
    assert [s.scenario_id for s in repository.get_scenarios_by_category("confounder")] == ["confounder-0"]
    assert repository.get_scenarios_by_category("fire") == []


def test_get_by_class_label_filters_and_limits(repository: SqlScenarioRepository) -> None:
    _seed_mixed(repository)
    found = repository.get_scenarios_by_class_label("normal", num_to_get=10)
    assert [s.scenario_id for s in found] == ["normal-0", "normal-1", "normal-2", "normal-3", "confounder-0"]
    assert repository.get_scenarios_by_class_label("arcing") == []


def test_sensor_type_keeps_scenarios_tagged_for_or_driving_that_sensor(repository: SqlScenarioRepository) -> None:
    _seed_mixed(repository)
    undriven = _undriven_sensor()
    for sensor_type in (undriven, undriven.lower()):
        found = repository.get_scenarios_by_class_label("normal", sensor_type=sensor_type)
        assert [s.scenario_id for s in found] == ["confounder-0"]
    driven = driven_sensor_ids(scenario_class("baseline_operation"))
    if driven:
        found = repository.get_scenarios_by_category("normal", sensor_type=driven[0], num_to_get=10)
        assert [s.scenario_id for s in found] == ["normal-0", "normal-1", "normal-2", "normal-3"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda r: r.get_scenarios_by_category("volcano"), "category"),
        (lambda r: r.get_scenarios_by_class_label("meteor"), "class_label"),
        (lambda r: r.get_scenarios_by_category("normal", num_to_get=0), "num_to_get"),
        (lambda r: r.get_scenarios_by_category("normal", num_to_get=10_000), "num_to_get"),
        (lambda r: r.get_scenarios_by_category("normal", sensor_type="U99_NOPE"), "sensor_type"),
        (lambda r: r.get_scenario_by_id("bad id with spaces"), "scenario_id"),
    ],
)
def test_bad_query_arguments_name_the_field(repository: SqlScenarioRepository, call: Any, field: str) -> None:
    with pytest.raises(RepositoryValidationError) as raised:
        call(repository)
    assert raised.value.field == field


def test_text_search_matches_every_word_with_stemming(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(
        baseline_definition("t-1", name="windy ridge", description="Strong gusts shake the pole")
    )
    repository.save_scenario_definition(
        baseline_definition("t-2", name="calm valley", description="A gust now and then")
    )
    repository.save_scenario_definition(
        baseline_definition("t-3", name="substation", description="Transformers humming")
    )
    assert {d.scenario_definition_id for d in repository.search_text("gust")} == {"t-1", "t-2"}
    assert [d.scenario_definition_id for d in repository.search_text("gusts ridge")] == ["t-1"]
    assert [d.scenario_definition_id for d in repository.search_text("TRANSFORMER")] == ["t-3"]
    assert repository.search_text("volcano") == []
    assert repository.search_text("!!!") == []
    assert len(repository.search_text("gust", limit=1)) == 1


def test_tag_and_param_queries(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("p-1", tags=["a", "b"]))
    repository.save_scenario_definition(
        baseline_definition("p-2", tags=["b", "c"], specific_params_json='{"environment": {"wind_speed_m_s": 9.5}}')
    )
    assert [d.scenario_definition_id for d in repository.find_definitions(tags=["b"])] == ["p-1", "p-2"]
    assert [d.scenario_definition_id for d in repository.find_definitions(tags=["a", "b"])] == ["p-1"]
    assert [d.scenario_definition_id for d in repository.find_definitions(tags=["a", "c"], match_all_tags=False)] == [
        "p-1",
        "p-2",
    ]
    found = repository.find_definitions(params={"environment.wind_speed_m_s": 9.5})
    assert [d.scenario_definition_id for d in found] == ["p-2"]
    assert repository.find_definitions(params={"environment.wind_speed_m_s": 9.5, "duration_seconds": 60.0}) == []
    assert repository.count_definitions(tags=["b"]) == 2
    with pytest.raises(RepositoryValidationError) as raised:
        repository.find_definitions(params={"environment.x') OR 1=1 --": 1})
    assert raised.value.field.startswith("params.")


def test_save_many_is_all_or_nothing(repository: SqlScenarioRepository) -> None:
    batch: list[ScenarioDefinition | dict[str, Any]] = [baseline_definition(f"m-{i}") for i in range(3)]
    assert repository.save_many(batch) == 3
    with pytest.raises(ConflictError):
        repository.save_many([baseline_definition("m-new"), baseline_definition("m-1")])
    assert repository.find_definition("m-new") is None
    assert repository.save_many([baseline_definition("m-new"), baseline_definition("m-1")], skip_existing=True) == 1
    with pytest.raises(RepositoryValidationError) as raised:
        repository.save_many([baseline_definition("m-x"), {**baseline_definition("m-y").model_dump(), "category": "?"}])
    assert raised.value.field == "definitions.1.category"
    assert repository.find_definition("m-x") is None


def test_variation_merges_validates_and_links(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("base", tags=["normal", "origin:catalogue"]))
    variation = repository.create_scenario_variation(
        "base",
        "windy",
        {"environment.wind_speed_m_s": 12.0, "device": {"grid_load_fraction": 1.1}},
        sensor_context={"sensor_id": "U24_FT205", "weak_spot_ids": ["ws-1"], "cycle_id": "c-3"},
    )
    assert isinstance(variation, BaseScenario)
    assert variation.scenario_id == "base-windy"
    assert variation.params.environment.wind_speed_m_s == 12.0
    assert variation.params.device.grid_load_fraction == 1.1
    assert variation.params.environment.mean_temperature_c == 18.0
    stored = repository.get_definition("base-windy")
    assert stored.parent_scenario_id == "base"
    assert stored.originating_weak_spot_ids == ["ws-1"]
    assert {"class:baseline_operation", "label:normal", "origin:variation", "sensor:U24_FT205"} <= set(stored.tags)
    assert "origin:catalogue" not in stored.tags
    lineage = repository.get_lineage("base-windy")
    assert lineage is not None
    assert lineage["sensor_context"]["cycle_id"] == "c-3"
    assert lineage["param_modifications"] == {"environment.wind_speed_m_s": 12.0, "device.grid_load_fraction": 1.1}
    assert repository.get_scenario_by_id("base-windy").params == variation.params


def test_repeating_a_variation_returns_the_stored_one(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("base"))
    first = repository.create_scenario_variation("base", "v1", {"environment.wind_speed_m_s": 5.0})
    again = repository.create_scenario_variation("base", "v1", {"environment.wind_speed_m_s": 5.0})
    assert again.params == first.params
    assert repository.count_definitions() == 2
    with pytest.raises(ConflictError):
        repository.create_scenario_variation("base", "v1", {"environment.wind_speed_m_s": 6.0})


def test_variation_of_an_unsaved_scenario_saves_its_parent(repository: SqlScenarioRepository) -> None:
    base = scenario_class("baseline_operation")()
    variation = repository.create_scenario_variation(base, "hot", {"environment.mean_temperature_c": 35.0})
    assert repository.get_definition(base.scenario_id).scenario_definition_id == base.scenario_id
    assert repository.get_definition(variation.scenario_id).parent_scenario_id == base.scenario_id


@pytest.mark.parametrize(
    ("modifications", "field"),
    [
        ({"environment.wind_speed_m_s": 99.0}, "param_modifications.environment.wind_speed_m_s"),
        ({"environment.wind_speed_m_s": -1}, "param_modifications.environment.wind_speed_m_s"),
        ({"environment.wind_speed_m_s": "fast"}, "param_modifications.environment.wind_speed_m_s"),
        ({"environment.wind_speed_m_s": True}, "param_modifications.environment.wind_speed_m_s"),
        ({"environment.warp": 1.0}, "param_modifications.environment.warp"),
        ({"nonsense": {"deep": 1}}, "param_modifications.nonsense.deep"),
        ({}, "param_modifications"),
    ],
)
def test_bad_variation_is_rejected_and_nothing_saved(
    repository: SqlScenarioRepository, modifications: dict[str, Any], field: str
) -> None:
    repository.save_scenario_definition(baseline_definition("base"))
    with pytest.raises(RepositoryValidationError) as raised:
        repository.create_scenario_variation("base", "bad", modifications)
    assert raised.value.field == field
    assert repository.count_definitions() == 1


def test_bad_variation_arguments(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("base"))
    with pytest.raises(RepositoryValidationError) as raised:
        repository.create_scenario_variation("base", "no spaces", {"environment.wind_speed_m_s": 4.0})
    assert raised.value.field == "new_id_suffix"
    with pytest.raises(RepositoryValidationError) as raised:
        repository.create_scenario_variation(
            "base", "ok", {"environment.wind_speed_m_s": 4.0}, sensor_context={"sensor_id": "U99"}
        )
    assert raised.value.field == "sensor_context.sensor_id"
    with pytest.raises(RepositoryValidationError) as raised:
        repository.create_scenario_variation("base", "ok", {"environment.wind_speed_m_s": 4.0}, {"mood": "x"})
    assert raised.value.field == "sensor_context.mood"
    with pytest.raises(ScenarioNotFoundError):
        repository.create_scenario_variation("missing", "ok", {"environment.wind_speed_m_s": 4.0})
    assert repository.count_definitions() == 1


def test_exploration_default_is_created_once_per_sensor_type(repository: SqlScenarioRepository) -> None:
    first = repository.get_default_exploration_scenario("explore", "U20_SPS30")
    again = repository.get_default_exploration_scenario("explore", "u20_sps30")
    assert first.scenario_id == again.scenario_id == "explore-U20_SPS30"
    assert first.params == again.params
    general = repository.get_default_exploration_scenario("explore")
    acoustic = repository.get_default_exploration_scenario("explore", "acoustic")
    assert general.scenario_id == "explore"
    assert acoustic.scenario_id == "explore-acoustic"
    assert repository.count_definitions() == 3
    assert repository.get_default_exploration_scenario("explore", "U20_SPS30").scenario_id == "explore-U20_SPS30"
    assert repository.count_definitions() == 3
    stored = repository.get_definition("explore-U20_SPS30")
    assert {"origin:exploration", "sensor:U20_SPS30"} <= set(stored.tags)
    with pytest.raises(RepositoryValidationError) as raised:
        repository.get_default_exploration_scenario("explore", "U99_NOPE")
    assert raised.value.field == "sensor_type"


def test_crafting_arguments_are_validated(repository: SqlScenarioRepository) -> None:
    summary = {
        "method": "SHAP",
        "target_class_for_explanation": "normal",
        "top_n_features": [
            {"feature_path": "sensor_readings_map.U24_FT205.wind_speed_m_s", "importance_score": 0.4, "raw_value": 6.0}
        ],
    }
    with pytest.raises(RepositoryValidationError) as raised:
        repository.craft_scenario_from_features({**summary, "method": None}, "crafted")
    assert raised.value.field == "features_summary.method"
    with pytest.raises(RepositoryValidationError) as raised:
        repository.craft_scenario_from_features(summary, "crafted", target_class="meteor")
    assert raised.value.field == "target_class"
    with pytest.raises(RepositoryValidationError) as raised:
        repository.craft_scenario_from_features(summary, "bad id")
    assert raised.value.field == "base_id"
    assert repository.count_definitions() == 0
