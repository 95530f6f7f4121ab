"""True fields for sensor-model tests: calm and constant, realistic and quiet, or wildly out of range."""

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
from envirosense.simulation.physics.ambient import quiet_field

FloatArray = NDArray[np.float64]

NO_DROPOUTS = DeviceParams(dropout_probability=0.0)

CLEAN_AIR_PPB: dict[str, float] = {
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


def constant_field(n: int, dt: float = 1.0) -> TrueField:
    """A deterministic, steady, ordinary field over ``n`` readings ``dt`` seconds apart (tests edit it)."""

    def full(value: float) -> FloatArray:
        return np.full(n, value)

    return TrueField(
        times_s=np.arange(n, dtype=np.float64) * dt,
        ambient=AmbientConditions(
            air_temperature_c=full(20.0),
            relative_humidity_pct=full(50.0),
            pressure_hpa=full(1013.0),
            wind_speed_m_s=full(3.0),
            wind_direction_deg=full(200.0),
            solar_irradiance_w_m2=full(300.0),
            precipitation_mm_h=full(0.0),
            enclosure_temperature_c=full(25.0),
        ),
        gases_ppb={species: full(CLEAN_AIR_PPB[species]) for species in GAS_SPECIES},
        particles_ug_m3={
            "pm_below_1": full(4.0),
            "pm_1_to_2_5": full(2.0),
            "pm_2_5_to_4": full(0.6),
            "pm_4_to_10": full(3.0),
        },
        particle_median_diameter_um=full(0.6),
        thermal=ThermalScene(
            background_c=full(20.0),
            hotspot_surface_c=full(20.0),
            hotspot_area_px=full(0.0),
            warm_region_c=full(28.0),
            warm_region_area_px=full(400.0),
            hotspot_on_equipment=np.zeros(n, dtype=bool),
        ),
        acoustic=AcousticField(
            band_low_db=full(45.0),
            band_mid_db=full(35.0),
            band_high_db=full(25.0),
            band_ultrasonic_db=full(12.0),
            impulsiveness=full(0.05),
        ),
        emf=ElectromagneticField(
            magnetic_field_ut=full(2.0),
            frequency_hz=full(50.0),
            harmonic_3_pct=full(3.0),
            harmonic_5_pct=full(1.5),
            hf_noise_db=full(3.0),
        ),
        lightning=LightningActivity(
            strike_rate_per_min=full(0.0), storm_distance_km=full(np.nan), disturber_rate_per_min=full(0.2)
        ),
        motion=MotionField(vibration_rms_g=full(0.005), sway_rate_dps=full(0.1), tilt_deg=full(0.5)),
    )


def realistic_field(n: int, dt: float = 10.0, seed: int = 0, **environment: float) -> TrueField:
    """The physics package's quiet field (weather noise, diurnal cycle, load-driven heat and EMF)."""
    env = EnvironmentParams(**environment)
    return quiet_field(env, DeviceParams(), np.arange(n, dtype=np.float64) * dt, np.random.default_rng(seed))


def wild_field(n: int, rng: np.random.Generator) -> TrueField:
    """Every truth drawn far beyond physical and data-sheet ranges (log-uniform over many decades, NaN
    storm distances, negative values where a transport bug could produce them)."""

    def spread(low: float, high: float) -> FloatArray:
        return rng.uniform(low, high, n)

    def decades(high: float) -> FloatArray:
        return 10.0 ** rng.uniform(-6.0, np.log10(high), n)

    return TrueField(
        times_s=np.cumsum(rng.uniform(0.05, 120.0, n)),
        ambient=AmbientConditions(
            air_temperature_c=spread(-80.0, 120.0),
            relative_humidity_pct=spread(-5.0, 110.0),
            pressure_hpa=spread(100.0, 1500.0),
            wind_speed_m_s=spread(-1.0, 150.0),
            wind_direction_deg=spread(-720.0, 720.0),
            solar_irradiance_w_m2=spread(-10.0, 2000.0),
            precipitation_mm_h=spread(0.0, 300.0),
            enclosure_temperature_c=spread(-80.0, 150.0),
        ),
        gases_ppb={species: decades(1e9) for species in GAS_SPECIES},
        particles_ug_m3={name: decades(1e7) for name in PARTICLE_BINS},
        particle_median_diameter_um=decades(100.0),
        thermal=ThermalScene(
            background_c=spread(-100.0, 700.0),
            hotspot_surface_c=spread(-100.0, 3000.0),
            hotspot_area_px=decades(1e6),
            warm_region_c=spread(-100.0, 900.0),
            warm_region_area_px=decades(1e6),
            hotspot_on_equipment=np.ones(n, dtype=bool),
        ),
        acoustic=AcousticField(
            band_low_db=spread(-50.0, 250.0),
            band_mid_db=spread(-50.0, 250.0),
            band_high_db=spread(-50.0, 250.0),
            band_ultrasonic_db=spread(-50.0, 250.0),
            impulsiveness=spread(-1.0, 2.0),
        ),
        emf=ElectromagneticField(
            magnetic_field_ut=decades(1e6),
            frequency_hz=spread(0.0, 5000.0),
            harmonic_3_pct=spread(-10.0, 300.0),
            harmonic_5_pct=spread(-10.0, 300.0),
            hf_noise_db=spread(-20.0, 300.0),
        ),
        lightning=LightningActivity(
            strike_rate_per_min=decades(1e6),
            storm_distance_km=np.where(rng.random(n) < 0.3, np.nan, spread(0.0, 200.0)),
            disturber_rate_per_min=decades(1e6),
        ),
        motion=MotionField(vibration_rms_g=decades(1e3), sway_rate_dps=decades(1e5), tilt_deg=spread(-360.0, 360.0)),
    )
