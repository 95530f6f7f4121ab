"""Saving is as strict as varying: no coercion of wrong types; a missing filter value is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from envirosense.repository import RepositoryValidationError, SqlScenarioRepository
from envirosense.simulation import scenario_class
from tests.repository.repo_helpers import baseline_definition


def _arcing(**params: Any) -> dict[str, Any]:
    document = scenario_class("arcing_event")().to_definition().model_dump(mode="json")
    specific = json.loads(document["specific_params_json"])
    specific["source"].update(params)
    return {**document, "scenario_definition_id": "arcing-typed", "specific_params_json": json.dumps(specific)}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(_arcing(distance_m=True), "specific_params_json.source.distance_m", id="bool-as-metres"),
        pytest.param(_arcing(distance_m="5"), "specific_params_json.source.distance_m", id="string-as-metres"),
        pytest.param(
            {**_arcing(), "expected_duration_seconds": "1800"}, "expected_duration_seconds", id="string-duration"
        ),
        pytest.param({**_arcing(), "version": 1.5}, "version", id="fractional-version"),
    ],
)
def test_save_refuses_what_variation_refuses(
    repository: SqlScenarioRepository, payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(RepositoryValidationError) as raised:
        repository.save_scenario_definition(payload)
    assert raised.value.field == field
    assert repository.count_definitions() == 0
    with pytest.raises(RepositoryValidationError):
        repository.save_many([payload])
    assert repository.count_definitions() == 0


def test_whole_numbers_are_valid_floats_and_models_round_trip(repository: SqlScenarioRepository) -> None:
    stored = repository.save_scenario_definition(_arcing(distance_m=5))
    assert repository.get_scenario_by_id(stored).params.source.distance_m == 5.0
    model = baseline_definition("typed-model")
    assert repository.save_scenario_definition(model) == "typed-model"


def test_missing_filters_are_refused(repository: SqlScenarioRepository) -> None:
    repository.save_scenario_definition(baseline_definition("base"))
    with pytest.raises(RepositoryValidationError) as by_category:
        repository.get_scenarios_by_category(None)  # type: ignore[arg-type]
    assert by_category.value.field == "category"
    with pytest.raises(RepositoryValidationError) as by_label:
        repository.get_scenarios_by_class_label(None)  # type: ignore[arg-type]
    assert by_label.value.field == "class_label"
    assert [s.scenario_id for s in repository.get_scenarios_by_category("normal")] == ["base"]
