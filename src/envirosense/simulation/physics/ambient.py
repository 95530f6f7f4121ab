"""Weather at the device over time, and the quiet (hazard-free) field it produces."""

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

FloatArray = NDArray[np.float64]

SECONDS_PER_DAY = 86_400.0


def ar1_noise(n: int, rng: np.random.Generator, times_s: FloatArray, correlation_s: float) -> FloatArray:
    """Unit-variance AR(1) (Ornstein-Uhlenbeck) noise at ``times_s`` with the given correlation time."""
    steps = np.diff(times_s, prepend=times_s[0])
    phi = np.exp(-steps / correlation_s)
    innovations = rng.standard_normal(n) * np.sqrt(1.0 - phi**2)
    innovations[0] = rng.standard_normal()
    out = np.empty(n)
    # A linear recurrence with time-varying coefficients; n is small (hundreds), so a loop is fine here.
    value = 0.0
    for i in range(n):
        value = phi[i] * value + innovations[i]
        out[i] = value
    return out


def solar_elevation_sin(hour_local: FloatArray) -> FloatArray:
    """Sine of the sun's elevation for a mid-latitude equinox day (0 at 06:00 and 18:00)."""
    return np.sin(np.pi * (hour_local - 6.0) / 12.0)


def simulate_ambient(
    env: EnvironmentParams, device: DeviceParams, times_s: FloatArray, rng: np.random.Generator
) -> AmbientConditions:
    """Weather at the device: diurnal temperature, humidity anti-correlated with it, gusty wind with
    meandering direction (σθ grows with turbulence, cf. Pasquill σθ of 2.5–25°), clear-sky irradiance
    scaled by cloud, and the enclosure heated by sun and electronics with a 10-minute lag.
    """
    n = times_s.shape[0]
    hour = (env.start_hour_local + times_s / 3600.0) % 24.0
    sun = np.clip(solar_elevation_sin(hour), 0.0, None)
    # Temperature peaks about 15:00: shift the sine by 3 h.
    temperature = env.mean_temperature_c + env.diurnal_amplitude_c * np.sin(np.pi * (hour - 9.0) / 12.0)
    temperature = temperature + 0.3 * ar1_noise(n, rng, times_s, 600.0)
    temperature = temperature - 0.4 * np.minimum(env.precipitation_mm_h, 10.0)
    # Relative humidity falls as temperature rises (constant vapour content, about -3.5 %RH/°C near 20 °C).
    humidity = env.relative_humidity_pct - 3.5 * (temperature - env.mean_temperature_c)
    humidity = humidity + 4.0 * np.tanh(env.precipitation_mm_h / 3.0) * (100 - humidity) / 50.0
    humidity = np.clip(humidity + 1.5 * ar1_noise(n, rng, times_s, 900.0), 5.0, 100.0)
    pressure = env.pressure_hpa + 0.4 * ar1_noise(n, rng, times_s, 3600.0)
    gust = env.turbulence_intensity * ar1_noise(n, rng, times_s, 20.0)
    wind_speed = np.clip(env.wind_speed_m_s * (1.0 + gust), 0.05, 75.0)
    sigma_theta = 5.0 + 40.0 * env.turbulence_intensity
    direction = (env.wind_direction_deg + sigma_theta * ar1_noise(n, rng, times_s, 120.0)) % 360.0
    irradiance = 1000.0 * sun * (1.0 - 0.75 * env.cloud_cover_fraction**3)
    rain = np.full(n, env.precipitation_mm_h)
    # The box heats by ~ 8 °C at full sun, ~ 3 °C from electronics, relaxing with a 600 s time constant.
    heat_target = temperature + 3.0 + 8.0 * irradiance / 1000.0 / (1.0 + 0.3 * wind_speed)
    enclosure = _first_order_lag(heat_target, times_s, 600.0)
    return AmbientConditions(
        air_temperature_c=temperature,
        relative_humidity_pct=humidity,
        pressure_hpa=pressure,
        wind_speed_m_s=wind_speed,
        wind_direction_deg=direction,
        solar_irradiance_w_m2=irradiance,
        precipitation_mm_h=rain,
        enclosure_temperature_c=enclosure,
    )


def _first_order_lag(target: FloatArray, times_s: FloatArray, tau_s: float) -> FloatArray:
    """Exponential approach to ``target`` with time constant ``tau_s``, starting at ``target[0]``."""
    out = np.empty_like(target)
    out[0] = target[0]
    alpha = 1.0 - np.exp(-np.diff(times_s) / tau_s)
    for i in range(1, target.shape[0]):
        out[i] = out[i - 1] + alpha[i - 1] * (target[i] - out[i - 1])
    return out


BACKGROUND_GASES_PPB: dict[str, float] = {
    "formaldehyde": 2.0,
    "acetaldehyde": 1.0,
    "acrolein": 0.1,
    "phenol": 0.05,
    "cresol": 0.02,
    "guaiacol": 0.01,
    "carbon_monoxide": 150.0,
    "hydrogen": 530.0,
    "hydrocarbons": 20.0,
    "ozone": 30.0,
    "nitrogen_dioxide": 8.0,
    "hydrogen_chloride": 0.1,
}
"""Clean rural air, ppb."""


def quiet_field(
    env: EnvironmentParams, device: DeviceParams, times_s: FloatArray, rng: np.random.Generator
) -> TrueField:
    """The true field with no hazard: background air, particles, the equipment's own load-driven heat,
    EMF and hum, weather noise, and a pole that sways with the wind."""
    n = times_s.shape[0]
    ambient = simulate_ambient(env, device, times_s, rng)
    slow = ar1_noise(n, rng, times_s, 1800.0)
    gases = {
        species: BACKGROUND_GASES_PPB[species] * np.exp(0.15 * slow) for species in GAS_SPECIES
    }
    # Ozone is photochemical: higher in sunshine.
    gases["ozone"] = gases["ozone"] * (0.6 + 0.8 * ambient.solar_irradiance_w_m2 / 1000.0)
    pm_background = 6.0 * np.exp(0.3 * slow) / (1.0 + 0.05 * ambient.wind_speed_m_s)
    particles = {
        "pm_below_1": 0.55 * pm_background,
        "pm_1_to_2_5": 0.25 * pm_background,
        "pm_2_5_to_4": 0.08 * pm_background,
        "pm_4_to_10": 0.5 * pm_background,
    }
    assert set(particles) == set(PARTICLE_BINS)
    load = device.grid_load_fraction * (1.0 + 0.03 * ar1_noise(n, rng, times_s, 900.0))
    # Conductors run warmer than air roughly as load^1.8 (Infraspection "Tmax corrected", n = 1.6–2).
    equipment_rise = 12.0 * np.clip(load, 0.0, None) ** 1.8
    sun_rise = 15.0 * ambient.solar_irradiance_w_m2 / 1000.0
    thermal = ThermalScene(
        background_c=ambient.air_temperature_c + 2.0 * ambient.solar_irradiance_w_m2 / 1000.0,
        hotspot_surface_c=ambient.air_temperature_c.copy(),
        hotspot_area_px=np.zeros(n),
        warm_region_c=ambient.air_temperature_c + equipment_rise + sun_rise,
        warm_region_area_px=np.full(n, 400.0),
    )
    wind_roar = 20.0 * np.log10(1.0 + ambient.wind_speed_m_s) * 2.0
    rain_noise = 10.0 * np.log10(1.0 + ambient.precipitation_mm_h) * 4.0
    acoustic = AcousticField(
        band_low_db=np.maximum(35.0 + wind_roar, 0.0),
        band_mid_db=30.0 + 0.5 * wind_roar + rain_noise,
        band_high_db=22.0 + 0.3 * wind_roar + rain_noise,
        band_ultrasonic_db=np.full(n, 12.0) + 0.5 * rain_noise,
        impulsiveness=np.clip(0.05 + 0.02 * ambient.precipitation_mm_h, 0.0, 1.0),
    )
    # A distribution line 10 m away, B = 0.2 I / r µT with I = 400 A × load.
    emf = ElectromagneticField(
        magnetic_field_ut=0.2 * 400.0 * np.clip(load, 0.0, None) / 10.0,
        frequency_hz=np.full(n, 50.0) + 0.02 * ar1_noise(n, rng, times_s, 60.0),
        harmonic_3_pct=np.full(n, 3.0) + 0.3 * slow,
        harmonic_5_pct=np.full(n, 1.5) + 0.2 * slow,
        hf_noise_db=np.full(n, 3.0),
    )
    lightning = LightningActivity(
        strike_rate_per_min=np.zeros(n),
        storm_distance_km=np.full(n, np.nan),
        disturber_rate_per_min=np.full(n, 0.2),
    )
    motion = MotionField(
        vibration_rms_g=0.002 + 0.0004 * ambient.wind_speed_m_s**1.5,
        sway_rate_dps=0.02 * ambient.wind_speed_m_s**1.5,
        tilt_deg=np.full(n, 0.5),
    )
    return TrueField(
        times_s=times_s,
        ambient=ambient,
        gases_ppb=gases,
        particles_ug_m3=particles,
        particle_median_diameter_um=np.full(n, 0.6),
        thermal=thermal,
        acoustic=acoustic,
        emf=emf,
        lightning=lightning,
        motion=motion,
    )
