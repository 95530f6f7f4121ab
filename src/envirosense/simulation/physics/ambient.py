"""Weather at the device over time, and the quiet (hazard-free) field it produces.

Models:

- Air temperature: a diurnal sine peaking at 15:00 local time plus slow AR(1) weather noise; rain
  cools. Humidity follows temperature at constant vapour content (≈ −3.5 %RH/°C near 20 °C).
- Wind: mean speed with AR(1) gusts (turbulence intensity = gust std / mean) and a meandering
  direction whose spread grows with turbulence (cf. Pasquill σθ of 2.5–25° [S58]).
- Sun: clear-sky irradiance ``1000 · sin(elevation)`` for an equinox day, reduced by cloud as
  ``1 − 0.75 c³`` (Kasten & Czeplak 1980).
- Stability: Pasquill classes from wind, sun and cloud (``stability.pasquill_class``).
- Enclosure: the box heats by sun and electronics with a 10-minute first-order lag.
- Quiet field: clean-to-polluted background air set by ``background_pm2_5_ug_m3`` (urban air carries
  more CO, NO₂ and hydrocarbons with its PM), photochemical ozone, wind-blown dust above a threshold
  wind, the equipment's load-driven heating (ΔT ∝ load^1.8 [S56]) and solar loading, transformer hum
  and wind/rain noise, the line's 50 Hz field (three-phase line, 1/r² [S66][S67]) with feeder
  harmonics set by the share of rectifier loads (drawn per run, peaking in the evening), a radio-noise
  floor driven by load, wet conductors, rain and dust static (``physics.emf``), and a pole swaying in
  the wind.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.field import (
    GAS_SPECIES,
    PARTICLE_BINS,
    AcousticField,
    AmbientConditions,
    ElectromagneticField,
    LightningActivity,
    MotionField,
    ThermalScene,
    TrueField,
)
from envirosense.simulation.parameters import DeviceParams, EnvironmentParams
from envirosense.simulation.physics.acoustics import ambient_noise_db
from envirosense.simulation.physics.emf import (
    conductor_wetness,
    evening_peak,
    feeder_harmonics_pct,
    magnetic_flux_density_ut,
    radio_noise_floor_db,
)
from envirosense.simulation.physics.emissions import DUST_MEDIAN_DIAMETER_UM, DUST_SIZE_FRACTIONS
from envirosense.simulation.physics.stability import pasquill_class
from envirosense.simulation.physics.thermal import load_temperature_rise, solar_temperature_rise, wind_cooling_factor
from envirosense.simulation.physics.timeseries import ar1_noise, first_order_lag
from envirosense.simulation.physics.units import power_sum_db
from envirosense.simulation.physics.weather import WeatherPerturbation

FloatArray = NDArray[np.float64]

RATED_LINE_CURRENT_A = 400.0
LINE_DISTANCE_M = 6.0
LINE_PHASE_SPACING_M = 1.0
EQUIPMENT_RATED_RISE_C = 12.0
"""Rise of healthy equipment over ambient at rated load, °C (within NETA's 'no action' band)."""
EQUIPMENT_THERMAL_TAU_S = 1200.0
EQUIPMENT_AREA_PX = 400.0
"""Pixels the watched equipment covers in the thermal image."""

CLEAN_AIR_PPB: dict[str, float] = {
    "formaldehyde": 1.5,
    "acetaldehyde": 0.8,
    "acrolein": 0.1,
    "phenol": 0.05,
    "cresol": 0.02,
    "guaiacol": 0.01,
    "carbon_monoxide": 120.0,
    "hydrogen": 530.0,
    "hydrocarbons": 15.0,
    "ozone": 30.0,
    "nitrogen_dioxide": 3.0,
    "hydrogen_chloride": 0.1,
}
"""Clean rural air, ppb."""
POLLUTION_PPB_PER_UG_M3: dict[str, float] = {
    "formaldehyde": 0.05,
    "acetaldehyde": 0.03,
    "carbon_monoxide": 8.0,
    "hydrocarbons": 1.0,
    "nitrogen_dioxide": 0.6,
}
"""Extra ppb of each gas per µg/m³ of background PM2.5 above clean air (urban-type pollution:
PM2.5/CO ≈ 1/8 µg m⁻³ ppb⁻¹ ≈ 125 µg m⁻³ ppm⁻¹ is 'urban', 2–20× below fresh smoke [S75] [derived])."""
CLEAN_AIR_PM2_5_UG_M3 = 3.0
BACKGROUND_FINE_MMD_UM = 0.6
"""Mass-median diameter of the background fine mode, µm (a typical ambient aerosol)."""
SITE_NONLINEAR_SHARE = (0.08, 0.3)
"""Range of a feeder's share of rectifier loads (switch-mode supplies, LED drivers), drawn per run."""
DUST_RESUSPENSION_THRESHOLD_M_S = 6.0
"""Wind above which dry soil and road dust are lifted (saltation threshold ≈ 6 m/s at 10 m) [unverified];
the dust flux grows as the cube of the excess wind (Bagnold-type scaling)."""


def local_hour(env: EnvironmentParams, times_s: FloatArray) -> FloatArray:
    """Local solar time at each timestep, hours in [0, 24)."""
    result: FloatArray = (env.start_hour_local + times_s / 3600.0) % 24.0
    return result


def solar_elevation_sin(hour_local: FloatArray) -> FloatArray:
    """Sine of the sun's elevation for a mid-latitude equinox day (0 at 06:00 and 18:00)."""
    result: FloatArray = np.sin(np.pi * (hour_local - 6.0) / 12.0)
    return result


def simulate_ambient(
    env: EnvironmentParams,
    times_s: FloatArray,
    rng: np.random.Generator,
    perturbation: WeatherPerturbation | None = None,
) -> AmbientConditions:
    """Weather at the device for every timestep, with an optional weather event applied."""
    n = times_s.shape[0]
    change = perturbation if perturbation is not None else WeatherPerturbation(n_steps=n)
    hour = local_hour(env, times_s)
    sun = np.clip(solar_elevation_sin(hour), 0.0, None)
    rain = np.clip(env.precipitation_mm_h + change.precipitation_mm_h, 0.0, None)
    temperature = env.mean_temperature_c + env.diurnal_amplitude_c * np.sin(np.pi * (hour - 9.0) / 12.0)
    temperature = temperature + 0.3 * ar1_noise(times_s, rng, 600.0) - 0.4 * np.minimum(rain, 10.0)
    temperature = temperature + change.temperature_delta_c
    humidity = env.relative_humidity_pct - 3.5 * (temperature - env.mean_temperature_c)
    humidity = humidity + 4.0 * np.tanh(rain / 3.0) * (100.0 - humidity) / 50.0 + change.humidity_delta_pct
    humidity = np.clip(humidity + 1.5 * ar1_noise(times_s, rng, 900.0), 5.0, 100.0)
    pressure = env.pressure_hpa + 0.4 * ar1_noise(times_s, rng, 3600.0) + change.pressure_delta_hpa
    turbulence = np.clip(env.turbulence_intensity + change.turbulence_delta, 0.0, 1.0)
    mean_wind = np.clip(env.wind_speed_m_s + change.wind_speed_delta_m_s, 0.2, None)
    wind_speed = np.clip(mean_wind * (1.0 + turbulence * ar1_noise(times_s, rng, 20.0)), 0.05, 75.0)
    sigma_theta = 5.0 + 40.0 * turbulence
    direction = env.wind_direction_deg + change.wind_direction_shift_deg + sigma_theta * ar1_noise(times_s, rng, 120.0)
    irradiance = 1000.0 * sun * (1.0 - 0.75 * env.cloud_cover_fraction**3) * np.clip(change.irradiance_factor, 0.0, 1.3)
    heat_target = temperature + 3.0 + 8.0 * irradiance / 1000.0 / (1.0 + 0.3 * wind_speed)
    return AmbientConditions(
        air_temperature_c=temperature,
        relative_humidity_pct=humidity,
        pressure_hpa=pressure,
        wind_speed_m_s=wind_speed,
        wind_direction_deg=direction % 360.0,
        solar_irradiance_w_m2=irradiance,
        precipitation_mm_h=rain,
        enclosure_temperature_c=first_order_lag(heat_target, times_s, 600.0),
    )


def atmospheric_stability(env: EnvironmentParams, ambient: AmbientConditions, times_s: FloatArray) -> FloatArray:
    """Pasquill class (0 = A … 5 = F, half-classes allowed) at each timestep."""
    return pasquill_class(
        ambient.wind_speed_m_s,
        ambient.solar_irradiance_w_m2,
        env.cloud_cover_fraction,
        solar_elevation_sin(local_hour(env, times_s)),
    )


def rated_line_field_ut() -> float:
    """Magnetic flux density at the device when the line carries its rated current, µT: what a box
    records at commissioning to turn its field reading into a load estimate (field ∝ current)."""
    return float(
        magnetic_flux_density_ut(
            "three_phase_line", np.array(RATED_LINE_CURRENT_A), LINE_DISTANCE_M, LINE_PHASE_SPACING_M
        )
    )


def load_profile(
    env: EnvironmentParams,
    device: DeviceParams,
    times_s: FloatArray,
    rng: np.random.Generator,
    daily_amplitude: float = 0.0,
    peak_hour: float = 18.0,
) -> FloatArray:
    """Load current / rated current at each timestep: the device's load, an optional daily cycle
    ``1 + A cos(2π (h − peak)/24)``, and ±3 % slow fluctuation."""
    cycle = 1.0 + daily_amplitude * np.cos(2.0 * np.pi * (local_hour(env, times_s) - peak_hour) / 24.0)
    result: FloatArray = np.clip(
        device.grid_load_fraction * cycle * (1.0 + 0.03 * ar1_noise(times_s, rng, 900.0)), 0.0, 1.5
    )
    return result


def quiet_field(
    env: EnvironmentParams,
    device: DeviceParams,
    times_s: FloatArray,
    rng: np.random.Generator,
    *,
    perturbation: WeatherPerturbation | None = None,
    load: FloatArray | None = None,
) -> TrueField:
    """The true field with no hazard. ``load`` (ratio, shape (T,)) defaults to ``load_profile`` with no
    daily cycle. Extras record ``load_fraction`` and ``pasquill_class``."""
    n = times_s.shape[0]
    ambient = simulate_ambient(env, times_s, rng, perturbation)
    if load is None:
        load = load_profile(env, device, times_s, rng)
    stability = atmospheric_stability(env, ambient, times_s)
    slow = ar1_noise(times_s, rng, 1800.0)
    pm_regional = env.background_pm2_5_ug_m3 * np.exp(0.25 * slow) / (1.0 + 0.04 * ambient.wind_speed_m_s)
    pollution = np.clip(pm_regional - CLEAN_AIR_PM2_5_UG_M3, 0.0, None)
    gases = {}
    for species in GAS_SPECIES:
        level = CLEAN_AIR_PPB[species] * np.exp(0.1 * slow)
        gases[species] = level + POLLUTION_PPB_PER_UG_M3.get(species, 0.0) * pollution
    sunshine = ambient.solar_irradiance_w_m2 / 1000.0
    gases["ozone"] = np.clip(gases["ozone"] * (0.6 + 0.8 * sunshine) - 0.5 * gases["nitrogen_dioxide"], 2.0, None)
    particles = {
        "pm_below_1": 0.65 * pm_regional,
        "pm_1_to_2_5": 0.35 * pm_regional,
        "pm_2_5_to_4": 0.15 * pm_regional,
        "pm_4_to_10": 0.55 * pm_regional,
    }
    assert set(particles) == set(PARTICLE_BINS)
    dryness = np.clip((75.0 - ambient.relative_humidity_pct) / 30.0, 0.0, 1.0)
    excess_wind = np.clip(ambient.wind_speed_m_s - DUST_RESUSPENSION_THRESHOLD_M_S, 0.0, None)
    dust = np.minimum(0.5 * excess_wind**3 * dryness, 600.0)
    for name, fraction in zip(PARTICLE_BINS, DUST_SIZE_FRACTIONS, strict=True):
        particles[name] = particles[name] + fraction * dust
    fine_dust = (DUST_SIZE_FRACTIONS[0] + DUST_SIZE_FRACTIONS[1]) * dust
    median_diameter = np.exp(
        (pm_regional * np.log(BACKGROUND_FINE_MMD_UM) + fine_dust * np.log(DUST_MEDIAN_DIAMETER_UM))
        / (pm_regional + fine_dust)
    )
    air = ambient.air_temperature_c
    equipment = air + first_order_lag(
        load_temperature_rise(EQUIPMENT_RATED_RISE_C, load, 1.8) * wind_cooling_factor(ambient.wind_speed_m_s),
        times_s,
        EQUIPMENT_THERMAL_TAU_S,
    )
    equipment = equipment + solar_temperature_rise(ambient.solar_irradiance_w_m2, 0.6, ambient.wind_speed_m_s, air)
    background = air + solar_temperature_rise(ambient.solar_irradiance_w_m2, 0.4, ambient.wind_speed_m_s, air)
    thermal = ThermalScene(
        background_c=background,
        hotspot_surface_c=background.copy(),
        hotspot_area_px=np.zeros(n),
        warm_region_c=equipment,
        warm_region_area_px=np.full(n, EQUIPMENT_AREA_PX),
        hotspot_on_equipment=np.zeros(n, dtype=bool),
    )
    noise = ambient_noise_db(ambient.wind_speed_m_s, ambient.precipitation_mm_h)
    hum_db = 42.0 + 20.0 * np.log10(np.maximum(load, 0.05))
    acoustic = AcousticField(
        band_low_db=power_sum_db(noise["low"], hum_db),
        band_mid_db=noise["mid"],
        band_high_db=noise["high"],
        band_ultrasonic_db=noise["ultrasonic"],
        impulsiveness=np.clip(0.05 + 0.02 * ambient.precipitation_mm_h, 0.0, 1.0),
    )
    site_share = rng.uniform(*SITE_NONLINEAR_SHARE)
    nonlinear = site_share * (0.6 + 0.8 * evening_peak(local_hour(env, times_s))) * np.exp(0.1 * slow)
    harmonic_3, harmonic_5 = feeder_harmonics_pct(nonlinear)
    wetness = conductor_wetness(ambient.relative_humidity_pct, ambient.precipitation_mm_h)
    floor = radio_noise_floor_db(load, wetness, ambient.precipitation_mm_h, dust)
    emf = ElectromagneticField(
        magnetic_field_ut=magnetic_flux_density_ut(
            "three_phase_line", RATED_LINE_CURRENT_A * load, LINE_DISTANCE_M, LINE_PHASE_SPACING_M
        ),
        frequency_hz=50.0 + 0.02 * ar1_noise(times_s, rng, 60.0),
        harmonic_3_pct=harmonic_3,
        harmonic_5_pct=harmonic_5,
        hf_noise_db=np.clip(floor + ar1_noise(times_s, rng, 300.0), 0.0, None),
    )
    lightning = LightningActivity(
        strike_rate_per_min=np.zeros(n),
        storm_distance_km=np.full(n, np.nan),
        disturber_rate_per_min=np.full(n, 0.2),
    )
    motion = MotionField(
        vibration_rms_g=0.002 + 0.001 * load + 0.0004 * ambient.wind_speed_m_s**1.5,
        sway_rate_dps=0.02 * ambient.wind_speed_m_s**1.5,
        tilt_deg=np.full(n, 0.5),
    )
    extras = {"load_fraction": load, "pasquill_class": stability, "nonlinear_load_share": nonlinear}
    return TrueField(
        times_s=times_s,
        ambient=ambient,
        gases_ppb=gases,
        particles_ug_m3=particles,
        particle_median_diameter_um=median_diameter,
        thermal=thermal,
        acoustic=acoustic,
        emf=emf,
        lightning=lightning,
        motion=motion,
        extras=extras,
    )
