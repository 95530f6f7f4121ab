"""Weather events as perturbations of the ambient weather: rain storms, high wind, heat waves, gust fronts.

A ``WeatherPerturbation`` holds per-timestep changes that ``simulate_ambient`` applies before it derives
what depends on the weather (enclosure heating, gusts, humidity limits). Event magnitudes:

- Rain storm: RH rises towards saturation, air cools by evaporation, sun is shaded, a weak pressure dip
  and freshening wind — qualitative synoptic behaviour; the magnitudes are engineering placeholders
  [unverified].
- High wind: mean wind and gustiness rise together, with the pressure falling (a deepening low)
  [unverified magnitudes]. Wind dilutes every plume as 1/u (plume model) and drives sway and noise.
- Heat wave: a warm anomaly under clear, dry skies: RH falls with temperature at constant vapour content
  (≈ −3.5 %RH/°C near 20 °C [derived from the Magnus formula]).
- Thunderstorm gust front: storms change pressure, wind, RH and temperature together (PHYSICS §5.4);
  a cold-pool pressure rise of 1–3 hPa, a 4–8 °C drop, gusts and heavy rain near the core
  [unverified magnitudes].
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass
class WeatherPerturbation:
    """Changes to the ambient weather per timestep, shape ``(T,)`` each (zeros / ones mean no change)."""

    n_steps: int
    temperature_delta_c: FloatArray = field(default_factory=lambda: np.zeros(0))
    humidity_delta_pct: FloatArray = field(default_factory=lambda: np.zeros(0))
    pressure_delta_hpa: FloatArray = field(default_factory=lambda: np.zeros(0))
    wind_speed_delta_m_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    turbulence_delta: FloatArray = field(default_factory=lambda: np.zeros(0))
    wind_direction_shift_deg: FloatArray = field(default_factory=lambda: np.zeros(0))
    precipitation_mm_h: FloatArray = field(default_factory=lambda: np.zeros(0))
    irradiance_factor: FloatArray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name == "n_steps":
                continue
            value = getattr(self, item.name)
            if value.shape[0] == 0:
                fill = 1.0 if item.name == "irradiance_factor" else 0.0
                setattr(self, item.name, np.full(self.n_steps, fill))
            elif value.shape != (self.n_steps,):
                raise ValueError(f"{item.name} must have shape ({self.n_steps},), got {value.shape}")


def event_envelope(times_s: FloatArray, start_s: float, rise_s: float, duration_s: float) -> FloatArray:
    """0 → 1 → 0 envelope: a cosine rise over ``rise_s`` from ``start_s``, a plateau, and a cosine fall
    ending ``duration_s`` after the start (the fall takes as long as the rise)."""
    rise = max(min(rise_s, duration_s / 2.0), 1e-9)
    up = np.clip((times_s - start_s) / rise, 0.0, 1.0)
    down = np.clip((start_s + duration_s - times_s) / rise, 0.0, 1.0)
    result: FloatArray = 0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))
    return result


def rain_storm(envelope: FloatArray, rain_rate_mm_h: float) -> WeatherPerturbation:
    """Rain at ``rain_rate_mm_h`` (peak) under ``envelope``: wetter, cooler, darker, a little windier."""
    return WeatherPerturbation(
        n_steps=envelope.shape[0],
        temperature_delta_c=-(1.5 + 0.08 * rain_rate_mm_h) * envelope,
        humidity_delta_pct=35.0 * envelope,
        pressure_delta_hpa=-1.0 * envelope,
        wind_speed_delta_m_s=(1.0 + 0.05 * rain_rate_mm_h) * envelope,
        precipitation_mm_h=rain_rate_mm_h * envelope,
        irradiance_factor=1.0 - 0.85 * envelope,
    )


def high_wind(envelope: FloatArray, base_wind_m_s: float, peak_wind_m_s: float) -> WeatherPerturbation:
    """Wind rising from ``base_wind_m_s`` to ``peak_wind_m_s`` under ``envelope``, gustier, pressure falling."""
    return WeatherPerturbation(
        n_steps=envelope.shape[0],
        pressure_delta_hpa=-0.3 * max(peak_wind_m_s - base_wind_m_s, 0.0) * envelope,
        wind_speed_delta_m_s=max(peak_wind_m_s - base_wind_m_s, 0.0) * envelope,
        turbulence_delta=0.15 * envelope,
        humidity_delta_pct=-8.0 * envelope,
    )


def heat_wave(envelope: FloatArray, anomaly_c: float) -> WeatherPerturbation:
    """A warm anomaly of ``anomaly_c`` under clear, dry skies."""
    return WeatherPerturbation(
        n_steps=envelope.shape[0],
        temperature_delta_c=anomaly_c * envelope,
        humidity_delta_pct=-3.5 * anomaly_c * envelope,
        wind_speed_delta_m_s=-0.5 * envelope,
        irradiance_factor=1.0 + 0.25 * envelope,
    )


def gust_front(proximity: FloatArray, cloud_shade: FloatArray, rain_rate_mm_h: float) -> WeatherPerturbation:
    """A passing thunderstorm: ``proximity`` (0–1) of the storm core, ``cloud_shade`` (0–1) of its anvil."""
    return WeatherPerturbation(
        n_steps=proximity.shape[0],
        temperature_delta_c=-6.0 * proximity,
        humidity_delta_pct=30.0 * proximity,
        pressure_delta_hpa=2.0 * proximity,
        wind_speed_delta_m_s=8.0 * proximity,
        turbulence_delta=0.3 * proximity,
        wind_direction_shift_deg=60.0 * proximity,
        precipitation_mm_h=rain_rate_mm_h * proximity**2,
        irradiance_factor=1.0 - 0.85 * cloud_shade,
    )
