"""U29_TFEMF and U30_BMI270: noise floors, weak-signal behaviour, saturation."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.schemas import SensorStatus
from envirosense.simulation.result import STATUS_CODE
from envirosense.simulation.sensors.emf import EmfSensor
from envirosense.simulation.sensors.imu import ImuSensor
from tests.simulation.sensors.sensor_fields import NO_DROPOUTS, constant_field

SATURATED = STATUS_CODE[SensorStatus.SATURATED]


def test_emf_frequency_is_precise_on_a_strong_field_and_noisy_on_a_weak_one() -> None:
    strong, weak = constant_field(2000), constant_field(2000)
    weak.emf.magnetic_field_ut[:] = 0.003
    strong_f = EmfSensor().measure(strong, NO_DROPOUTS, np.random.default_rng(0))["dominant_frequency_hz"]
    weak_f = EmfSensor().measure(weak, NO_DROPOUTS, np.random.default_rng(0))["dominant_frequency_hz"]
    assert np.std(strong_f) < 0.01
    assert np.std(weak_f) > 0.1


def test_emf_saturates_above_2000_ut() -> None:
    field = constant_field(20)
    field.emf.magnetic_field_ut[:] = 5000.0
    readings = EmfSensor().measure(field, NO_DROPOUTS, np.random.default_rng(0))
    assert (readings["status"] == SATURATED).all()
    assert readings["field_strength_ut"].max() == 2000.0


def test_imu_at_rest_shows_gravity_and_the_noise_density() -> None:
    field = constant_field(5000)
    field.motion.vibration_rms_g[:] = 0.0
    field.motion.sway_rate_dps[:] = 0.0
    field.motion.tilt_deg[:] = 0.0
    readings = ImuSensor().measure(field, NO_DROPOUTS, np.random.default_rng(1))
    assert readings["acceleration_z_g"].mean() == pytest.approx(1.0, abs=0.08)
    expected_accel = 160e-6 * np.sqrt(40.0 * np.pi / 2.0)
    assert np.std(readings["acceleration_z_g"]) == pytest.approx(expected_accel, rel=0.1)
    expected_gyro = 0.007 * np.sqrt(40.0 * np.pi / 2.0)
    assert np.std(readings["angular_rate_x_dps"]) == pytest.approx(expected_gyro, rel=0.1)
    assert np.median(readings["vibration_rms_g"]) == pytest.approx(np.sqrt(3.0) * expected_accel, rel=0.1)


def test_imu_tilt_moves_gravity_between_axes() -> None:
    field = constant_field(500)
    field.motion.tilt_deg[:] = 30.0
    readings = ImuSensor().measure(field, NO_DROPOUTS, np.random.default_rng(2))
    horizontal = np.hypot(readings["acceleration_x_g"].mean(), readings["acceleration_y_g"].mean())
    assert horizontal == pytest.approx(0.5, abs=0.06)
    assert readings["acceleration_z_g"].mean() == pytest.approx(np.cos(np.radians(30.0)), abs=0.06)


def test_imu_saturates_beyond_its_configured_range() -> None:
    field = constant_field(200)
    field.motion.vibration_rms_g[:] = 30.0
    readings = ImuSensor().measure(field, NO_DROPOUTS, np.random.default_rng(3))
    assert (readings["status"] == SATURATED).mean() > 0.9
    assert np.abs(readings["acceleration_x_g"]).max() == 8.0
