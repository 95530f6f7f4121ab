"""Normal operation scenarios: nothing is wrong, though the weather and the load change what sensors see."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from envirosense.schemas import ClassLabel, DifficultyLevel, ScenarioCategory
from envirosense.simulation.field import TrueField
from envirosense.simulation.labels import LabelTrack
from envirosense.simulation.parameters import ScenarioParams
from envirosense.simulation.physics.ambient import load_profile, quiet_field
from envirosense.simulation.physics.weather import heat_wave, high_wind, rain_storm
from envirosense.simulation.registry import register_scenario
from envirosense.simulation.scenarios.common import (
    EMF,
    HOTSPOT_FEATURES,
    IMU,
    MIC_UPPER,
    PRESSURE,
    SPS30,
    TH_INSIDE,
    TH_OUTSIDE,
    ULTRASOUND_FEATURES,
    WIND,
    CatalogueScenario,
    EventTiming,
    drivers,
)

FloatArray = NDArray[np.float64]


class BaselineOperationParams(ScenarioParams):
    """Baseline operation has only the shared weather and device parameters."""


@register_scenario
class BaselineOperationScenario(CatalogueScenario[BaselineOperationParams]):
    """Equipment under normal load in ordinary weather."""

    params_model = BaselineOperationParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.NORMAL
    event_type = "baseline"
    difficulty = DifficultyLevel.VERY_LOW
    sensor_drivers = drivers(
        {
            "device.grid_load_fraction": (f"{EMF}.field_strength_ut", *HOTSPOT_FEATURES[:2]),
            "environment.background_pm2_5_ug_m3": (f"{SPS30}.mass_concentration_pm2_5_ug_m3",),
            "environment.mean_temperature_c": (f"{TH_OUTSIDE}.temperature_c",),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        field = quiet_field(self.params.environment, self.params.device, times_s, rng)
        return field, self.normal_labels(len(times_s))


class DiurnalCycleParams(ScenarioParams):
    """A day (or part of one) with the load following its daily cycle."""

    duration_seconds: float = Field(86_400.0, ge=3600, le=86_400, description="Scenario length, s.")
    load_daily_amplitude: float = Field(
        0.3, ge=0, le=0.5, description="Daily load swing as a fraction of the mean load (ratio)."
    )
    load_peak_hour: float = Field(18.0, ge=7, le=21, description="Local hour of peak load, h.")


@register_scenario
class DiurnalCycleScenario(CatalogueScenario[DiurnalCycleParams]):
    """Day and night: sun loading, temperature swing and a daily load cycle moving ΔT and EMF together."""

    params_model = DiurnalCycleParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.NORMAL
    event_type = "diurnal_cycle"
    difficulty = DifficultyLevel.LOW
    sensor_drivers = drivers(
        {
            "load_daily_amplitude": (f"{EMF}.field_strength_ut", *HOTSPOT_FEATURES[:2]),
            "load_peak_hour": (f"{EMF}.field_strength_ut",),
            "environment.diurnal_amplitude_c": (f"{TH_OUTSIDE}.temperature_c", f"{TH_INSIDE}.temperature_c"),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        load = load_profile(p.environment, p.device, times_s, rng, p.load_daily_amplitude, p.load_peak_hour)
        field = quiet_field(p.environment, p.device, times_s, rng, load=load)
        return field, self.normal_labels(len(times_s))


class WeatherEventParams(ScenarioParams):
    """A rain storm, a high-wind episode or a heat wave; only the chosen event's magnitude is used."""

    event: Literal["rain_storm", "high_wind", "heat_wave"] = Field("rain_storm", description="Kind of event.")
    rain_rate_mm_h: float = Field(20.0, ge=2, le=80, description="Peak rain rate (rain_storm), mm/h.")
    peak_wind_m_s: float = Field(16.0, ge=8, le=30, description="Peak mean wind (high_wind), m/s.")
    heat_anomaly_c: float = Field(8.0, ge=3, le=14, description="Temperature anomaly (heat_wave), °C.")
    timing: EventTiming = Field(default_factory=EventTiming, description="Arrival and length.")


@register_scenario
class WeatherEventScenario(CatalogueScenario[WeatherEventParams]):
    """Severe but harmless weather: rain noise and washout, wind noise, sway and dust, or heat and load."""

    params_model = WeatherEventParams
    class_label = ClassLabel.NORMAL
    category = ScenarioCategory.NORMAL
    event_type = "weather_event"
    difficulty = DifficultyLevel.MEDIUM
    sensor_drivers = drivers(
        {
            "rain_rate_mm_h": (
                f"{TH_OUTSIDE}.relative_humidity_pct",
                f"{MIC_UPPER}.band_high_db",
                *ULTRASOUND_FEATURES,
            ),
            "peak_wind_m_s": (
                f"{WIND}.wind_speed_m_s",
                f"{IMU}.vibration_rms_g",
                f"{MIC_UPPER}.band_low_db",
                f"{SPS30}.mass_concentration_pm10_ug_m3",
            ),
            "heat_anomaly_c": (f"{TH_OUTSIDE}.temperature_c", f"{TH_INSIDE}.temperature_c", *HOTSPOT_FEATURES[:2]),
            "timing.start_fraction": (f"{PRESSURE}.pressure_hpa",),
        }
    )

    def build_field(self, times_s: FloatArray, rng: np.random.Generator) -> tuple[TrueField, LabelTrack]:
        p = self.params
        env = p.environment
        envelope = p.timing.envelope(times_s, p.duration_seconds)
        load = None
        if p.event == "rain_storm":
            change = rain_storm(envelope, p.rain_rate_mm_h)
        elif p.event == "high_wind":
            change = high_wind(envelope, env.wind_speed_m_s, p.peak_wind_m_s)
        else:
            change = heat_wave(envelope, p.heat_anomaly_c)
            # Air conditioning raises the load during a heat wave.
            load = load_profile(env, p.device, times_s, rng) * (1.0 + 0.3 * envelope)
        field = quiet_field(env, p.device, times_s, rng, perturbation=change, load=load)
        ambient = field.ambient
        if p.event == "rain_storm":
            washout = 1.0 / (1.0 + 0.03 * ambient.precipitation_mm_h)
            for name in field.particles_ug_m3:
                field.particles_ug_m3[name] = field.particles_ug_m3[name] * washout
        return field, self.normal_labels(len(times_s))
