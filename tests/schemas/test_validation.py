"""Every record validates on the way in: wrong type, missing field, out-of-range value or NaN is a
ValidationError that names the field."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from pydantic import ValidationError

from envirosense.schemas import READING_MODELS, SENSORS_BY_ID, MLDataSample, ScenarioDefinition
from envirosense.schemas.bounds import field_bounds
from envirosense.simulation import scenario_class


def _numeric_fields() -> list[tuple[str, str, Any]]:
    cases = []
    for sensor_id, spec in SENSORS_BY_ID.items():
        for name, bound in field_bounds(spec.reading_model).items():
            cases.append((sensor_id, name, bound))
    return cases


def _assert_names(error: ValidationError, *parts: str) -> None:
    locations = [".".join(str(p) for p in err["loc"]) for err in error.errors()]
    assert any(all(part in loc for part in parts) for loc in locations), (parts, locations)


def test_valid_sample_passes(valid_sample: dict[str, Any]) -> None:
    sample = MLDataSample.model_validate(valid_sample)
    assert set(type(sample.sensor_readings_map).model_fields) == set(SENSORS_BY_ID)


@pytest.mark.parametrize(("sensor_id", "field", "bound"), _numeric_fields(), ids=lambda v: str(v)[:40])
def test_bad_reading_values_are_rejected_with_the_field_named(
    valid_sample: dict[str, Any], sensor_id: str, field: str, bound: Any
) -> None:
    bad_values: list[Any] = ["not-a-number", math.nan]
    if math.isfinite(bound.upper):
        bad_values.append(bound.upper + abs(bound.upper) * 0.5 + 1)
    if math.isfinite(bound.lower):
        bad_values.append(bound.lower - abs(bound.lower) * 0.5 - 1)
    for bad in bad_values:
        record = copy.deepcopy(valid_sample)
        record["sensor_readings_map"][sensor_id][field] = bad
        with pytest.raises(ValidationError) as caught:
            MLDataSample.model_validate(record)
        _assert_names(caught.value, sensor_id, field)


def test_negative_concentration_and_rh_above_100_rejected(valid_sample: dict[str, Any]) -> None:
    record = copy.deepcopy(valid_sample)
    record["sensor_readings_map"]["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"] = -1.0
    record["sensor_readings_map"]["U22_SHT85"]["relative_humidity_pct"] = 100.5
    with pytest.raises(ValidationError) as caught:
        MLDataSample.model_validate(record)
    _assert_names(caught.value, "U20_SPS30", "mass_concentration_pm2_5_ug_m3")
    _assert_names(caught.value, "U22_SHT85", "relative_humidity_pct")


@pytest.mark.parametrize("sensor_id", list(SENSORS_BY_ID))
def test_every_sensor_is_required(valid_sample: dict[str, Any], sensor_id: str) -> None:
    record = copy.deepcopy(valid_sample)
    del record["sensor_readings_map"][sensor_id]
    with pytest.raises(ValidationError) as caught:
        MLDataSample.model_validate(record)
    _assert_names(caught.value, sensor_id)


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("sample_id",), None),
        (("scenario_timestep_seconds",), -5.0),
        (("generation_timestamp_utc",), "yesterday"),
        (("extracted_class_label",), "meteor_strike"),
        (("ground_truth_labels", "anomaly_severity_score"), 1.5),
        (("ground_truth_labels", "is_anomaly"), "perhaps"),
        (("sample_metadata", "seed"), -1),
        (("sample_metadata", "weak_spot_ids"), "not-a-list"),
        (("sensor_readings_map", "U25_AS3935", "strike_count"), 2.5),
        (("sensor_readings_map", "U26_Lepton35", "status"), "ON_FIRE"),
    ],
)
def test_bad_top_level_and_nested_fields_rejected(
    valid_sample: dict[str, Any], path: tuple[str, ...], bad: Any
) -> None:
    record = copy.deepcopy(valid_sample)
    node = record
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    with pytest.raises(ValidationError) as caught:
        MLDataSample.model_validate(record)
    _assert_names(caught.value, *path)


def test_unknown_fields_rejected(valid_sample: dict[str, Any]) -> None:
    record = copy.deepcopy(valid_sample)
    record["sensor_readings_map"]["U20_SPS30"]["pm_100"] = 3.0
    with pytest.raises(ValidationError) as caught:
        MLDataSample.model_validate(record)
    _assert_names(caught.value, "U20_SPS30", "pm_100")


def test_every_reading_model_is_used_by_the_device() -> None:
    used = {spec.reading_model for spec in SENSORS_BY_ID.values()}
    assert used == set(READING_MODELS)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("scenario_definition_id", "robert'); DROP TABLE scenarios;--"),
        ("specific_params_json", "{not json"),
        ("specific_params_json", "[1, 2]"),
        ("specific_params_json", '{"x": "' + "a" * 70_000 + '"}'),
        ("difficulty_level", "IMPOSSIBLE"),
        ("expected_duration_seconds", -1),
        ("version", 0),
        ("tags", [""]),
    ],
)
def test_bad_scenario_definitions_rejected(field: str, bad: Any) -> None:
    good = scenario_class("baseline_operation")().to_definition().model_dump()
    ScenarioDefinition.model_validate(good)
    good[field] = bad
    with pytest.raises(ValidationError) as caught:
        ScenarioDefinition.model_validate(good)
    _assert_names(caught.value, field)
