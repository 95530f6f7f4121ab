"""Time-series building blocks, the ambient weather and its events, the quiet field and lightning."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.simulation.field import GAS_SPECIES, PARTICLE_BINS
from envirosense.simulation.parameters import DeviceParams, EnvironmentParams
from envirosense.simulation.physics.ambient import load_profile, quiet_field, simulate_ambient
from envirosense.simulation.physics.lightning import REPORT_RANGE_KM, StormTrack, sferic_noise_db
from envirosense.simulation.physics.timeseries import (
    ar1_noise,
    first_order_lag,
    growth_profile,
    linear_recurrence,
    poisson_bursts,
)
from envirosense.simulation.physics.weather import (
    WeatherPerturbation,
    event_envelope,
    gust_front,
    heat_wave,
    high_wind,
    rain_storm,
)

TIMES = np.arange(0.0, 3600.0, 30.0)


def _loop(decay: np.ndarray, drive: np.ndarray, initial: float) -> np.ndarray:
    out = [initial]
    for a, b in zip(decay[1:], drive[1:], strict=True):
        out.append(a * out[-1] + b)
    return np.array(out)


def test_linear_recurrence_matches_the_loop_for_constant_and_varying_decay() -> None:
    rng = np.random.default_rng(0)
    drive = rng.normal(size=50)
    constant = np.full(50, 0.9)
    varying = rng.uniform(0.1, 0.99, size=50)
    assert linear_recurrence(constant, drive, 2.0) == pytest.approx(_loop(constant, drive, 2.0))
    assert linear_recurrence(varying, drive, 2.0) == pytest.approx(_loop(varying, drive, 2.0))
    assert linear_recurrence(constant[:1], drive[:1], 3.0).tolist() == [3.0]


def test_ar1_noise_is_unit_variance_correlated_and_seeded() -> None:
    times = np.arange(0.0, 200_000.0, 10.0)
    noise = ar1_noise(times, np.random.default_rng(1), 100.0)
    assert noise.std() == pytest.approx(1.0, abs=0.1)
    lag1 = np.corrcoef(noise[:-1], noise[1:])[0, 1]
    assert lag1 == pytest.approx(np.exp(-0.1), abs=0.02)
    assert np.array_equal(noise, ar1_noise(times, np.random.default_rng(1), 100.0))


def test_first_order_lag_reaches_63_percent_after_one_time_constant() -> None:
    times = np.arange(0.0, 1000.0, 1.0)
    target = np.where(times > 0, 10.0, 0.0)
    lagged = first_order_lag(target, times, 100.0)
    assert lagged[0] == 0.0
    assert lagged[100] == pytest.approx(10.0 * (1 - np.exp(-1.0)), rel=1e-9)


@pytest.mark.parametrize("shape", ["step", "linear", "t_squared", "logistic"])
def test_growth_profiles_start_at_onset_and_reach_full_strength(shape: str) -> None:
    profile = growth_profile(TIMES, 600.0, 900.0, shape)  # type: ignore[arg-type]
    assert np.all(profile[TIMES < 600.0] == 0.0)
    assert np.all(profile[TIMES >= 1500.0] == pytest.approx(1.0))
    assert np.all(np.diff(profile) >= -1e-12)
    assert profile[TIMES == 600.0][0] == (1.0 if shape == "step" else 0.0)


def test_poisson_bursts_average_the_rate() -> None:
    times = np.arange(0.0, 600_000.0, 60.0)
    count, duty = poisson_bursts(times, np.full(times.shape, 4.0), 0.5, np.random.default_rng(2))
    assert count.mean() == pytest.approx(4.0, rel=0.03)
    assert duty.mean() == pytest.approx(4.0 * 0.5 / 60.0, rel=0.03)
    assert np.all(duty <= 1.0)


def test_event_envelope_rises_holds_and_falls() -> None:
    envelope = event_envelope(TIMES, 600.0, 300.0, 2400.0)
    assert envelope[TIMES < 600.0].max() == 0.0
    assert envelope[(TIMES >= 900.0) & (TIMES <= 2700.0)].min() == pytest.approx(1.0)
    assert envelope[TIMES >= 3000.0].max() == 0.0


def test_perturbation_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="temperature_delta_c"):
        WeatherPerturbation(n_steps=3, temperature_delta_c=np.zeros(4))
    blank = WeatherPerturbation(n_steps=3)
    assert blank.irradiance_factor.tolist() == [1.0, 1.0, 1.0]
    assert blank.temperature_delta_c.tolist() == [0.0, 0.0, 0.0]


def _ambient(perturbation: WeatherPerturbation | None = None, **env: float):  # type: ignore[no-untyped-def]
    return simulate_ambient(EnvironmentParams(**env), TIMES, np.random.default_rng(3), perturbation)


def test_ambient_is_physical_and_reproducible() -> None:
    ambient = _ambient()
    assert np.all((ambient.relative_humidity_pct >= 5) & (ambient.relative_humidity_pct <= 100))
    assert np.all(ambient.wind_speed_m_s > 0) and np.all(ambient.solar_irradiance_w_m2 >= 0)
    assert np.all((ambient.wind_direction_deg >= 0) & (ambient.wind_direction_deg < 360))
    assert np.array_equal(ambient.air_temperature_c, _ambient().air_temperature_c)
    night = _ambient(start_hour_local=1.0)
    assert night.solar_irradiance_w_m2.max() == 0.0
    assert _ambient(cloud_cover_fraction=1.0).solar_irradiance_w_m2.mean() < ambient.solar_irradiance_w_m2.mean()


def test_weather_events_change_the_weather_the_way_they_should() -> None:
    n = TIMES.shape[0]
    full = np.ones(n)
    base = _ambient()
    rain = _ambient(rain_storm(full, 30.0))
    assert rain.precipitation_mm_h.min() == 30.0
    assert rain.relative_humidity_pct.mean() > base.relative_humidity_pct.mean() + 10
    assert rain.air_temperature_c.mean() < base.air_temperature_c.mean()
    wind = _ambient(high_wind(full, 3.0, 20.0))
    assert wind.wind_speed_m_s.mean() > 4 * base.wind_speed_m_s.mean()
    assert wind.pressure_hpa.mean() < base.pressure_hpa.mean()
    heat = _ambient(heat_wave(full, 10.0))
    assert heat.air_temperature_c.mean() == pytest.approx(base.air_temperature_c.mean() + 10.0, abs=0.01)
    storm = _ambient(gust_front(full, full, 20.0))
    assert storm.pressure_hpa.mean() > base.pressure_hpa.mean() + 1.5
    assert storm.wind_speed_m_s.mean() > base.wind_speed_m_s.mean() + 5


def test_quiet_field_carries_every_species_and_bin_and_its_diagnostics() -> None:
    field = quiet_field(EnvironmentParams(), DeviceParams(), TIMES, np.random.default_rng(4))
    assert set(field.gases_ppb) == set(GAS_SPECIES)
    assert set(field.particles_ug_m3) == set(PARTICLE_BINS)
    assert set(field.extras) == {"load_fraction", "pasquill_class", "nonlinear_load_share"}
    assert np.all(field.thermal.hotspot_area_px == 0.0)
    assert np.all(field.lightning.strike_rate_per_min == 0.0)
    assert np.all(field.thermal.warm_region_c > field.ambient.air_temperature_c)


def _quiet(env: EnvironmentParams, device: DeviceParams | None = None, seed: int = 5):  # type: ignore[no-untyped-def]
    return quiet_field(env, device or DeviceParams(), TIMES, np.random.default_rng(seed))


def test_polluted_air_carries_more_pm_co_and_no2() -> None:
    clean = _quiet(EnvironmentParams(background_pm2_5_ug_m3=3.0))
    urban = _quiet(EnvironmentParams(background_pm2_5_ug_m3=50.0))
    for species in ("carbon_monoxide", "nitrogen_dioxide", "hydrocarbons"):
        assert urban.gases_ppb[species].mean() > clean.gases_ppb[species].mean()
    assert urban.particles_ug_m3["pm_below_1"].mean() > 10 * clean.particles_ug_m3["pm_below_1"].mean()


def test_strong_dry_wind_lifts_coarse_dust() -> None:
    calm = _quiet(EnvironmentParams(wind_speed_m_s=3.0, relative_humidity_pct=30.0))
    gale = _quiet(EnvironmentParams(wind_speed_m_s=14.0, relative_humidity_pct=30.0))
    wet_gale = _quiet(EnvironmentParams(wind_speed_m_s=14.0, relative_humidity_pct=95.0))
    coarse = "pm_4_to_10"
    assert gale.particles_ug_m3[coarse].mean() > 10 * calm.particles_ug_m3[coarse].mean()
    assert wet_gale.particles_ug_m3[coarse].mean() < gale.particles_ug_m3[coarse].mean()
    assert gale.particle_median_diameter_um.mean() > calm.particle_median_diameter_um.mean()


def test_load_drives_equipment_heat_field_and_hum() -> None:
    low = _quiet(EnvironmentParams(), DeviceParams(grid_load_fraction=0.2))
    high = _quiet(EnvironmentParams(), DeviceParams(grid_load_fraction=1.1))
    assert high.emf.magnetic_field_ut.mean() > 5 * low.emf.magnetic_field_ut.mean()
    assert high.thermal.warm_region_c.mean() > low.thermal.warm_region_c.mean() + 5
    assert high.acoustic.band_low_db.mean() > low.acoustic.band_low_db.mean()


def test_daily_load_cycle_peaks_at_its_hour() -> None:
    day = np.arange(0.0, 86_400.0, 600.0)
    env = EnvironmentParams(start_hour_local=0.0)
    load = load_profile(env, DeviceParams(grid_load_fraction=0.6), day, np.random.default_rng(6), 0.4, 18.0)
    assert abs(day[int(np.argmax(load))] / 3600.0 - 18.0) < 1.5
    assert load.max() / load.min() > 2.0


def test_storm_track_distance_rate_and_range() -> None:
    track = StormTrack(
        closest_distance_km=4.0,
        speed_km_h=36.0,
        closest_time_s=1800.0,
        peak_flash_rate_per_min=10.0,
        activity_half_life_s=3600.0,
    )
    times = np.array([0.0, 1800.0, 3600.0, 30_000.0])
    distance = track.distance_km(times)
    assert distance[1] == 4.0 and distance[0] == pytest.approx(np.hypot(4.0, 18.0))
    activity = track.activity(times, np.zeros(4))
    assert activity.strike_rate_per_min[1] == 10.0
    assert distance[3] > REPORT_RANGE_KM and np.isnan(activity.storm_distance_km[3])
    assert activity.strike_rate_per_min[3] == 0.0
    proximity = track.proximity(times)
    assert proximity[1] == proximity.max()


def test_sferic_noise_falls_with_distance_and_needs_flashes() -> None:
    noise = sferic_noise_db(np.array([5.0, 5.0, 0.0, 5.0]), np.array([2.0, 20.0, 2.0, np.nan]))
    assert noise[0] > noise[1] >= 0.0
    assert noise[2] == 0.0 and noise[3] == 0.0
