"""U20_SPS30: size response, humidity over-reading, fan-clean glitch, cumulative classes, saturation."""

from __future__ import annotations

import numpy as np

from envirosense.schemas import SensorStatus
from envirosense.simulation.field import TrueField
from envirosense.simulation.result import STATUS_CODE
from envirosense.simulation.sensors.particulate import MASS_FIELDS, NUMBER_FIELDS, ParticulateSensor
from tests.simulation.sensors.sensor_fields import NO_DROPOUTS, constant_field

SEEDS = range(10)


def _mean(field: TrueField, name: str, sensor: ParticulateSensor | None = None) -> float:
    model = sensor or ParticulateSensor()
    return float(
        np.mean([np.nanmean(model.measure(field, NO_DROPOUTS, np.random.default_rng(s))[name]) for s in SEEDS])
    )


def _smoke(n: int = 200, pm1: float = 40.0, mmd: float = 0.6, rh: float = 50.0) -> TrueField:
    field = constant_field(n, dt=10.0)
    field.particles_ug_m3["pm_below_1"][:] = pm1
    field.particles_ug_m3["pm_1_to_2_5"][:] = pm1 / 4
    field.particles_ug_m3["pm_2_5_to_4"][:] = 0.0
    field.particles_ug_m3["pm_4_to_10"][:] = 0.0
    field.particle_median_diameter_um[:] = mmd
    field.ambient.relative_humidity_pct[:] = rh
    return field


def test_humidity_over_reads_above_75_percent_and_fog_hits_pm10_hardest() -> None:
    pm25 = "mass_concentration_pm2_5_ug_m3"
    dry, damp, humid, fog = (_mean(_smoke(rh=rh), pm25) for rh in (50.0, 70.0, 90.0, 99.0))
    assert damp < 1.1 * dry
    assert humid > 1.25 * dry
    assert fog > 2.5 * dry
    dusty = _smoke(rh=50.0)
    dusty.particles_ug_m3["pm_4_to_10"][:] = 40.0
    foggy = _smoke(rh=99.0)
    foggy.particles_ug_m3["pm_4_to_10"][:] = 40.0
    pm1, pm10 = "mass_concentration_pm1_0_ug_m3", "mass_concentration_pm10_ug_m3"
    assert _mean(foggy, pm10) / _mean(dusty, pm10) > _mean(foggy, pm1) / _mean(dusty, pm1)


def test_coarse_dust_is_under_read_and_fresh_ultrafine_smoke_too() -> None:
    dust = constant_field(200, dt=10.0)
    for name in dust.particles_ug_m3:
        dust.particles_ug_m3[name][:] = 0.0
    dust.particles_ug_m3["pm_4_to_10"][:] = 200.0
    pm10 = _mean(dust, "mass_concentration_pm10_ug_m3")
    assert 20.0 < pm10 < 100.0
    pm25 = "mass_concentration_pm2_5_ug_m3"
    assert _mean(_smoke(mmd=0.15), pm25) < 0.7 * _mean(_smoke(mmd=0.6), pm25)
    size = "typical_particle_size_um"
    assert _mean(_smoke(mmd=0.3), size) < _mean(_smoke(mmd=1.2), size)


def test_size_classes_are_cumulative() -> None:
    field = _smoke(n=500)
    field.particles_ug_m3["pm_4_to_10"][:] = np.linspace(0.0, 300.0, 500)
    readings = ParticulateSensor().measure(field, NO_DROPOUTS, np.random.default_rng(1))
    for names in (MASS_FIELDS, NUMBER_FIELDS):
        stacked = np.stack([readings[name] for name in names])
        assert np.all(np.diff(stacked, axis=0) >= 0)


def test_fan_cleaning_glitches_ten_seconds_per_interval() -> None:
    field = _smoke(n=3600)
    field.times_s = np.arange(3600, dtype=np.float64)
    sensor = ParticulateSensor(fan_clean_interval_s=600.0)
    readings = sensor.measure(field, NO_DROPOUTS, np.random.default_rng(4))
    pm10 = readings["mass_concentration_pm10_ug_m3"]
    glitch = pm10 > 1.4 * np.median(pm10)
    assert 50 <= glitch.sum() <= 70
    assert (readings["status"] == STATUS_CODE[SensorStatus.OK]).all()
    weekly = ParticulateSensor()
    two_weeks = np.arange(0.0, 14 * 86_400.0, 10.0)
    assert weekly.fan_cleaning(two_weeks, phase_s=1234.0).sum() == 2


def test_saturation_above_1000_ug_m3() -> None:
    field = _smoke(pm1=5000.0)
    readings = ParticulateSensor().measure(field, NO_DROPOUTS, np.random.default_rng(0))
    assert (readings["status"] == STATUS_CODE[SensorStatus.SATURATED]).all()
    assert readings["mass_concentration_pm2_5_ug_m3"].max() == 1000.0
    assert readings["number_concentration_pm10_per_cm3"].max() == 3000.0
