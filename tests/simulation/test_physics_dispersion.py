"""Transport of gases and particles: Pasquill stability, Briggs σ, the Gaussian plume, plume rise, the
line source and the well-mixed box, checked against the worked numbers of docs/physics.md §3."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.simulation.physics.box import WellMixedBox
from envirosense.simulation.physics.plume import (
    PlumeGeometry,
    briggs_plume_rise,
    briggs_sigmas,
    gaussian_plume,
    line_source_dilution,
    plume_axis_deviation_deg,
    plume_dilution,
)
from envirosense.simulation.physics.stability import pasquill_class, wind_at_height


def one(value: float) -> np.ndarray:
    return np.array([value])


@pytest.mark.parametrize(
    ("wind", "irradiance", "cloud", "sun", "expected"),
    [
        (1.0, 800.0, 0.0, 0.9, 0.0),  # strong sun, light wind: A
        (2.5, 450.0, 0.2, 0.6, 1.0),  # moderate sun, 2–3 m/s: B
        (4.0, 100.0, 0.5, 0.3, 2.0),  # slight sun, 3–5 m/s: C
        (8.0, 800.0, 0.0, 0.9, 2.0),  # strong sun, > 6 m/s: C
        (1.0, 0.0, 0.2, -0.5, 5.0),  # clear night, light wind: F
        (1.0, 0.0, 0.7, -0.5, 4.0),  # cloudy night, light wind: E
        (4.0, 0.0, 0.2, -0.5, 4.0),  # clear night, 3–5 m/s: E
        (7.0, 0.0, 0.2, -0.5, 3.0),  # windy night: D
        (1.0, 900.0, 0.95, 0.9, 3.0),  # overcast: D
        (1.0, 50.0, 0.0, 0.05, 3.0),  # around sunrise: D
        (1.0, 450.0, 0.2, 0.6, 0.5),  # "A–B" cell: half-class
    ],
)
def test_pasquill_table(wind: float, irradiance: float, cloud: float, sun: float, expected: float) -> None:
    assert pasquill_class(one(wind), one(irradiance), cloud, one(sun))[0] == expected


def test_wind_profile() -> None:
    ten = wind_at_height(one(5.0), 10.0, one(3.0))[0]
    two = wind_at_height(one(5.0), 2.0, one(3.0))[0]
    stable_two = wind_at_height(one(5.0), 2.0, one(5.0))[0]
    assert ten == pytest.approx(5.0)
    assert stable_two < two < ten


def test_briggs_rural_and_urban_values() -> None:
    x = one(1000.0)
    sigma_y, sigma_z = briggs_sigmas(x, one(3.0), "rural")
    assert sigma_y[0] == pytest.approx(0.08 * 1000 / np.sqrt(1.1))
    assert sigma_z[0] == pytest.approx(0.06 * 1000 / np.sqrt(2.5))
    _, sigma_z_f = briggs_sigmas(x, one(5.0), "rural")
    assert sigma_z_f[0] == pytest.approx(0.016 * 1000 / 1.3)
    sigma_y_u, sigma_z_u = briggs_sigmas(x, one(0.0), "urban")
    assert sigma_y_u[0] == pytest.approx(0.32 * 1000 / np.sqrt(1.4))
    assert sigma_z_u[0] == pytest.approx(0.24 * 1000 * np.sqrt(2.0))


def test_half_classes_are_geometric_means() -> None:
    x = one(300.0)
    low = briggs_sigmas(x, one(1.0))
    high = briggs_sigmas(x, one(2.0))
    half = briggs_sigmas(x, one(1.5))
    for a, b, mid in zip(low, high, half, strict=True):
        assert mid[0] == pytest.approx(np.sqrt(a[0] * b[0]))


def _example(receptor_m: float, stability: float, wind: float) -> float:
    """docs/physics.md §3.1 worked example: Q = 10 mg/s, ground source, 50 m downwind on the axis, µg/m³."""
    sigma_y, sigma_z = briggs_sigmas(one(50.0), one(stability))
    dilution = gaussian_plume(one(0.0), receptor_m, one(0.0), one(wind), sigma_y, sigma_z)
    return float(dilution[0]) * 10.0 * 1000.0


def test_gaussian_plume_reproduces_the_worked_example() -> None:
    assert _example(0.0, 3.0, 3.0) == pytest.approx(90.0, rel=0.05)
    assert _example(8.0, 3.0, 3.0) == pytest.approx(2.0, rel=0.1)
    assert _example(0.0, 5.0, 1.5) == pytest.approx(1350.0, rel=0.05)
    assert _example(8.0, 5.0, 1.5) < 1e-6


def test_concentration_falls_as_one_over_wind_speed() -> None:
    assert _example(0.0, 3.0, 6.0) == pytest.approx(_example(0.0, 3.0, 3.0) / 2.0)


def test_plume_rise_grows_with_heat_and_is_capped_in_stable_air() -> None:
    x, u = np.full(3, 200.0), np.full(3, 3.0)
    heat = np.array([1e3, 1e4, 1e5])
    neutral = briggs_plume_rise(heat, x, u, np.full(3, 3.0))
    stable = briggs_plume_rise(heat, x, u, np.full(3, 5.0))
    assert np.all(np.diff(neutral) > 0)
    assert np.all(stable <= neutral)
    assert briggs_plume_rise(one(0.0), one(100.0), one(3.0), one(3.0))[0] == 0.0
    near = briggs_plume_rise(one(1e4), one(10.0), one(3.0), one(3.0))[0]
    far = briggs_plume_rise(one(1e4), one(1e5), one(3.0), one(3.0))[0]
    assert near < far == pytest.approx(briggs_plume_rise(one(1e4), one(2e5), one(3.0), one(3.0))[0])


def _dilution(
    distance: float = 30.0, wind: float = 3.0, offset: float = 0.0, heat: float | None = None, source_m: float = 6.0
) -> float:
    n = 5
    geometry = PlumeGeometry(distance, offset, source_m, 6.0, initial_sigma_m=1.0)
    times = np.arange(n, dtype=np.float64) * 60.0
    return float(
        plume_dilution(
            geometry,
            times,
            np.full(n, wind),
            np.full(n, 200.0),
            200.0,
            np.full(n, 3.0),
            None if heat is None else np.full(n, heat),
        )[-1]
    )


def test_device_sees_more_when_nearer_on_axis_and_in_light_wind() -> None:
    assert _dilution(distance=10.0) > _dilution(distance=30.0) > _dilution(distance=100.0) > 0.0
    assert _dilution(wind=1.5) > _dilution(wind=3.0) > _dilution(wind=12.0)
    assert _dilution(offset=0.0) > _dilution(offset=10.0) > _dilution(offset=30.0)
    assert _dilution(offset=120.0) == 0.0


def test_a_pole_top_receptor_misses_a_nearby_ground_source() -> None:
    assert _dilution(distance=5.0, source_m=0.0) < 1e-3 * _dilution(distance=5.0)
    assert _dilution(distance=60.0, source_m=0.0) > 100 * _dilution(distance=5.0, source_m=0.0)


def test_a_hot_plume_rises_towards_an_elevated_receptor() -> None:
    assert _dilution(heat=5e4, source_m=1.0) > _dilution(source_m=1.0)


def test_plume_axis_follows_slow_wind_swings_only() -> None:
    times = np.arange(0.0, 7200.0, 60.0)
    steady = plume_axis_deviation_deg(np.full(times.shape, 230.0), 200.0, times)
    assert steady[0] == pytest.approx(30.0 * (1 - np.exp(-1 / 600.0)), rel=1e-6)
    assert steady[-1] == pytest.approx(30.0, abs=0.01)
    flicker = np.where(np.arange(times.shape[0]) % 2 == 0, 220.0, 180.0)
    assert np.abs(plume_axis_deviation_deg(flicker, 200.0, times)).max() < 5.0


def test_line_source_falls_with_distance_and_is_zero_upwind() -> None:
    n = 3
    times = np.arange(n, dtype=np.float64) * 60.0

    def road(distance: float, offset: float) -> float:
        return float(
            line_source_dilution(
                distance, offset, 1.5, 0.5, times, np.full(n, 3.0), np.full(n, 90.0), 90.0, np.full(n, 3.0)
            )[-1]
        )

    assert road(10.0, 0.0) > road(50.0, 0.0) > road(150.0, 0.0) > 0.0
    # An oblique wind crosses more road before reaching the device (the 1/cos φ fetch of an infinite line).
    assert road(20.0, 60.0) > road(20.0, 0.0)
    assert road(20.0, 150.0) == 0.0


def test_box_reaches_its_steady_state_with_its_time_constant() -> None:
    box = WellMixedBox(2.0, 1.0, 1.0, still_air_changes_per_hour=36.0, wind_coupling=0.0)
    removal = 36.0 / 3600.0
    times = np.array([0.0, 1.0, 1.0 + 1.0 / removal, 1000.0])
    emission = np.array([0.0, 5.0, 5.0, 5.0])
    wind = np.full(4, 3.0)
    concentration = box.concentration(emission, wind, times)
    steady = 5.0 / (box.volume_m3 * removal)
    assert concentration[0] == 0.0
    assert concentration[2] == pytest.approx(steady * (1 - np.exp(-1 - removal)), rel=1e-6)
    assert concentration[3] == pytest.approx(steady, rel=1e-3)
    assert box.outflow_mg_s(concentration, wind)[3] == pytest.approx(5.0, rel=1e-3)


def test_wall_loss_and_wind_lower_the_box_concentration() -> None:
    box = WellMixedBox(1.0, 1.0, 1.0, still_air_changes_per_hour=6.0, wind_coupling=0.1)
    times = np.arange(0.0, 20_000.0, 100.0)
    emission = np.full(times.shape, 2.0)
    calm = box.concentration(emission, np.full(times.shape, 0.5), times)[-1]
    windy = box.concentration(emission, np.full(times.shape, 10.0), times)[-1]
    lossy = box.concentration(emission, np.full(times.shape, 0.5), times, loss_rate_per_s=1e-3)[-1]
    assert windy < calm
    assert lossy < calm
    assert calm == pytest.approx(2.0 / (6.0 / 3600.0 + 0.1 * 0.5), rel=1e-6)
