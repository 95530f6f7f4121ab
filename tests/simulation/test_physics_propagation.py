"""Propagation of sound, heat radiation and power-frequency fields to the device, against the numbers in
docs/physics.md §3.3–3.5 and the standards they come from."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.simulation.physics.acoustics import ambient_noise_db, iso9613_absorption_db_m, propagate_level
from envirosense.simulation.physics.emf import broadband_noise_db, magnetic_flux_density_ut
from envirosense.simulation.physics.thermal import (
    LEPTON_IFOV_RAD,
    RATED_LOAD_EXPONENT,
    apparent_temperature,
    hotspot_area_px,
    load_temperature_rise,
    neta_class,
    path_transmission,
    rise_at_rated_load,
    solar_temperature_rise,
)
from envirosense.simulation.physics.units import power_sum_db, ug_m3_to_ppb


def value(array: object) -> float:
    """The single number in a size-1 array (or a scalar)."""
    return float(np.asarray(array).item())


@pytest.mark.parametrize(
    ("temperature", "humidity", "expected"),
    [(20, 50, 1.3), (20, 20, 0.8), (20, 80, 1.2), (0, 50, 0.45), (35, 30, 1.6), (-10, 70, 0.3)],
)
def test_ultrasound_absorption_at_40_khz(temperature: float, humidity: float, expected: float) -> None:
    assert value(iso9613_absorption_db_m(40_000, temperature, humidity)) == pytest.approx(expected, abs=0.05)


def test_iso9613_reproduces_its_own_table() -> None:
    computed = iso9613_absorption_db_m(np.array([1000.0, 2000.0, 4000.0, 8000.0]), 20.0, 70.0) * 1000.0
    assert computed == pytest.approx([4.98, 9.0, 23.0, 77.0], rel=0.02)


def test_absorption_rises_steeply_with_frequency() -> None:
    alphas = iso9613_absorption_db_m(np.array([63.0, 630.0, 6300.0, 40_000.0]), 20.0, 50.0)
    assert np.all(np.diff(alphas) > 0)
    assert alphas[0] < 1e-3 < 1.0 < alphas[3]


@pytest.mark.parametrize(("distance", "loss"), [(10.0, 32.0), (20.0, 51.0), (30.0, 68.0)])
def test_corona_ultrasound_loss_with_distance(distance: float, loss: float) -> None:
    alpha = iso9613_absorption_db_m(40_000, 20.0, 50.0)
    assert -value(propagate_level(0.0, distance, alpha)) == pytest.approx(loss, abs=1.0)


def test_spreading_per_doubling_of_distance() -> None:
    assert value(propagate_level(80.0, 2.0, 0.0) - propagate_level(80.0, 4.0, 0.0)) == pytest.approx(6.02, abs=0.01)
    line = propagate_level(80.0, 2.0, 0.0, "line") - propagate_level(80.0, 4.0, 0.0, "line")
    assert value(line) == pytest.approx(3.01, abs=0.01)
    assert value(propagate_level(80.0, 0.2, 0.0)) == 80.0


def test_levels_add_as_powers() -> None:
    assert value(power_sum_db(60.0, 60.0)) == pytest.approx(63.01, abs=0.01)
    assert value(power_sum_db(60.0, 40.0)) == pytest.approx(60.04, abs=0.01)


def test_wind_and_rain_raise_the_noise_floor() -> None:
    calm = ambient_noise_db(np.array([0.5]), np.array([0.0]))
    windy = ambient_noise_db(np.array([12.0]), np.array([0.0]))
    rainy = ambient_noise_db(np.array([0.5]), np.array([20.0]))
    for band in ("mid", "high", "ultrasonic"):
        assert windy[band][0] > calm[band][0]
        assert rainy[band][0] > calm[band][0]


def test_lepton_ifov_and_hotspot_area_fall_as_inverse_square() -> None:
    assert abs(LEPTON_IFOV_RAD - 6.2e-3) < 0.05e-3
    three_pixels = 3 * 10.0 * LEPTON_IFOV_RAD
    assert value(hotspot_area_px(three_pixels, 10.0)) == pytest.approx(np.pi / 4 * 9)
    assert value(hotspot_area_px(0.3, 5.0) / hotspot_area_px(0.3, 20.0)) == pytest.approx(16.0)
    assert value(hotspot_area_px(0.1, 40.0)) < 1.0
    assert value(hotspot_area_px(50.0, 1.0)) == 160 * 120


def test_transmission_of_the_air_path() -> None:
    humid = np.array([10.0])
    # 10 g/m³ of water vapour: the reference humidity of the 800 m measurement.
    rh = np.array([10.0 / 17.3 * 100.0])
    assert value(path_transmission(800.0, np.array([20.0]), rh)) == pytest.approx(0.55, abs=0.01)
    assert value(path_transmission(10.0, humid, np.array([50.0]))) > 0.99
    assert value(path_transmission(100.0, np.array([30.0]), np.array([90.0]))) < value(
        path_transmission(100.0, np.array([0.0]), np.array([30.0]))
    )


def test_apparent_temperature_chain() -> None:
    hot, cold, air = np.array([150.0]), np.array([-20.0]), np.array([20.0])
    assert value(apparent_temperature(hot, 1.0, np.array([1.0]), cold, air)) == pytest.approx(150.0)
    shiny = value(apparent_temperature(hot, 0.3, np.array([1.0]), cold, air))
    painted = value(apparent_temperature(hot, 0.95, np.array([1.0]), cold, air))
    assert shiny < painted < 150.0
    hazy = value(apparent_temperature(hot, 1.0, np.array([0.5]), cold, air))
    assert air[0] < hazy < 150.0


def test_heating_by_load_and_by_sun() -> None:
    loads = np.array([0.2, 0.5, 1.0, 1.2])
    rise = load_temperature_rise(40.0, loads, 1.8)
    assert np.all(np.diff(rise) > 0)
    assert rise[2] == pytest.approx(40.0)
    assert load_temperature_rise(40.0, np.array([0.5]), 2.0)[0] < load_temperature_rise(40.0, np.array([0.5]), 1.6)[0]
    sun, air = np.array([900.0]), np.array([25.0])
    dark = solar_temperature_rise(sun, 0.9, np.array([1.0]), air)[0]
    light = solar_temperature_rise(sun, 0.4, np.array([1.0]), air)[0]
    windy = solar_temperature_rise(sun, 0.9, np.array([8.0]), air)[0]
    assert dark > light > 0.0
    assert windy < dark
    assert 10.0 < dark < 60.0
    assert solar_temperature_rise(np.array([0.0]), 0.9, np.array([1.0]), air)[0] == 0.0


def test_neta_classes() -> None:
    assert neta_class(np.array([0.5, 1.0, 10.0, 15.0, 25.0, 45.0])).tolist() == [0, 4, 4, 3, 2, 1]


def test_magnetic_field_fall_off_by_source_type() -> None:
    current = np.array([100.0])
    assert value(magnetic_flux_density_ut("single_conductor", current, 5.0)) == pytest.approx(4.0)
    assert value(magnetic_flux_density_ut("three_phase_line", np.array([350.0]), 70.0, 5.0)) == pytest.approx(
        0.125, abs=0.001
    )
    for source, exponent in (("single_conductor", 1), ("three_phase_line", 2), ("compact", 3)):
        near = value(magnetic_flux_density_ut(source, current, 4.0))  # type: ignore[arg-type]
        far = value(magnetic_flux_density_ut(source, current, 8.0))  # type: ignore[arg-type]
        assert near / far == pytest.approx(2.0**exponent)


def test_broadband_rf_noise_falls_as_one_over_r() -> None:
    assert value(broadband_noise_db(40.0, 1.0) - broadband_noise_db(40.0, 10.0)) == pytest.approx(20.0)


def test_gas_unit_conversion() -> None:
    # 1 ppm of CO at 25 °C and 1013.25 hPa is 1.145 mg/m³.
    assert value(ug_m3_to_ppb(np.array([1145.0]), "carbon_monoxide", np.array([25.0]), np.array([1013.25]))) == (
        pytest.approx(1000.0, rel=0.002)
    )


def test_rise_at_rated_load_undoes_the_load_law_down_to_its_floor() -> None:
    """ΔT measured at part load, scaled back to rated load (Tmax corrected [S56]); floored at 0.3 of load."""
    load = np.array([0.3, 0.5, 0.8, 1.0, 1.2])
    measured = load_temperature_rise(40.0, load, RATED_LOAD_EXPONENT)
    assert np.allclose(rise_at_rated_load(measured, load), 40.0)
    assert rise_at_rated_load(np.array([10.0]), np.array([0.05]))[0] == pytest.approx(10.0 * 0.3**-1.8)
