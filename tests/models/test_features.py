from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from envirosense.models.features import (
    DERIVED_FEATURES,
    FeatureExtractionError,
    FeatureExtractor,
)
from envirosense.schemas import SENSOR_IDS, SENSORS_BY_ID
from envirosense.schemas.bounds import field_bounds


def test_reading_columns_are_schema_field_paths() -> None:
    extractor = FeatureExtractor()
    readings = [c for c in extractor.columns if c.kind == "reading"]
    for column in readings:
        prefix, sensor_id, field = column.name.split(".")
        assert prefix == "sensor_readings_map"
        assert field in SENSORS_BY_ID[sensor_id].reading_model.model_fields
    assert "sensor_readings_map.U20_SPS30.mass_concentration_pm2_5_ug_m3" in extractor.feature_names
    assert len(set(extractor.feature_names)) == extractor.n_features
    validity = [c.name for c in extractor.columns if c.kind == "validity"]
    assert validity == [f"sensor_readings_map.{sid}.status_valid" for sid in SENSOR_IDS]
    assert [c.name for c in extractor.columns if c.kind == "derived"] == [d.name for d in DERIVED_FEATURES]


def test_values_match_the_sample_dicts(eval_samples: list[dict[str, Any]]) -> None:
    extractor = FeatureExtractor()
    batch = extractor.transform(eval_samples[:50])
    for row, sample in enumerate(eval_samples[:50]):
        for column in (c for c in extractor.columns if c.kind == "reading"):
            sensor_id = column.sensor_ids[0]
            reading = sample["sensor_readings_map"][sensor_id]
            value = batch.values[row, extractor.column_index(column.name)]
            expected = reading[column.field] if reading["status"] in ("OK", "SATURATED") else None
            if expected is None:
                assert np.isnan(value)
            else:
                assert value == float(expected)
    assert batch.sample_ids == [s["sample_id"] for s in eval_samples[:50]]
    assert batch.labels == [s["extracted_class_label"] for s in eval_samples[:50]]


def test_dropout_is_nan_with_validity_zero_and_a_missing_code_below_the_range(
    eval_samples: list[dict[str, Any]],
) -> None:
    extractor = FeatureExtractor()
    samples = copy.deepcopy(eval_samples[:3])
    reading = samples[1]["sensor_readings_map"]["U20_SPS30"]
    reading["status"] = "DROPOUT"
    for field in reading:
        if field not in ("sensor_id", "status"):
            reading[field] = None
    batch = extractor.transform(samples)
    pm25 = extractor.column_index("sensor_readings_map.U20_SPS30.mass_concentration_pm2_5_ug_m3")
    valid = extractor.column_index("sensor_readings_map.U20_SPS30.status_valid")
    assert np.isnan(batch.values[1, pm25]) and not np.isnan(batch.values[0, pm25])
    assert batch.values[1, valid] == 0.0 and batch.values[0, valid] == 1.0
    assert not batch.sensor_valid[1, SENSOR_IDS.index("U20_SPS30")]
    model_input = extractor.model_input(batch.values)
    assert not np.isnan(model_input).any()
    lower = field_bounds(SENSORS_BY_ID["U20_SPS30"].reading_model)["mass_concentration_pm2_5_ug_m3"].lower
    assert model_input[1, pm25] == lower - 1
    ratio = extractor.column_index("derived.U20_SPS30.pm2_5_to_pm10_mass_ratio")
    assert np.isnan(batch.values[1, ratio]) and model_input[1, ratio] == -1.0


def test_a_reading_marked_invalid_is_missing_even_if_values_leaked(eval_samples: list[dict[str, Any]]) -> None:
    samples = copy.deepcopy(eval_samples[:1])
    samples[0]["sensor_readings_map"]["U29_TFEMF"]["status"] = "FAULT"
    extractor = FeatureExtractor()
    values = extractor.transform(samples).values
    for index in extractor.sensor_columns("U29_TFEMF", kinds=("reading",)):
        assert np.isnan(values[0, index])


def test_derived_features(eval_samples: list[dict[str, Any]]) -> None:
    extractor = FeatureExtractor()
    batch = extractor.transform(eval_samples[:20])
    values = batch.values
    col = extractor.column_index
    pm25 = values[:, col("sensor_readings_map.U20_SPS30.mass_concentration_pm2_5_ug_m3")]
    pm10 = values[:, col("sensor_readings_map.U20_SPS30.mass_concentration_pm10_ug_m3")]
    np.testing.assert_allclose(
        values[:, col("derived.U20_SPS30.pm2_5_to_pm10_mass_ratio")], pm25 / np.maximum(pm10, 1.0)
    )
    inside = values[:, col("sensor_readings_map.U21_SHT85.temperature_c")]
    outside = values[:, col("sensor_readings_map.U22_SHT85.temperature_c")]
    np.testing.assert_allclose(values[:, col("derived.U21_SHT85-U22_SHT85.temperature_difference_c")], inside - outside)
    assert extractor.sensor_of("derived.U21_SHT85-U22_SHT85.temperature_difference_c") == "U21_SHT85"
    assert set(extractor.columns[col("derived.U21_SHT85-U22_SHT85.temperature_difference_c")].sensor_ids) == {
        "U21_SHT85",
        "U22_SHT85",
    }


def test_streaming_batches_equal_one_big_batch(eval_samples: list[dict[str, Any]]) -> None:
    extractor = FeatureExtractor(batch_size=37)
    whole = extractor.transform(eval_samples)
    batches = list(extractor.iter_batches(iter(eval_samples)))
    assert max(len(b) for b in batches) == 37
    np.testing.assert_array_equal(np.vstack([b.values for b in batches]), whole.values)
    assert [sid for b in batches for sid in b.sample_ids] == whole.sample_ids
    prefetched = list(extractor.iter_batches(iter(eval_samples), prefetch=True))
    np.testing.assert_array_equal(np.vstack([b.values for b in prefetched]), whole.values)


def test_sensor_subset_and_switches() -> None:
    extractor = FeatureExtractor(["U20_SPS30", "U29_TFEMF"], include_validity=False, include_derived=True)
    assert {c.sensor_ids[0] for c in extractor.columns} == {"U20_SPS30", "U29_TFEMF"}
    assert [c.name for c in extractor.columns if c.kind == "derived"] == ["derived.U20_SPS30.pm2_5_to_pm10_mass_ratio"]
    assert FeatureExtractor.from_params(extractor.params()).feature_names == extractor.feature_names
    with pytest.raises(ValueError, match="unknown sensor ids"):
        FeatureExtractor(["U99_NOPE"])


def test_errors_name_the_sample_and_the_field(eval_samples: list[dict[str, Any]]) -> None:
    extractor = FeatureExtractor()
    missing = copy.deepcopy(eval_samples[:2])
    del missing[1]["sensor_readings_map"]["U24_FT205"]["wind_speed_m_s"]
    with pytest.raises(FeatureExtractionError, match=r"U24_FT205\.wind_speed_m_s") as info:
        extractor.transform(missing)
    assert missing[1]["sample_id"] in str(info.value)
    text = copy.deepcopy(eval_samples[:1])
    text[0]["sensor_readings_map"]["U23_BMP388"]["pressure_hpa"] = "high"
    with pytest.raises(FeatureExtractionError, match=r"U23_BMP388\.pressure_hpa is 'high'"):
        extractor.transform(text)
    no_sensor = copy.deepcopy(eval_samples[:1])
    del no_sensor[0]["sensor_readings_map"]["U30_BMI270"]
    with pytest.raises(FeatureExtractionError, match=r"lacks sensor_readings_map\.U30_BMI270"):
        extractor.transform(no_sensor)
