"""Shared pieces of the scenario catalogue: source geometry and timing parameters, and the steps every
scenario takes to put a source's gases, heat, sound and noise into the true field.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from envirosense.schemas import ClassLabel
from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.parameters import (
    DeviceParams,
    EnvironmentParams,
    ParamModel,
    ScenarioParams,
    param_ranges,
)
from envirosense.simulation.physics.acoustics import (
    BAND_CENTRE_HZ,
    iso9613_absorption_db_m,
    mix_impulsiveness,
    propagate_level,
)
from envirosense.simulation.physics.emf import broadband_noise_db
from envirosense.simulation.physics.plume import PlumeGeometry, plume_dilution
from envirosense.simulation.physics.thermal import apparent_temperature, hotspot_area_px, path_transmission
from envirosense.simulation.physics.timeseries import GrowthShape, growth_profile
from envirosense.simulation.physics.units import power_sum_db
from envirosense.simulation.physics.weather import event_envelope
from envirosense.simulation.scenario import BaseScenario

FloatArray = NDArray[np.float64]
P = TypeVar("P", bound=ScenarioParams)

SPS30 = "sensor_readings_map.U20_SPS30"
VOC = "sensor_readings_map.U19_TFSGS"
THERMAL = "sensor_readings_map.U26_Lepton35"
MIC_UPPER = "sensor_readings_map.U27_SPU0410HR5H"
MIC_LOWER = "sensor_readings_map.U28_SPU0410HR5H"
EMF = "sensor_readings_map.U29_TFEMF"
LIGHTNING = "sensor_readings_map.U25_AS3935"
WIND = "sensor_readings_map.U24_FT205"
PRESSURE = "sensor_readings_map.U23_BMP388"
TH_OUTSIDE = "sensor_readings_map.U22_SHT85"
TH_INSIDE = "sensor_readings_map.U21_SHT85"
IMU = "sensor_readings_map.U30_BMI270"

SMOKE_FEATURES: tuple[str, ...] = (
    f"{SPS30}.mass_concentration_pm1_0_ug_m3",
    f"{SPS30}.mass_concentration_pm2_5_ug_m3",
    f"{SPS30}.typical_particle_size_um",
    f"{VOC}.general_reducing_ppb",
)
HOTSPOT_FEATURES: tuple[str, ...] = (
    f"{THERMAL}.max_temperature_c",
    f"{THERMAL}.hotspot_delta_c",
    f"{THERMAL}.hotspot_pixel_count",
    f"{THERMAL}.hotspot_area_px",
)
ROI_FEATURES: tuple[str, ...] = (f"{THERMAL}.roi_delta_c",)
"""The camera's comparison of the monitored connections with their similar parts (``sensors.thermal_camera``)."""
RATED_ROI_FEATURE = f"{THERMAL}.roi_delta_rated_c"
"""That comparison referred to rated load: the load does not drive it for a joint, it does for heat that
does not come from the current (sun, pyrolysis)."""
ULTRASOUND_FEATURES: tuple[str, ...] = (f"{MIC_UPPER}.band_ultrasonic_db", f"{MIC_LOWER}.band_ultrasonic_db")
IMPULSE_FEATURES: tuple[str, ...] = (
    f"{MIC_UPPER}.crest_factor_db",
    f"{MIC_UPPER}.band_high_db",
    f"{EMF}.hf_noise_db",
)


NEAR_FIELD_SIGMA_M = 1.0
"""Smallest initial plume spread, m: the wake of the pole, crossarm and equipment mixes the near field."""


def drivers(mapping: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    """An immutable ``sensor_drivers`` table: parameter path → the feature paths it mainly drives."""
    return MappingProxyType(dict(mapping))


class SourceGeometry(ParamModel):
    """Where an outdoor source sits relative to the device (see ``physics.plume.PlumeGeometry``)."""

    distance_m: float = Field(12.0, ge=1, le=40, description="Horizontal distance from source to device, m.")
    bearing_offset_deg: float = Field(
        5.0, ge=0, le=15, description="Angle between the mean downwind direction and the source→device line, °."
    )
    height_offset_m: float = Field(
        -2.0, ge=-6, le=2, description="Height of the source relative to the device (clipped at the ground), m."
    )
    size_m: float = Field(
        0.4, ge=0.05, le=2.0, description="Extent of the material (the plume's initial spread; a flame's base), m."
    )
    terrain: Literal["rural", "urban"] = Field("rural", description="Surroundings for the dispersion coefficients.")
    in_camera_view: bool = Field(True, description="Whether the thermal camera's field of view covers the source.")


class EquipmentGeometry(ParamModel):
    """Where a fault on the watched equipment sits relative to the device."""

    distance_m: float = Field(6.0, ge=1, le=15, description="Distance from the faulty part to the device, m.")
    bearing_offset_deg: float = Field(
        15.0, ge=0, le=45, description="Angle between the mean downwind direction and the part→device line, °."
    )
    height_offset_m: float = Field(0.0, ge=-3, le=3, description="Height of the faulty part relative to the device, m.")


class CoronaGeometry(EquipmentGeometry):
    """Where a corona source sits: anywhere on the equipment or the line within earshot."""

    distance_m: float = Field(8.0, ge=1, le=30, description="Distance from the corona to the device, m.")


class HazardTiming(ParamModel):
    """When a hazard starts and how it grows."""

    onset_fraction: float = Field(0.2, ge=0, le=0.6, description="Onset time as a fraction of the duration.")
    ramp_seconds: float = Field(600.0, ge=30, le=3600, description="Time from onset to full strength, s.")
    growth: GrowthShape = Field("t_squared", description="Growth curve: step, linear, t_squared or logistic.")


class EventTiming(ParamModel):
    """When a weather event arrives and how long it lasts."""

    start_fraction: float = Field(0.1, ge=0, le=0.5, description="Start as a fraction of the duration.")
    rise_seconds: float = Field(600.0, ge=60, le=3600, description="Time to reach full strength, s.")
    duration_fraction: float = Field(0.8, ge=0.3, le=1.0, description="Length as a fraction of the duration.")

    def envelope(self, times_s: FloatArray, scenario_duration_s: float) -> FloatArray:
        return event_envelope(
            times_s,
            self.start_fraction * scenario_duration_s,
            self.rise_seconds,
            self.duration_fraction * scenario_duration_s,
        )


class HazardParams(ScenarioParams):
    """Parameters of every hazard scenario: shared weather/device plus timing."""

    timing: HazardTiming = Field(default_factory=HazardTiming, description="Onset and growth.")


H = TypeVar("H", bound=HazardParams)


class CatalogueScenario(BaseScenario[P]):
    """A scenario of the built-in catalogue. ``intensity_parameter`` and ``distance_parameter`` name the
    parameters that set the source's strength and its distance (``None`` when there is none), so that
    analyses can bin results by them."""

    intensity_parameter: ClassVar[str | None] = None
    distance_parameter: ClassVar[str | None] = None

    def normal_labels(self, n_steps: int, source_distance_m: float | None = None) -> LabelTrack:
        return LabelTrack.constant(
            n_steps,
            ClassLabel.NORMAL,
            self.event_type,
            type(self).__name__,
            is_confounder=self.is_confounder,
            source_distance_m=source_distance_m,
        )


class HazardScenario(CatalogueScenario[H]):
    """A hazard with an onset and a growth curve; labelled ``normal`` before the onset."""

    @property
    def onset_seconds(self) -> float:
        return self.params.timing.onset_fraction * self.params.duration_seconds

    def growth(self, times_s: FloatArray) -> FloatArray:
        """Source strength relative to its peak, 0 before the onset (``physics.timeseries.growth_profile``)."""
        timing = self.params.timing
        return growth_profile(times_s, self.onset_seconds, timing.ramp_seconds, timing.growth)

    def hazard_labels(self, times_s: FloatArray, severity: FloatArray, source_distance_m: float | None) -> LabelTrack:
        return LabelTrack.hazard(
            times_s,
            self.class_label,
            self.event_type,
            type(self).__name__,
            onset_seconds=self.onset_seconds,
            severity=severity,
            source_distance_m=source_distance_m,
        )


def range_fraction(model: type[ParamModel], path: str, value: float) -> float:
    """Where ``value`` sits in the declared range of the parameter at ``path`` of ``model``, 0–1."""
    declared = param_ranges(model)[path]
    assert declared.lower is not None and declared.upper is not None
    return float(np.clip((value - declared.lower) / (declared.upper - declared.lower), 0.0, 1.0))


def source_height(source: SourceGeometry, device: DeviceParams) -> float:
    """Height of an outdoor source above ground, m."""
    return max(device.mounting_height_m + source.height_offset_m, 0.0)


def source_distance(source: SourceGeometry, device: DeviceParams) -> float:
    """Straight-line distance from an outdoor source to the device, m."""
    return float(np.hypot(source.distance_m, source_height(source, device) - device.mounting_height_m))


def outdoor_dilution(
    field: TrueField,
    env: EnvironmentParams,
    device: DeviceParams,
    source: SourceGeometry,
    heat_release_w: FloatArray | None = None,
    initial_sigma_m: float = 0.0,
) -> FloatArray:
    """Plume dilution C/Q (s/m³) at the device from an outdoor source, for every timestep.

    The plume starts with a spread of the source's size (``size_m / 2.15``, Turner's virtual source),
    ``initial_sigma_m`` or ``NEAR_FIELD_SIGMA_M``, whichever is largest.
    """
    geometry = PlumeGeometry(
        distance_m=source.distance_m,
        bearing_offset_deg=source.bearing_offset_deg,
        source_height_m=source_height(source, device),
        receptor_height_m=device.mounting_height_m,
        initial_sigma_m=max(source.size_m / 2.15, initial_sigma_m, NEAR_FIELD_SIGMA_M),
        terrain=source.terrain,
    )
    return plume_dilution(
        geometry,
        field.times_s,
        field.ambient.wind_speed_m_s,
        field.ambient.wind_direction_deg,
        env.wind_direction_deg,
        field.extras["pasquill_class"],
        heat_release_w,
    )


def equipment_dilution(
    field: TrueField, env: EnvironmentParams, device: DeviceParams, source: EquipmentGeometry, size_m: float = 0.3
) -> FloatArray:
    """Plume dilution C/Q (s/m³) at the device from a part of the watched equipment."""
    geometry = PlumeGeometry(
        distance_m=source.distance_m,
        bearing_offset_deg=source.bearing_offset_deg,
        source_height_m=max(device.mounting_height_m + source.height_offset_m, 0.0),
        receptor_height_m=device.mounting_height_m,
        initial_sigma_m=max(size_m / 2.15, NEAR_FIELD_SIGMA_M),
    )
    return plume_dilution(
        geometry,
        field.times_s,
        field.ambient.wind_speed_m_s,
        field.ambient.wind_direction_deg,
        env.wind_direction_deg,
        field.extras["pasquill_class"],
    )


def equipment_distance(source: EquipmentGeometry) -> float:
    """Straight-line distance from an equipment part to the device, m."""
    return float(np.hypot(source.distance_m, source.height_offset_m))


def place_hotspot(
    field: TrueField,
    surface_c: FloatArray,
    diameter_m: float | FloatArray,
    distance_m: float,
    emissivity: float,
    active: NDArray[np.bool_] | None = None,
    *,
    on_equipment: bool,
) -> None:
    """Put a hot surface in the thermal scene, in place, where it is hotter than what is there already.

    The scene's hotspot holds the apparent temperature (through emissivity and path transmission) and the
    pixels it covers; ``active`` (bool per step) marks when the hotspot exists; ``on_equipment`` whether
    the surface is part of the monitored installation, inside the camera's regions of interest.
    """
    ambient = field.ambient
    transmission = path_transmission(distance_m, ambient.air_temperature_c, ambient.relative_humidity_pct)
    apparent = apparent_temperature(
        surface_c, emissivity, transmission, field.thermal.background_c, ambient.air_temperature_c
    )
    area = np.broadcast_to(hotspot_area_px(diameter_m, distance_m), apparent.shape)
    present = np.ones(apparent.shape, dtype=bool) if active is None else active.astype(bool)
    thermal = field.thermal
    hotter = present & ((thermal.hotspot_area_px <= 0) | (apparent > thermal.hotspot_surface_c))
    thermal.hotspot_surface_c = np.where(hotter, apparent, thermal.hotspot_surface_c)
    thermal.hotspot_area_px = np.where(hotter, area, thermal.hotspot_area_px)
    thermal.hotspot_on_equipment = np.where(hotter, on_equipment, thermal.hotspot_on_equipment)


def add_sound(
    field: TrueField,
    levels_at_1m_db: Mapping[str, FloatArray | float],
    distance_m: float,
    impulsiveness: FloatArray | float,
    geometry: Literal["point", "line"] = "point",
) -> None:
    """Add a source's band levels (dB SPL at 1 m) at ``distance_m``, with ISO 9613-1 absorption, in place."""
    ambient = field.ambient
    acoustic = field.acoustic
    before = power_sum_db(
        acoustic.band_low_db, acoustic.band_mid_db, acoustic.band_high_db, acoustic.band_ultrasonic_db
    )
    added = []
    for band, level in levels_at_1m_db.items():
        alpha = iso9613_absorption_db_m(
            BAND_CENTRE_HZ[band], ambient.air_temperature_c, ambient.relative_humidity_pct, ambient.pressure_hpa
        )
        at_device = propagate_level(level, distance_m, alpha, geometry)
        attribute = f"band_{band}_db"
        setattr(acoustic, attribute, power_sum_db(getattr(acoustic, attribute), at_device))
        added.append(at_device)
    acoustic.impulsiveness = mix_impulsiveness(
        before, acoustic.impulsiveness, power_sum_db(*added), np.broadcast_to(impulsiveness, before.shape)
    )


IMPULSE_DETECTION_DB = 15.0
"""Level over the radio floor at which a single man-made impulse (an arc, an ignition spark) reaches the
AS3935's disturber detector, dB [assumption]; visibility rises over ±3 dB around it."""


def add_rf_impulses(
    field: TrueField, rate_per_min: FloatArray, level_at_1m_db: FloatArray | float, distance_m: float
) -> None:
    """Add discrete broadband impulses (``rate_per_min`` each of ``level_at_1m_db`` at 1 m) to the
    disturber rate the lightning detector sees, in place: the AS3935 counts man-made impulses as
    disturbers and lets a few through as false strikes [S12]. Continuous noise goes through
    ``add_rf_noise`` instead."""
    at_device = broadband_noise_db(level_at_1m_db, distance_m)
    visible = 1.0 / (1.0 + np.exp(-(at_device - IMPULSE_DETECTION_DB) / 3.0))
    lightning = field.lightning
    lightning.disturber_rate_per_min = lightning.disturber_rate_per_min + np.clip(rate_per_min, 0.0, None) * visible


def add_rf_noise(field: TrueField, level_at_1m_db: FloatArray | float, distance_m: float) -> None:
    """Add broadband RF noise of a discharge at ``distance_m`` to the field's HF noise, in place."""
    emf = field.emf
    emf.hf_noise_db = power_sum_db(emf.hf_noise_db, broadband_noise_db(level_at_1m_db, distance_m))
