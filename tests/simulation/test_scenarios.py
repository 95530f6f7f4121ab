"""Every scenario class of the catalogue: declared ranges, valid defaults, sensor drivers that name real
features, a lossless definition round trip, reproducibility by seed, and label timing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from envirosense.schemas import SENSORS_BY_ID, ClassLabel, ScenarioCategory, ScenarioDefinition
from envirosense.simulation import BaseScenario, SimulationResult, scenario_classes, scenario_from_definition
from envirosense.simulation.parameters import flatten_params, param_ranges, sample_params
from envirosense.simulation.scenarios.common import CatalogueScenario, HazardScenario

CLASSES = scenario_classes()
HAZARDS = [cls for cls in CLASSES if cls.class_label is not ClassLabel.NORMAL]
ids = [cls.registry_name() for cls in CLASSES]


def _simulate(scenario: BaseScenario[Any], seed: int, steps: int = 16) -> SimulationResult:
    times = scenario.sample_times(scenario.params.duration_seconds / steps, steps)
    return scenario.simulate(times, np.random.default_rng(seed))


def _same_readings(a: SimulationResult, b: SimulationResult) -> bool:
    return all(
        np.array_equal(np.asarray(a.readings[sensor][name]), np.asarray(b.readings[sensor][name]), equal_nan=True)
        for sensor in a.readings
        for name in a.readings[sensor]
    )


def test_the_catalogue_covers_the_design() -> None:
    by_label: dict[ClassLabel, list[str]] = {}
    for cls in CLASSES:
        by_label.setdefault(cls.class_label, []).append(cls.__name__)
    assert set(by_label) == set(ClassLabel)
    fire = {cls.__name__ for cls in CLASSES if cls.category is ScenarioCategory.FIRE}
    electrical = {cls.__name__ for cls in CLASSES if cls.category is ScenarioCategory.ELECTRICAL}
    assert fire == {
        "CellulosePyrolysisScenario",
        "LigninDecompositionScenario",
        "EarlyCombustionScenario",
        "FirePrecursorCombinationScenario",
    }
    assert electrical == {
        "CoronaDischargeScenario",
        "ArcingEventScenario",
        "InsulationBreakdownScenario",
        "EquipmentOverheatScenario",
    }
    normal = {cls.__name__ for cls in CLASSES if cls.category is ScenarioCategory.NORMAL}
    assert {"BaselineOperationScenario", "DiurnalCycleScenario", "WeatherEventScenario"} <= normal
    confounders = [cls for cls in CLASSES if cls.is_confounder]
    assert len(confounders) >= 4
    for cls in confounders:
        assert cls.category is ScenarioCategory.CONFOUNDER and cls.class_label is ClassLabel.NORMAL
    for cls in CLASSES:
        assert issubclass(cls, CatalogueScenario)
        assert issubclass(cls, HazardScenario) == (cls.class_label is not ClassLabel.NORMAL)


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_every_parameter_has_a_finite_range_and_the_defaults_are_inside(cls: type[BaseScenario[Any]]) -> None:
    ranges = param_ranges(cls.params_model)
    defaults = flatten_params(cls().params.model_dump())
    assert set(ranges) == set(defaults)
    for path, declared in ranges.items():
        if declared.choices is not None:
            assert defaults[path] in [getattr(choice, "value", choice) for choice in declared.choices], path
        else:
            assert declared.lower is not None and declared.upper is not None
            assert np.isfinite([declared.lower, declared.upper]).all() and declared.lower < declared.upper, path
            assert declared.lower <= defaults[path] <= declared.upper, path


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_sensor_drivers_name_real_parameters_and_features(cls: type[BaseScenario[Any]]) -> None:
    ranges = param_ranges(cls.params_model)
    assert cls.sensor_drivers, "every class says which features its parameters drive"
    for path, features in cls.sensor_drivers.items():
        assert path in ranges, path
        assert features
        for feature in features:
            prefix, sensor_id, name = feature.split(".")
            assert prefix == "sensor_readings_map"
            assert name in SENSORS_BY_ID[sensor_id].reading_model.model_fields, feature
    intensity = getattr(cls, "intensity_parameter", None)
    distance = getattr(cls, "distance_parameter", None)
    for named in (intensity, distance):
        assert named is None or named in ranges


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_definition_round_trip_gives_identical_readings(cls: type[BaseScenario[Any]]) -> None:
    scenario = cls(sample_params(cls.params_model, np.random.default_rng(11)))
    definition = ScenarioDefinition.model_validate_json(scenario.to_definition().model_dump_json())
    rebuilt = scenario_from_definition(definition)
    assert type(rebuilt) is cls
    assert rebuilt.params == scenario.params
    assert _same_readings(_simulate(scenario, 3), _simulate(rebuilt, 3))


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_reproducible_by_seed_and_only_by_seed(cls: type[BaseScenario[Any]]) -> None:
    scenario = cls(sample_params(cls.params_model, np.random.default_rng(12)))
    np.random.seed(1)
    first = _simulate(scenario, 5)
    np.random.seed(2)
    again = _simulate(scenario, 5)
    assert _same_readings(first, again)
    assert not _same_readings(first, _simulate(scenario, 6))


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
@pytest.mark.parametrize("seed", [21, 22, 23])
def test_random_parameters_give_valid_readings(cls: type[BaseScenario[Any]], seed: int) -> None:
    """Readings stay inside the sensors' declared ranges (``SimulationResult`` checks) and truth is finite."""
    rng = np.random.default_rng(seed)
    scenario = cls(sample_params(cls.params_model, rng))
    result = _simulate(scenario, seed, steps=12)
    truth = result.truth
    arrays = [*truth.gases_ppb.values(), *truth.particles_ug_m3.values(), truth.particle_median_diameter_um]
    arrays += [truth.thermal.hotspot_surface_c, truth.thermal.hotspot_area_px, truth.acoustic.band_ultrasonic_db]
    arrays += [truth.emf.hf_noise_db, truth.emf.magnetic_field_ut]
    for values in arrays:
        assert np.all(np.isfinite(values))
    assert all(np.all(v >= 0) for v in truth.gases_ppb.values())
    assert all(np.all(v >= 0) for v in truth.particles_ug_m3.values())
    assert np.all((truth.acoustic.impulsiveness >= 0) & (truth.acoustic.impulsiveness <= 1))


@pytest.mark.parametrize("cls", HAZARDS, ids=[cls.registry_name() for cls in HAZARDS])
def test_no_hazard_label_before_onset_and_the_label_changes_at_onset(cls: type[BaseScenario[Any]]) -> None:
    defaults = cls().params.model_dump()
    defaults["duration_seconds"] = 3600.0
    defaults["timing"]["onset_fraction"] = 0.5
    scenario = cls(defaults)
    times = scenario.sample_times(60.0)
    labels = _simulate_labels(scenario, times)
    before = times < 1800.0
    assert labels.hazard_onset_seconds == 1800.0
    assert set(labels.class_label[before]) == {ClassLabel.NORMAL.value}
    assert set(labels.class_label[~before]) == {cls.class_label.value}
    assert not labels.is_anomaly[before].any() and labels.is_anomaly[~before].all()
    assert np.all(labels.severity[before] == 0.0)
    assert np.all((labels.severity >= 0) & (labels.severity <= 1))
    assert labels.severity[-1] > 0.0
    assert set(labels.event_type[~before]) == {cls.event_type}


def _simulate_labels(scenario: BaseScenario[Any], times: np.ndarray) -> Any:
    _, labels = scenario.build_field(times, np.random.default_rng(0))
    return labels


@pytest.mark.parametrize(
    "cls", [c for c in CLASSES if c not in HAZARDS], ids=[c.registry_name() for c in CLASSES if c not in HAZARDS]
)
def test_normal_and_confounder_scenarios_are_normal_throughout(cls: type[BaseScenario[Any]]) -> None:
    scenario = cls()
    labels = _simulate_labels(scenario, scenario.sample_times(scenario.params.duration_seconds / 20, 20))
    assert set(labels.class_label) == {ClassLabel.NORMAL.value}
    assert not labels.is_anomaly.any()
    assert labels.is_confounder is cls.is_confounder


def test_bad_parameters_are_rejected_naming_the_field() -> None:
    cls = CLASSES[ids.index("corona_discharge")]
    with pytest.raises(ValueError, match="ultrasound_level_db_at_1m"):
        cls({"ultrasound_level_db_at_1m": 500.0})
    with pytest.raises(ValueError, match="distance_m"):
        cls({"source": {"distance_m": -1.0}})
    with pytest.raises(ValueError, match="unknown_knob"):
        cls({"unknown_knob": 1.0})
