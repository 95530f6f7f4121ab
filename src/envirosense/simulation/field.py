"""The true physical state at the device, over time: what the sensors would read if they were perfect.

Every array has shape ``(T,)``, one value per simulated timestep. Scenarios build a ``TrueField`` from
their sources and the weather (``envirosense.simulation.physics``); the device's sensor models
(``envirosense.simulation.sensors``) turn it into imperfect readings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

GAS_SPECIES: tuple[str, ...] = (
    "formaldehyde",
    "acetaldehyde",
    "acrolein",
    "phenol",
    "cresol",
    "guaiacol",
    "carbon_monoxide",
    "hydrogen",
    "hydrocarbons",
    "ozone",
    "nitrogen_dioxide",
    "hydrogen_chloride",
)
"""Gas species tracked at the device, all as mixing ratios in ppb."""

PARTICLE_BINS: tuple[str, ...] = ("pm_below_1", "pm_1_to_2_5", "pm_2_5_to_4", "pm_4_to_10")
"""Particle mass size bins (optical diameter, µm), each in µg/m³."""


@dataclass
class AmbientConditions:
    """Weather at the device."""

    air_temperature_c: FloatArray
    relative_humidity_pct: FloatArray
    pressure_hpa: FloatArray
    wind_speed_m_s: FloatArray
    wind_direction_deg: FloatArray
    solar_irradiance_w_m2: FloatArray
    precipitation_mm_h: FloatArray
    enclosure_temperature_c: FloatArray
    """Air inside the box: ambient plus solar and electronics heating, with the box's thermal lag."""


@dataclass
class ThermalScene:
    """What the thermal camera looks at: a background, one hotspot, one sun-warmed region."""

    background_c: FloatArray
    hotspot_surface_c: FloatArray
    """Temperature of the hotspot as a camera set to ε = 1 would see it if it filled a pixel, °C: the
    surface temperature through its emissivity and the air path (``physics.thermal``); equals the
    background when there is none."""
    hotspot_area_px: FloatArray
    """Area the hotspot covers on the 160×120 sensor, pixels (below 1: sub-pixel)."""
    warm_region_c: FloatArray
    """Surface temperature of sun-warmed or load-warmed hardware in view, °C."""
    warm_region_area_px: FloatArray
    hotspot_on_equipment: NDArray[np.bool_]
    """Whether the hotspot sits on the monitored equipment, inside the camera's regions of interest
    (a connection, a part of the installation), rather than elsewhere in view (vegetation, the ground)."""


@dataclass
class AcousticField:
    """Sound at the device, free-field, per band, dB SPL (before the microphone and wind noise)."""

    band_low_db: FloatArray
    band_mid_db: FloatArray
    band_high_db: FloatArray
    band_ultrasonic_db: FloatArray
    impulsiveness: FloatArray
    """0 (steady) to 1 (crackling, impulsive bursts)."""


@dataclass
class ElectromagneticField:
    """Power-frequency magnetic field and broadband RF noise at the device."""

    magnetic_field_ut: FloatArray
    frequency_hz: FloatArray
    harmonic_3_pct: FloatArray
    harmonic_5_pct: FloatArray
    hf_noise_db: FloatArray
    """Broadband 10 kHz–1 MHz noise above the quiet floor, dB (arcs, corona, switching)."""


@dataclass
class LightningActivity:
    strike_rate_per_min: FloatArray
    storm_distance_km: FloatArray
    """Distance to the storm head, km; NaN when there is no storm."""
    disturber_rate_per_min: FloatArray


@dataclass
class MotionField:
    vibration_rms_g: FloatArray
    sway_rate_dps: FloatArray
    """RMS angular rate of the pole's sway, °/s."""
    tilt_deg: FloatArray


@dataclass
class TrueField:
    """The full true state at the device over ``times_s``."""

    times_s: FloatArray
    ambient: AmbientConditions
    gases_ppb: dict[str, FloatArray]
    particles_ug_m3: dict[str, FloatArray]
    particle_median_diameter_um: FloatArray
    """Mass-median diameter of the fine (< 2.5 µm) particle mode, µm."""
    thermal: ThermalScene
    acoustic: AcousticField
    emf: ElectromagneticField
    lightning: LightningActivity
    motion: MotionField
    extras: dict[str, FloatArray] = field(default_factory=dict)
    """Scenario-specific diagnostics (not seen by sensors), e.g. the source's emission rate."""

    @property
    def n_steps(self) -> int:
        return int(self.times_s.shape[0])
