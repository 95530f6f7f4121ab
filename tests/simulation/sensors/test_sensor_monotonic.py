"""A stronger true value gives a higher reading, on average over devices, for every sensor's main channels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from envirosense.simulation.field import TrueField
from envirosense.simulation.sensors import GridGuardianDevice
from tests.simulation.sensors.sensor_fields import NO_DROPOUTS, constant_field

Setter = Callable[[TrueField, float], None]


def _gas(species: str) -> Setter:
    def set_gas(field: TrueField, value: float) -> None:
        field.gases_ppb[species][:] = value

    return set_gas


def _attr(group: str, name: str) -> Setter:
    def set_attr(field: TrueField, value: float) -> None:
        getattr(getattr(field, group), name)[:] = value

    return set_attr


def _particles(field: TrueField, value: float) -> None:
    field.particles_ug_m3["pm_below_1"][:] = value
    field.particles_ug_m3["pm_1_to_2_5"][:] = value / 3
    field.particles_ug_m3["pm_4_to_10"][:] = value / 2


def _hotspot(field: TrueField, value: float) -> None:
    field.thermal.hotspot_area_px[:] = 40.0
    field.thermal.hotspot_surface_c[:] = value


def _storm(field: TrueField, value: float) -> None:
    field.lightning.strike_rate_per_min[:] = value
    field.lightning.storm_distance_km[:] = 10.0


CASES: list[tuple[str, str, Setter, float, float]] = [
    ("U19_TFSGS", "formaldehyde_ppb", _gas("formaldehyde"), 2.0, 30.0),
    ("U19_TFSGS", "acetaldehyde_ppb", _gas("acetaldehyde"), 1.0, 30.0),
    ("U19_TFSGS", "acrolein_ppb", _gas("acrolein"), 0.1, 20.0),
    ("U19_TFSGS", "phenol_ppb", _gas("phenol"), 0.05, 10.0),
    ("U19_TFSGS", "cresol_ppb", _gas("cresol"), 0.02, 10.0),
    ("U19_TFSGS", "guaiacol_ppb", _gas("guaiacol"), 0.01, 10.0),
    ("U19_TFSGS", "general_reducing_ppb", _gas("carbon_monoxide"), 150.0, 3000.0),
    ("U19_TFSGS", "general_oxidising_ppb", _gas("ozone"), 30.0, 150.0),
    ("U20_SPS30", "mass_concentration_pm2_5_ug_m3", _particles, 5.0, 60.0),
    ("U20_SPS30", "mass_concentration_pm10_ug_m3", _particles, 5.0, 60.0),
    ("U20_SPS30", "number_concentration_pm1_0_per_cm3", _particles, 5.0, 60.0),
    ("U22_SHT85", "temperature_c", _attr("ambient", "air_temperature_c"), 10.0, 12.0),
    ("U22_SHT85", "relative_humidity_pct", _attr("ambient", "relative_humidity_pct"), 40.0, 45.0),
    ("U21_SHT85", "temperature_c", _attr("ambient", "enclosure_temperature_c"), 25.0, 27.0),
    ("U23_BMP388", "pressure_hpa", _attr("ambient", "pressure_hpa"), 1010.0, 1011.0),
    ("U24_FT205", "wind_speed_m_s", _attr("ambient", "wind_speed_m_s"), 3.0, 4.0),
    ("U25_AS3935", "strike_count", _storm, 1.0, 10.0),
    ("U26_Lepton35", "max_temperature_c", _hotspot, 60.0, 90.0),
    ("U26_Lepton35", "hotspot_delta_c", _hotspot, 60.0, 90.0),
    ("U26_Lepton35", "mean_temperature_c", _attr("thermal", "background_c"), 15.0, 20.0),
    ("U27_SPU0410HR5H", "band_ultrasonic_db", _attr("acoustic", "band_ultrasonic_db"), 40.0, 50.0),
    ("U28_SPU0410HR5H", "band_ultrasonic_db", _attr("acoustic", "band_ultrasonic_db"), 40.0, 50.0),
    ("U27_SPU0410HR5H", "spl_db", _attr("acoustic", "band_mid_db"), 50.0, 70.0),
    ("U29_TFEMF", "field_strength_ut", _attr("emf", "magnetic_field_ut"), 1.0, 3.0),
    ("U29_TFEMF", "hf_noise_db", _attr("emf", "hf_noise_db"), 5.0, 20.0),
    ("U30_BMI270", "vibration_rms_g", _attr("motion", "vibration_rms_g"), 0.01, 0.05),
]


@pytest.fixture(scope="module")
def device() -> GridGuardianDevice:
    return GridGuardianDevice(NO_DROPOUTS)


@pytest.mark.parametrize(("sensor_id", "name", "setter", "low", "high"), CASES, ids=[f"{c[0]}.{c[1]}" for c in CASES])
def test_stronger_truth_reads_higher(
    device: GridGuardianDevice, sensor_id: str, name: str, setter: Setter, low: float, high: float
) -> None:
    means = []
    for value in (low, high):
        field = constant_field(60, dt=10.0)
        setter(field, value)
        runs = [device.measure(field, np.random.default_rng(seed))[sensor_id][name] for seed in range(6)]
        means.append(float(np.mean([np.nanmean(run) for run in runs])))
    assert means[1] > means[0]
