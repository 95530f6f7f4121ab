"""The whole device: every sensor id, exact schema field names, ranges under any truth, reproducibility,
dropouts and the hand-over to validated ``MLDataSample`` records."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from envirosense.schemas import SENSOR_IDS, SENSORS_BY_ID, ClassLabel, MLDataSample, SensorStatus
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.result import STATUS_CODE, SimulationResult, check_reading_ranges
from envirosense.simulation.sensors import GridGuardianDevice, default_sensor_models
from envirosense.simulation.sensors.particulate import ParticulateSensor
from tests.simulation.sensors.sensor_fields import NO_DROPOUTS, constant_field, realistic_field, wild_field

DROPOUT = STATUS_CODE[SensorStatus.DROPOUT]
SATURATED = STATUS_CODE[SensorStatus.SATURATED]
OK = STATUS_CODE[SensorStatus.OK]
REDUCED_ACCURACY = STATUS_CODE[SensorStatus.REDUCED_ACCURACY]


@pytest.mark.parametrize("n", [1, 50])
def test_every_sensor_reports_exactly_its_schema_fields(n: int) -> None:
    field = realistic_field(n)
    readings = GridGuardianDevice(DeviceParams()).measure(field, np.random.default_rng(0))
    check_reading_ranges(readings)
    assert list(readings) == list(SENSOR_IDS)
    for sensor_id, arrays in readings.items():
        model = SENSORS_BY_ID[sensor_id].reading_model
        assert set(arrays) == set(model.model_fields) - {"sensor_id"}, sensor_id
        for name, values in arrays.items():
            expected = (n, 192) if name == "downsampled_image_c" else (n,)
            assert values.shape == expected, f"{sensor_id}.{name}"
        assert arrays["status"].dtype.kind == "i"


def test_same_seed_gives_bit_identical_readings_and_another_seed_differs() -> None:
    field = realistic_field(300)
    device = GridGuardianDevice(DeviceParams(dropout_probability=0.02))
    first = device.measure(field, np.random.default_rng(11))
    second = device.measure(field, np.random.default_rng(11))
    other = device.measure(field, np.random.default_rng(12))
    for sensor_id in SENSOR_IDS:
        for name, values in first[sensor_id].items():
            np.testing.assert_array_equal(values, second[sensor_id][name], err_msg=f"{sensor_id}.{name}")
    assert not np.array_equal(
        first["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"],
        other["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"],
        equal_nan=True,
    )


def test_one_sensor_model_does_not_shift_the_others_random_draws() -> None:
    field = realistic_field(200)
    models = list(default_sensor_models())
    baseline = GridGuardianDevice(DeviceParams(), models).measure(field, np.random.default_rng(3))
    models[1] = ParticulateSensor(mass_noise_ug_m3=3.0, fan_clean_interval_s=600.0)
    changed = GridGuardianDevice(DeviceParams(), models).measure(field, np.random.default_rng(3))
    assert not np.array_equal(
        baseline["U20_SPS30"]["mass_concentration_pm1_0_ug_m3"],
        changed["U20_SPS30"]["mass_concentration_pm1_0_ug_m3"],
        equal_nan=True,
    )
    for sensor_id in SENSOR_IDS:
        if sensor_id != "U20_SPS30":
            for name, values in baseline[sensor_id].items():
                np.testing.assert_array_equal(values, changed[sensor_id][name])


def test_device_needs_each_sensor_once() -> None:
    models = list(default_sensor_models())
    with pytest.raises(ValueError, match="exactly once"):
        GridGuardianDevice(DeviceParams(), models[:-1])
    with pytest.raises(ValueError, match="not a sensor"):
        ParticulateSensor("U99_NOPE")


@pytest.mark.parametrize("seed", range(4))
def test_readings_stay_in_data_sheet_ranges_for_wild_truth(seed: int) -> None:
    rng = np.random.default_rng(seed)
    field = wild_field(500, rng)
    params = DeviceParams(days_since_calibration=float(rng.uniform(0, 720)), dropout_probability=0.01)
    readings = GridGuardianDevice(params).measure(field, rng)
    check_reading_ranges(readings)
    for sensor_id, arrays in readings.items():
        allowed = {OK, SATURATED, DROPOUT} | ({REDUCED_ACCURACY} if sensor_id == "U26_Lepton35" else set())
        assert set(np.unique(arrays["status"])) <= allowed, sensor_id
    for sensor_id in ("U19_TFSGS", "U20_SPS30", "U26_Lepton35", "U27_SPU0410HR5H", "U29_TFEMF", "U30_BMI270"):
        assert (readings[sensor_id]["status"] == SATURATED).any(), sensor_id


def test_extreme_constant_truth_saturates_and_stays_in_range() -> None:
    field = constant_field(20)
    for species in field.gases_ppb:
        field.gases_ppb[species][:] = 1e9
    for name in field.particles_ug_m3:
        field.particles_ug_m3[name][:] = 1e6
    field.thermal.hotspot_surface_c[:] = 2500.0
    field.thermal.hotspot_area_px[:] = 5e5
    field.acoustic.band_ultrasonic_db[:] = 200.0
    field.emf.magnetic_field_ut[:] = 1e6
    field.ambient.wind_speed_m_s[:] = 120.0
    field.motion.vibration_rms_g[:] = 100.0
    readings = GridGuardianDevice(NO_DROPOUTS).measure(field, np.random.default_rng(0))
    check_reading_ranges(readings)
    for sensor_id in (
        "U19_TFSGS",
        "U20_SPS30",
        "U24_FT205",
        "U26_Lepton35",
        "U27_SPU0410HR5H",
        "U29_TFEMF",
        "U30_BMI270",
    ):
        assert (readings[sensor_id]["status"] == SATURATED).all(), sensor_id
    assert readings["U19_TFSGS"]["general_reducing_ppb"].max() == 100_000.0
    assert readings["U20_SPS30"]["mass_concentration_pm2_5_ug_m3"].max() == 1000.0
    assert readings["U26_Lepton35"]["max_temperature_c"].max() == 400.0


def test_quiet_weather_reads_ok() -> None:
    readings = GridGuardianDevice(NO_DROPOUTS).measure(realistic_field(1000), np.random.default_rng(5))
    for sensor_id, arrays in readings.items():
        assert (arrays["status"] == OK).mean() > 0.99, sensor_id


def test_dropouts_null_every_value_at_the_requested_rate() -> None:
    n, p = 6000, 0.03
    readings = GridGuardianDevice(DeviceParams(dropout_probability=p)).measure(
        constant_field(n), np.random.default_rng(9)
    )
    for sensor_id, arrays in readings.items():
        dropped = arrays["status"] == DROPOUT
        assert abs(dropped.mean() - p) < 4 * np.sqrt(p * (1 - p) / n), sensor_id
        for name, values in arrays.items():
            if name != "status":
                assert np.isnan(values[dropped]).all(), f"{sensor_id}.{name}"
    none = GridGuardianDevice(NO_DROPOUTS).measure(constant_field(n), np.random.default_rng(9))
    assert all((arrays["status"] != DROPOUT).all() for arrays in none.values())


def test_readings_become_valid_ml_data_samples() -> None:
    field = realistic_field(40)
    readings = GridGuardianDevice(DeviceParams(dropout_probability=0.05)).measure(field, np.random.default_rng(2))
    labels = LabelTrack.constant(40, ClassLabel.NORMAL, "baseline", "BaselineOperationScenario")
    result = SimulationResult(times_s=field.times_s, readings=readings, labels=labels, truth=field)
    samples = result.to_sample_dicts(
        scenario_id="baseline-test",
        sample_ids=[f"s{i}" for i in range(40)],
        metadata=[
            {"scenario_definition_id": "baseline-test", "scenario_definition_version": 1, "seed": 2, "sample_index": i}
            for i in range(40)
        ],
        generation_timestamp_utc=datetime(2026, 1, 1, tzinfo=UTC),
        include_thermal_image=True,
    )
    for sample in samples:
        validated = MLDataSample.model_validate(sample)
        thermal = validated.sensor_readings_map.U26_Lepton35
        assert thermal.downsampled_image_c is None or len(thermal.downsampled_image_c) == 192
