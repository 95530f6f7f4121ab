"""Confounders: harmless situations labelled ``normal`` that look like hazards to single-sensor rules.

Each one breaks a rule of thumb (docs/physics.md §4 and §5.3): regional smoke raises PM and CO
without a local fire; traffic brings ultrafine soot, CO and ignition noise; dust raises PM (mostly
coarse) and static radio noise; sun-heated metal makes hotspots; a passing storm brings clicks, RF noise
and even corona ultrasound; everyday electronics (switch-mode supplies, LED drivers, power-line carrier)
raise the radio noise and the feeder's harmonics as much as a discharge or an arc.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from envirosense.schemas import ClassLabel, DifficultyLevel, ScenarioCategory
from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.parameters import EnvironmentParams, ScenarioParams
from envirosense.simulation.physics.ambient import local_hour, quiet_field, solar_elevation_sin
from envirosense.simulation.physics.emf import dust_static_db, feeder_harmonics_pct
from envirosense.simulation.physics.emissions import (
    AGED_SMOKE_MEDIAN_DIAMETER_UM,
    AGED_SMOKE_SIZE_FRACTIONS,
    DIESEL_EXHAUST,
    DIESEL_NOX_EF_G_KG,
    DUST_MEDIAN_DIAMETER_UM,
    PETROL_EXHAUST,
    PETROL_NOX_EF_G_KG,
    add_gas,
    add_particles,
    add_source_emissions,
)
from envirosense.simulation.physics.lightning import StormTrack, sferic_noise_db
from envirosense.simulation.physics.plume import line_source_dilution
from envirosense.simulation.physics.thermal import solar_temperature_rise
from envirosense.simulation.physics.timeseries import ar1_noise, first_order_lag, interval_lengths
from envirosense.simulation.physics.units import power_sum_db, ug_m3_to_ppb
from envirosense.simulation.physics.weather import gust_front, high_wind
from envirosense.simulation.registry import register_scenario
from envirosense.simulation.scenarios.common import (
    EMF,
    HOTSPOT_FEATURES,
    IMU,
    LIGHTNING,
    MIC_UPPER,
    PRESSURE,
    RATED_ROI_FEATURE,
    ROI_FEATURES,
    SMOKE_FEATURES,
    SPS30,
    TH_OUTSIDE,
    ULTRASOUND_FEATURES,
    VOC,
    WIND,
    CatalogueScenario,
    EventTiming,
    add_rf_impulses,
    add_rf_noise,
    add_sound,
    drivers,
    place_hotspot,
)

FloatArray = NDArray[np.float64]


class DistantVegetationSmokeParams(ScenarioParams):
    """Aged smoke from a wildfire far away drifting over the device."""

    pm2_5_increment_ug_m3: float = Field(60.0, ge=5, le=300, description="PM2.5 added by the smoke, µg/m³.")
    smoke_age_hours: float = Field(12.0, ge=1, le=72, description="Time since emission, h.")
    arrival_fraction: float = Field(0.1, ge=0, le=0.5, description="Arrival as a fraction of the duration.")
    rise_seconds: float = Field(2400.0, ge=600, le=7200, description="Time for the smoke to build up, s.")


@register_scenario
class DistantVegetationSmokeScenario(CatalogueScenario[DistantVegetationSmokeParams]):
    """Regional smoke: PM2.5 and CO up together, slowly, with aged (larger, less phenolic) particles."""

    params_model = DistantVegetationSmokeParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.CONFOUNDER
    event_type = "distant_vegetation_smoke"
    difficulty = DifficultyLevel.HIGH
    is_confounder = True
    intensity_parameter = "pm2_5_increment_ug_m3"
    sensor_drivers = drivers(
        {
            "pm2_5_increment_ug_m3": (*SMOKE_FEATURES, f"{VOC}.formaldehyde_ppb"),
            "smoke_age_hours": (
                f"{SPS30}.typical_particle_size_um",
                f"{VOC}.guaiacol_ppb",
                f"{VOC}.general_reducing_ppb",
            ),
            "rise_seconds": (f"{SPS30}.mass_concentration_pm2_5_ug_m3",),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        arrival = p.arrival_fraction * p.duration_seconds
        build_up = np.clip((times_s - arrival) / p.rise_seconds, 0.0, 1.0)
        level = p.pm2_5_increment_ug_m3 * build_up**2 * (3.0 - 2.0 * build_up)
        level = level * np.exp(0.15 * ar1_noise(times_s, rng, 900.0))
        # ΔPM2.5/ΔCO ≈ 0.27 g/g fresh, ≈ 0.13 aged over about a day (Selimovic et al. [S73]).
        pm_to_co = 0.27 - 0.14 * (1.0 - np.exp(-p.smoke_age_hours / 24.0))
        freshness = np.exp(-p.smoke_age_hours / 6.0)
        add_gas(field, "carbon_monoxide", level / pm_to_co)
        add_gas(field, "formaldehyde", 0.10 * level)
        add_gas(field, "acetaldehyde", 0.05 * level)
        add_gas(field, "hydrocarbons", 0.5 * level)
        add_gas(field, "phenol", 0.02 * freshness * level)
        add_gas(field, "cresol", 0.01 * freshness * level)
        add_gas(field, "guaiacol", 0.02 * freshness * level)
        diameter = AGED_SMOKE_MEDIAN_DIAMETER_UM * (1.0 + 0.3 * (1.0 - freshness))
        add_particles(field, level / sum(AGED_SMOKE_SIZE_FRACTIONS[:2]), AGED_SMOKE_SIZE_FRACTIONS, diameter)
        field.extras["smoke_pm2_5_ug_m3"] = level
        return field, self.normal_labels(len(times_s))


class TrafficExhaustParams(ScenarioParams):
    """A road near the device."""

    vehicles_per_minute: float = Field(15.0, ge=2, le=60, description="Traffic flow, vehicles/min.")
    heavy_vehicle_fraction: float = Field(0.15, ge=0.02, le=0.5, description="Share of diesel trucks and buses.")
    road_distance_m: float = Field(20.0, ge=3, le=150, description="Perpendicular distance to the road, m.")
    road_normal_offset_deg: float = Field(
        20.0, ge=0, le=70, description="Angle between the mean downwind direction and the road's normal, °."
    )
    ignition_noise_db_at_1m: float = Field(
        25.0, ge=5, le=45, description="Broadband ignition noise of a passing petrol vehicle at 1 m, dB over floor."
    )


LIGHT_VEHICLE_FUEL_G_M = 0.06
"""Fuel burned per metre by a car (≈ 7 l/100 km) [derived]."""
HEAVY_VEHICLE_FUEL_G_M = 0.3
"""Fuel burned per metre by a truck or bus (≈ 35 l/100 km) [derived]."""
PASSING_S = 4.0
"""Time a vehicle spends near the closest point of the road, s (≈ 50 m at 45 km/h)."""


@register_scenario
class TrafficExhaustScenario(CatalogueScenario[TrafficExhaustParams]):
    """Traffic: ultrafine soot, NO₂ and CO from a road, ozone titrated by NO, road noise and ground shake."""

    params_model = TrafficExhaustParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.CONFOUNDER
    event_type = "traffic_exhaust"
    difficulty = DifficultyLevel.MEDIUM
    is_confounder = True
    intensity_parameter = "vehicles_per_minute"
    distance_parameter = "road_distance_m"
    sensor_drivers = drivers(
        {
            "vehicles_per_minute": (
                *SMOKE_FEATURES,
                f"{VOC}.general_oxidising_ppb",
                f"{MIC_UPPER}.band_low_db",
            ),
            "heavy_vehicle_fraction": (
                f"{VOC}.general_oxidising_ppb",
                f"{SPS30}.number_concentration_pm0_5_per_cm3",
                f"{IMU}.vibration_rms_g",
            ),
            "road_distance_m": (*SMOKE_FEATURES, f"{MIC_UPPER}.band_low_db"),
            "road_normal_offset_deg": SMOKE_FEATURES,
            "ignition_noise_db_at_1m": (f"{EMF}.hf_noise_db", f"{LIGHTNING}.disturber_count"),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        env = p.environment
        field = quiet_field(env, p.device, times_s, rng)
        steps = interval_lengths(times_s)
        vehicles = rng.poisson(p.vehicles_per_minute * steps / 60.0).astype(np.float64)
        heavy = rng.binomial(vehicles.astype(np.int64), p.heavy_vehicle_fraction).astype(np.float64)
        light = vehicles - heavy
        dilution = line_source_dilution(
            p.road_distance_m,
            p.road_normal_offset_deg,
            p.device.mounting_height_m,
            0.5,
            times_s,
            field.ambient.wind_speed_m_s,
            field.ambient.wind_direction_deg,
            env.wind_direction_deg,
            field.extras["pasquill_class"],
        )
        light_fuel = light / steps * LIGHT_VEHICLE_FUEL_G_M
        heavy_fuel = heavy / steps * HEAVY_VEHICLE_FUEL_G_M
        add_source_emissions(field, dilution, light_fuel, PETROL_EXHAUST)
        add_source_emissions(field, dilution, heavy_fuel, DIESEL_EXHAUST)
        # O₃ + NO → NO₂: the NO share of NOx (as NO₂ mass) titrates ozone near the road.
        nox_ug_m3 = 1000.0 * dilution * (0.9 * PETROL_NOX_EF_G_KG * light_fuel + 0.8 * DIESEL_NOX_EF_G_KG * heavy_fuel)
        ambient = field.ambient
        no_ppb = ug_m3_to_ppb(nox_ug_m3, "nitrogen_dioxide", ambient.air_temperature_c, ambient.pressure_hpa)
        titrated = np.minimum(no_ppb, np.clip(field.gases_ppb["ozone"] - 1.0, 0.0, None))
        field.gases_ppb["ozone"] = field.gases_ppb["ozone"] - titrated
        field.gases_ppb["nitrogen_dioxide"] = field.gases_ppb["nitrogen_dioxide"] + titrated
        flow = (light + 10.0 * heavy) / steps * 60.0
        road = 55.0 + 10.0 * np.log10(np.maximum(flow, 0.1))
        add_sound(field, {"low": road + 5.0, "mid": road, "high": road - 8.0}, p.road_distance_m, 0.15, "line")
        field.motion.vibration_rms_g = field.motion.vibration_rms_g + 0.003 * np.sqrt(heavy / steps * 60.0) / (
            1.0 + p.road_distance_m / 10.0
        )
        # A petrol vehicle is within a few road widths of the closest point for ≈ PASSING_S of each interval.
        passing = rng.random(times_s.shape[0]) < np.minimum(light / steps * PASSING_S, 1.0)
        add_rf_noise(field, np.where(passing, p.ignition_noise_db_at_1m, -60.0), p.road_distance_m)
        add_rf_impulses(field, 60.0 * light / steps, p.ignition_noise_db_at_1m, p.road_distance_m)
        field.extras["vehicles"] = vehicles
        return field, self.normal_labels(len(times_s), p.road_distance_m)


class DustStormParams(ScenarioParams):
    """Wind-blown mineral dust."""

    pm10_increment_ug_m3: float = Field(400.0, ge=50, le=2000, description="PM10 added at the storm's peak, µg/m³.")
    fine_fraction: float = Field(0.2, ge=0.08, le=0.35, description="PM2.5/PM10 of the dust (ratio) [S77].")
    storm_wind_m_s: float = Field(14.0, ge=8, le=25, description="Mean wind at the storm's peak, m/s.")
    timing: EventTiming = Field(default_factory=EventTiming, description="Arrival and length.")


@register_scenario
class DustStormScenario(CatalogueScenario[DustStormParams]):
    """Dust storm: PM10 ≫ PM2.5, strong dry wind, sway, and static noise on the lightning detector."""

    params_model = DustStormParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.CONFOUNDER
    event_type = "dust_storm"
    difficulty = DifficultyLevel.MEDIUM
    is_confounder = True
    intensity_parameter = "pm10_increment_ug_m3"
    sensor_drivers = drivers(
        {
            "pm10_increment_ug_m3": (
                f"{SPS30}.mass_concentration_pm10_ug_m3",
                f"{SPS30}.mass_concentration_pm4_0_ug_m3",
                f"{SPS30}.typical_particle_size_um",
            ),
            "fine_fraction": (f"{SPS30}.mass_concentration_pm2_5_ug_m3", f"{SPS30}.mass_concentration_pm1_0_ug_m3"),
            "storm_wind_m_s": (f"{WIND}.wind_speed_m_s", f"{IMU}.vibration_rms_g", f"{MIC_UPPER}.band_low_db"),
            "timing.start_fraction": (f"{LIGHTNING}.disturber_count", f"{EMF}.hf_noise_db"),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        env = p.environment
        envelope = p.timing.envelope(times_s, p.duration_seconds)
        field = quiet_field(
            env, p.device, times_s, rng, perturbation=high_wind(envelope, env.wind_speed_m_s, p.storm_wind_m_s)
        )
        gustiness = np.exp(0.3 * ar1_noise(times_s, rng, 300.0))
        dust = p.pm10_increment_ug_m3 * envelope * gustiness
        f = p.fine_fraction
        add_particles(field, dust, (0.25 * f, 0.75 * f, 0.2 * (1 - f), 0.8 * (1 - f)), DUST_MEDIAN_DIAMETER_UM)
        field.lightning.disturber_rate_per_min = field.lightning.disturber_rate_per_min + 3.0 * dust / 1000.0
        field.emf.hf_noise_db = power_sum_db(field.emf.hf_noise_db, dust_static_db(dust))
        field.extras["dust_pm10_ug_m3"] = dust
        return field, self.normal_labels(len(times_s))


class SunnyEnvironmentParams(EnvironmentParams):
    """Weather with the sun up: daytime start and at most scattered cloud."""

    start_hour_local: float = Field(11.0, ge=8, le=15, description="Local solar time at the start, h.")
    cloud_cover_fraction: float = Field(0.1, ge=0, le=0.4, description="Cloud cover (fraction).")


class SunHeatedMetalParams(ScenarioParams):
    """A dark metal part in the camera's view heated by the sun."""

    environment: SunnyEnvironmentParams = Field(default_factory=SunnyEnvironmentParams, description="Weather.")
    absorptivity: float = Field(0.85, ge=0.5, le=0.95, description="Solar absorptivity of the surface (ratio).")
    object_diameter_m: float = Field(0.3, ge=0.05, le=1.0, description="Size of the sunlit part, m.")
    emissivity: float = Field(0.9, ge=0.6, le=0.95, description="LWIR emissivity of the surface (ratio).")
    distance_m: float = Field(8.0, ge=2, le=30, description="Distance from the part to the device, m.")
    shedding_faces: float = Field(
        1.5, ge=1, le=2, description="Faces losing heat (1: insulated back, 2: a thin plate)."
    )
    thermal_time_constant_s: float = Field(1200.0, ge=300, le=3600, description="Thermal lag of the part, s.")
    on_equipment: bool = Field(
        True,
        description="Whether the part belongs to the monitored installation (a tank, a clamp, a cabinet: inside "
        "the camera's regions of interest) or lies elsewhere in view (a roof, a parked vehicle).",
    )


@register_scenario
class SunHeatedMetalScenario(CatalogueScenario[SunHeatedMetalParams]):
    """Solar loading: a dark part runs 10–40 °C above air in sunshine, with no fault and no gases."""

    params_model = SunHeatedMetalParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.CONFOUNDER
    event_type = "sun_heated_metal"
    difficulty = DifficultyLevel.HIGH
    is_confounder = True
    intensity_parameter = "absorptivity"
    distance_parameter = "distance_m"
    sensor_drivers = drivers(
        {
            "absorptivity": HOTSPOT_FEATURES,
            "object_diameter_m": HOTSPOT_FEATURES[2:],
            "emissivity": HOTSPOT_FEATURES,
            "distance_m": HOTSPOT_FEATURES,
            "on_equipment": (*ROI_FEATURES, RATED_ROI_FEATURE),
            "environment.cloud_cover_fraction": HOTSPOT_FEATURES,
            "environment.start_hour_local": HOTSPOT_FEATURES,
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        ambient = field.ambient
        rise = solar_temperature_rise(
            ambient.solar_irradiance_w_m2,
            p.absorptivity,
            ambient.wind_speed_m_s,
            ambient.air_temperature_c,
            p.emissivity,
            p.shedding_faces,
        )
        rise = first_order_lag(rise, times_s, p.thermal_time_constant_s)
        place_hotspot(
            field,
            ambient.air_temperature_c + rise,
            p.object_diameter_m,
            p.distance_m,
            p.emissivity,
            on_equipment=p.on_equipment,
        )
        field.extras["solar_rise_c"] = rise
        return field, self.normal_labels(len(times_s), p.distance_m)


class PassingLightningStormParams(ScenarioParams):
    """A thunderstorm cell passing the device."""

    closest_distance_km: float = Field(5.0, ge=0, le=30, description="Closest approach of the storm core, km.")
    storm_speed_km_h: float = Field(30.0, ge=10, le=60, description="Speed of the storm cell, km/h.")
    closest_time_fraction: float = Field(
        0.5, ge=0.2, le=0.9, description="Time of closest approach as a fraction of the duration."
    )
    peak_flash_rate_per_min: float = Field(8.0, ge=1, le=30, description="Flash rate at maturity, flashes/min.")
    rain_rate_mm_h: float = Field(20.0, ge=0, le=60, description="Rain rate under the core, mm/h.")
    st_elmo_ultrasound_db_at_1m: float = Field(
        55.0, ge=30, le=75, description="Corona (St Elmo's fire) on nearby hardware under the core, dB SPL at 1 m."
    )


STORM_ACTIVITY_HALF_LIFE_S = 3600.0


@register_scenario
class PassingLightningStormScenario(CatalogueScenario[PassingLightningStormParams]):
    """A passing storm: AS3935 strikes, pressure jump, gusts, cooling, rain, sferic clicks and St Elmo's fire."""

    params_model = PassingLightningStormParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.CONFOUNDER
    event_type = "passing_lightning_storm"
    difficulty = DifficultyLevel.MEDIUM
    is_confounder = True
    intensity_parameter = "peak_flash_rate_per_min"
    distance_parameter = "closest_distance_km"
    sensor_drivers = drivers(
        {
            "closest_distance_km": (
                f"{LIGHTNING}.storm_distance_km",
                f"{PRESSURE}.pressure_hpa",
                f"{WIND}.wind_speed_m_s",
                f"{TH_OUTSIDE}.relative_humidity_pct",
            ),
            "peak_flash_rate_per_min": (
                f"{LIGHTNING}.strike_count",
                f"{EMF}.hf_noise_db",
                f"{MIC_UPPER}.crest_factor_db",
            ),
            "rain_rate_mm_h": (f"{TH_OUTSIDE}.relative_humidity_pct", f"{MIC_UPPER}.band_high_db"),
            "st_elmo_ultrasound_db_at_1m": ULTRASOUND_FEATURES,
            "closest_time_fraction": (f"{LIGHTNING}.storm_distance_km",),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        track = StormTrack(
            closest_distance_km=p.closest_distance_km,
            speed_km_h=p.storm_speed_km_h,
            closest_time_s=p.closest_time_fraction * p.duration_seconds,
            peak_flash_rate_per_min=p.peak_flash_rate_per_min,
            activity_half_life_s=STORM_ACTIVITY_HALF_LIFE_S,
        )
        proximity = track.proximity(times_s)
        shade = track.proximity(times_s, scale_km=25.0)
        field = quiet_field(
            p.environment, p.device, times_s, rng, perturbation=gust_front(proximity, shade, p.rain_rate_mm_h)
        )
        field.lightning = track.activity(times_s, field.lightning.disturber_rate_per_min)
        rate = field.lightning.strike_rate_per_min
        distance_km = track.distance_km(times_s)
        # Thunder: ≈ 110 dB peak at 1 km, 20 dB/decade, ~2 s per flash, fading beyond ~15 km [unverified].
        thunder = (
            110.0
            - 20.0 * np.log10(np.maximum(distance_km, 0.3))
            + 10.0 * np.log10(np.maximum(rate * 2.0 / 60.0, 1e-9))
            - 4.343 * distance_km / 15.0
        )
        add_sound(field, {"low": thunder, "mid": thunder - 8.0}, 1.0, impulsiveness=0.8)
        field.emf.hf_noise_db = power_sum_db(field.emf.hf_noise_db, sferic_noise_db(rate, distance_km))
        wet = np.tanh(field.ambient.precipitation_mm_h / 5.0)
        st_elmo = p.st_elmo_ultrasound_db_at_1m + 10.0 * np.log10(np.maximum(proximity**2 * wet, 1e-9))
        add_sound(field, {"ultrasonic": st_elmo, "high": st_elmo - 20.0}, 3.0, impulsiveness=0.4)
        add_rf_noise(field, st_elmo - 20.0, 3.0)
        field.extras["storm_proximity"] = proximity
        return field, self.normal_labels(len(times_s), p.closest_distance_km * 1000.0)


class ElectronicInterferenceParams(ScenarioParams):
    """Everyday electronics near the device: switch-mode supplies, LED lighting or a power-line carrier."""

    source: Literal["switch_mode_supplies", "led_lighting", "power_line_carrier"] = Field(
        "switch_mode_supplies",
        description="Kind of source: chargers and supplies, LED lighting (on while the sun is down), a carrier.",
    )
    noise_db_at_1m: float = Field(
        40.0, ge=20, le=60, description="Broadband 10 kHz–1 MHz noise of the source at 1 m, dB over floor."
    )
    distance_m: float = Field(5.0, ge=1, le=30, description="Distance from the source to the device, m.")
    nonlinear_load_share: float = Field(
        0.2, ge=0.05, le=0.3, description="Share of the feeder load the rectifier loads add (not the carrier)."
    )
    carrier_duty: float = Field(
        0.3, ge=0.05, le=1.0, description="Share of the time the carrier transmits (power_line_carrier)."
    )
    start_fraction: float = Field(0.2, ge=0, le=0.6, description="Switch-on time as a fraction of the duration.")


@register_scenario
class ElectronicInterferenceScenario(CatalogueScenario[ElectronicInterferenceParams]):
    """Electronic interference: radio noise and feeder harmonics from switch-mode supplies and LED drivers,
    or power-line-carrier bursts, with no discharge, heat or gas."""

    params_model = ElectronicInterferenceParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.CONFOUNDER
    event_type = "electronic_interference"
    difficulty = DifficultyLevel.MEDIUM
    is_confounder = True
    intensity_parameter = "noise_db_at_1m"
    distance_parameter = "distance_m"
    sensor_drivers = drivers(
        {
            "noise_db_at_1m": (f"{EMF}.hf_noise_db", f"{LIGHTNING}.noise_level_high", f"{LIGHTNING}.disturber_count"),
            "distance_m": (f"{EMF}.hf_noise_db", f"{LIGHTNING}.noise_level_high"),
            "nonlinear_load_share": (f"{EMF}.harmonic_3_pct", f"{EMF}.harmonic_5_pct"),
            "carrier_duty": (f"{EMF}.hf_noise_db",),
            "start_fraction": (f"{EMF}.hf_noise_db",),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        field = quiet_field(p.environment, p.device, times_s, rng)
        on = times_s >= p.start_fraction * p.duration_seconds
        if p.source == "led_lighting":
            # Street and yard lighting runs on a photocell: only while the sun is down.
            on = on & (solar_elevation_sin(local_hour(p.environment, times_s)) < 0.05)
        if p.source == "power_line_carrier":
            on = on & (rng.random(times_s.shape[0]) < p.carrier_duty)
            level = np.full(times_s.shape, p.noise_db_at_1m)
        else:
            # The supplies' switching noise follows what they draw, which wanders slowly.
            level = p.noise_db_at_1m + 1.5 * ar1_noise(times_s, rng, 600.0)
            share = field.extras["nonlinear_load_share"] + np.where(on, p.nonlinear_load_share, 0.0)
            field.emf.harmonic_3_pct, field.emf.harmonic_5_pct = feeder_harmonics_pct(share)
            field.extras["nonlinear_load_share"] = share
        add_rf_noise(field, np.where(on, level, -60.0), p.distance_m)
        field.extras["interference_on"] = on.astype(np.float64)
        return field, self.normal_labels(len(times_s), p.distance_m)
