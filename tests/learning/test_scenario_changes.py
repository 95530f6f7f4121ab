from __future__ import annotations

from pathlib import Path
from typing import Any

from envirosense.learning.history import CraftedScenario, CycleSummary, RunHistory
from envirosense.learning.scenario_changes import changes, parameter_units, parent_params, unit_of
from envirosense.repository import make_engine, open_repository
from envirosense.repository.catalogue import seed_catalogue
from envirosense.repository.migrate import upgrade_database
from envirosense.simulation.parameters import flatten_params
from envirosense.simulation.scenarios.electrical import ArcingEventScenario


def class_defaults() -> dict[str, Any]:
    return flatten_params(ArcingEventScenario.params_model().model_dump(mode="json"))


def test_units_come_from_the_parameter_descriptions() -> None:
    assert unit_of("Daily mean air temperature, °C.") == "°C"
    assert unit_of("Mean wind direction (from), degrees.") == "degrees"
    assert unit_of("Load current / rated current (ratio).") == ""
    assert unit_of(None) == ""
    assert unit_of("Chance a reading drops out (per reading).") == ""  # prose, not a unit
    assert unit_of("Surface emissivity, weathered outdoor metal: 0.6 … 0.95 oxidised.") == ""
    units = parameter_units("ArcingEventScenario")
    assert units["environment.mean_temperature_c"] == "°C" and units["duration_seconds"] == "s"
    assert parameter_units("NoSuchScenario") == {}


def test_only_changed_parameters_are_listed_with_readable_values() -> None:
    defaults = class_defaults()
    varied = dict(defaults)
    varied["environment.mean_temperature_c"] = defaults["environment.mean_temperature_c"] + 3.14159265358979
    [change] = changes("ArcingEventScenario", varied, defaults)
    assert change.path == "environment.mean_temperature_c"
    assert (
        change.text() == f"environment.mean_temperature_c: {defaults['environment.mean_temperature_c']:.3g} → 21.1 °C"
    )
    close = {"environment.mean_temperature_c": 20.0001}
    assert (
        changes("ArcingEventScenario", close, {"environment.mean_temperature_c": 20.0})[0]
        .text()
        .endswith("20 → 20.0001 °C")
    )
    assert changes("ArcingEventScenario", defaults, defaults) == []
    [longer] = changes("ArcingEventScenario", {"duration_seconds": 4771.3}, {"duration_seconds": 1800.0})
    assert longer.text() == "duration_seconds: 1800 → 4771 s"  # plain notation, not 1.8e+03
    [growth] = changes("ArcingEventScenario", {"timing": {"growth": "step"}}, {"timing": {"growth": "linear"}})
    assert growth.text() == "timing.growth: linear → step"  # no unit on a choice


def test_parents_come_from_the_repository_and_from_the_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scenarios.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    repository = open_repository(url)
    seed_catalogue(repository, variations_per_class=1)
    catalogue_id = f"{ArcingEventScenario.registry_name()}-v001"
    created = [
        CraftedScenario(
            scenario_definition_id="child-1",
            scenario_class_name="ArcingEventScenario",
            action="variation",
            parent_scenario_id=catalogue_id,
        ),
        CraftedScenario(
            scenario_definition_id="child-2",
            scenario_class_name="ArcingEventScenario",
            action="variation",
            parent_scenario_id="child-1",
            params={"duration_seconds": 900.0},
        ),
        CraftedScenario(
            scenario_definition_id="orphan",
            scenario_class_name="ArcingEventScenario",
            action="variation",
            parent_scenario_id="deleted-long-ago",
        ),
    ]
    cycle = CycleSummary(
        cycle_index=1,
        samples_total=10,
        macro_f1=0.5,
        accuracy=0.5,
        per_class_f1={},
        model_version="2",
        scenarios=created,
    )
    history = RunHistory(run_id="r", strategy="alm", status="completed", cycles=[cycle])
    try:
        parents = parent_params(repository, history)
    finally:
        repository.close()
    assert set(parents) == {catalogue_id, "child-1"}  # the deleted parent is left out
    assert parents["child-1"] == {}
    varied = changes("ArcingEventScenario", parents[catalogue_id], class_defaults())
    assert len(varied) > 3  # the catalogue variation's own parameters, read back from the database
