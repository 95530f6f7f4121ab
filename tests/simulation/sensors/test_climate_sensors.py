"""U21/U22_SHT85, U23_BMP388, U24_FT205: lag, placement, noise levels, wrap-around, saturation."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.schemas import SensorStatus
from envirosense.simulation.result import STATUS_CODE
from envirosense.simulation.sensors.anemometer import AnemometerSensor
from envirosense.simulation.sensors.pressure import PressureSensor
from envirosense.simulation.sensors.temperature_humidity import TemperatureHumiditySensor, relative_humidity_at
from tests.simulation.sensors.sensor_fields import NO_DROPOUTS, constant_field

SATURATED = STATUS_CODE[SensorStatus.SATURATED]


def test_sht85_humidity_lag_tau63_is_8_seconds() -> None:
    field = constant_field(200, dt=0.5)
    field.ambient.relative_humidity_pct[40:] = 90.0
    fractions = []
    for seed in range(8):
        rh = TemperatureHumiditySensor("U22_SHT85", "outside").measure(field, NO_DROPOUTS, np.random.default_rng(seed))
        reading = rh["relative_humidity_pct"]
        start, end = reading[30:40].mean(), reading[-20:].mean()
        fractions.append((reading[39 + 16] - start) / (end - start))
    assert np.mean(fractions) == pytest.approx(1.0 - np.exp(-1.0), abs=0.02)


def test_enclosure_sensor_reads_the_warmer_drier_box_air() -> None:
    field = constant_field(100)
    field.ambient.enclosure_temperature_c[:] = 35.0
    inside = TemperatureHumiditySensor("U21_SHT85", "enclosure").measure(field, NO_DROPOUTS, np.random.default_rng(0))
    outside = TemperatureHumiditySensor("U22_SHT85", "outside").measure(field, NO_DROPOUTS, np.random.default_rng(0))
    assert np.mean(inside["temperature_c"]) == pytest.approx(35.0, abs=0.5)
    assert np.mean(outside["temperature_c"]) == pytest.approx(20.0, abs=0.5)
    expected = float(relative_humidity_at(np.array(50.0), np.array(20.0), np.array(35.0)))
    assert 20.0 < expected < 30.0
    assert np.mean(inside["relative_humidity_pct"]) == pytest.approx(expected, abs=3.0)


def test_sht85_reads_100_percent_as_a_valid_reading_not_saturated() -> None:
    field = constant_field(300)
    field.ambient.relative_humidity_pct[:] = 100.0
    readings = TemperatureHumiditySensor("U22_SHT85", "outside").measure(field, NO_DROPOUTS, np.random.default_rng(1))
    assert readings["relative_humidity_pct"].max() == 100.0
    assert not (readings["status"] == SATURATED).any()


def test_sht85_saturates_only_outside_its_temperature_range() -> None:
    field = constant_field(50)
    field.ambient.air_temperature_c[25:] = -45.0
    readings = TemperatureHumiditySensor("U22_SHT85", "outside").measure(field, NO_DROPOUTS, np.random.default_rng(1))
    assert not (readings["status"][:20] == SATURATED).any()
    assert (readings["status"][-10:] == SATURATED).all()


def test_bmp388_noise_is_0_9_pa_rms() -> None:
    field = constant_field(4000)
    readings = PressureSensor().measure(field, NO_DROPOUTS, np.random.default_rng(2))
    noise_pa = np.std(np.diff(readings["pressure_hpa"])) / np.sqrt(2.0) * 100.0
    assert noise_pa == pytest.approx(0.9, rel=0.06)
    offsets = [
        PressureSensor().measure(field, NO_DROPOUTS, np.random.default_rng(s))["pressure_hpa"][0] - 1013.0
        for s in range(200)
    ]
    assert np.std(offsets) < 0.5


def test_ft205_speed_and_direction_accuracy_and_wrap_around() -> None:
    field = constant_field(4000)
    field.ambient.wind_speed_m_s[:] = 8.0
    field.ambient.wind_direction_deg[:] = 359.5
    readings = AnemometerSensor().measure(field, NO_DROPOUTS, np.random.default_rng(3))
    assert np.std(readings["wind_speed_m_s"]) == pytest.approx(0.15, rel=0.1)
    direction = readings["wind_direction_deg"]
    assert direction.min() >= 0.0 and direction.max() < 360.0
    assert np.all(direction == np.round(direction))
    unwrapped = np.angle(np.exp(1j * np.radians(direction - np.median(direction))), deg=True)
    assert np.std(unwrapped) == pytest.approx(4.0, rel=0.1)


def test_ft205_saturates_above_75_m_s() -> None:
    field = constant_field(50)
    field.ambient.wind_speed_m_s[:] = 90.0
    readings = AnemometerSensor().measure(field, NO_DROPOUTS, np.random.default_rng(0))
    assert (readings["status"] == SATURATED).all()
    assert readings["wind_speed_m_s"].max() == 75.0
