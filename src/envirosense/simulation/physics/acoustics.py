"""Sound from a source to the device: spreading, air absorption per band, and masking by wind and rain.

Models and sources (docs/physics.md §3.3):

- Geometric spreading: point source −20 log₁₀(r) (−6 dB per doubling), line source −10 log₁₀(r)
  (−3 dB per doubling), levels referenced to 1 m [S61].
- Air absorption: the ISO 9613-1:1993 pure-tone formulas (oxygen and nitrogen relaxation plus classical
  absorption), evaluated at each band's centre frequency [S62]. They give ≈ 1.3 dB/m at 40 kHz
  (20 °C, 50 %RH), so 40 kHz corona ultrasound loses ≈ 32 dB at 10 m and ≈ 68 dB at 30 m, while the
  audible bands barely notice air.
- Masking: environmental noise at the device per band, rising with wind (rustle and aeolian tones)
  and rain (drop impacts, broadband and rich in high frequencies [S64]). The levels are engineering
  placeholders [unverified]. Turbulence pressure at the microphone port (the dominant, low-frequency
  wind noise [S63][S65]) and the microphone's self-noise belong to the sensor model, not to the field.
- Levels add as powers: ``L = 10 log₁₀ Σ 10^(Lᵢ/10)``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.physics.units import power_sum_db

FloatArray = NDArray[np.float64]

BAND_CENTRE_HZ: dict[str, float] = {"low": 63.0, "mid": 630.0, "high": 6300.0, "ultrasonic": 40_000.0}
"""Geometric centres of the device's bands: 20–200 Hz, 200–2000 Hz, 2–20 kHz, 36–44 kHz."""

_REFERENCE_PRESSURE_KPA = 101.325
_T0_K = 293.15
_T01_K = 273.16


def iso9613_absorption_db_m(
    frequency_hz: float | FloatArray,
    temperature_c: float | FloatArray,
    relative_humidity_pct: float | FloatArray,
    pressure_hpa: float | FloatArray = 1013.25,
) -> FloatArray:
    """Atmospheric absorption coefficient α (dB/m), ISO 9613-1:1993 equations (3)–(5) and annex B."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    t = np.asarray(temperature_c, dtype=np.float64) + 273.15
    p_rel = np.asarray(pressure_hpa, dtype=np.float64) / 10.0 / _REFERENCE_PRESSURE_KPA
    exponent = -6.8346 * (_T01_K / t) ** 1.261 + 4.6151
    humidity = np.asarray(relative_humidity_pct, dtype=np.float64) * 10.0**exponent / p_rel
    t_rel = t / _T0_K
    fr_o = p_rel * (24.0 + 4.04e4 * humidity * (0.02 + humidity) / (0.391 + humidity))
    fr_n = p_rel * t_rel**-0.5 * (9.0 + 280.0 * humidity * np.exp(-4.170 * (t_rel ** (-1.0 / 3.0) - 1.0)))
    alpha: FloatArray = (
        8.686
        * f**2
        * (
            1.84e-11 / p_rel * t_rel**0.5
            + t_rel**-2.5
            * (
                0.01275 * np.exp(-2239.1 / t) / (fr_o + f**2 / fr_o)
                + 0.1068 * np.exp(-3352.0 / t) / (fr_n + f**2 / fr_n)
            )
        )
    )
    return alpha


def propagate_level(
    level_at_1m_db: float | FloatArray,
    distance_m: float,
    absorption_db_m: float | FloatArray,
    geometry: Literal["point", "line"] = "point",
) -> FloatArray:
    """Level at ``distance_m`` of a source with ``level_at_1m_db`` at 1 m: spreading plus air absorption."""
    r = max(distance_m, 1.0)
    spreading = (20.0 if geometry == "point" else 10.0) * np.log10(r)
    result: FloatArray = (
        np.asarray(level_at_1m_db, dtype=np.float64) - spreading - np.asarray(absorption_db_m) * (r - 1.0)
    )
    return result


def ambient_noise_db(wind_speed_m_s: FloatArray, precipitation_mm_h: FloatArray) -> dict[str, FloatArray]:
    """Environmental noise at the device per band (dB SPL): a quiet rural floor, wind-driven rustle and
    aeolian tones (mid and high bands), and rain-drop impacts (broadband, rich in high frequencies)."""
    wind = np.log10(1.0 + wind_speed_m_s)
    rain = np.log10(1.0 + precipitation_mm_h)
    return {
        "low": power_sum_db(30.0, 20.0 + 15.0 * rain),
        "mid": power_sum_db(28.0 + 15.0 * wind, 25.0 + 25.0 * rain),
        "high": power_sum_db(20.0 + 15.0 * wind, 20.0 + 28.0 * rain),
        "ultrasonic": power_sum_db(5.0 + 10.0 * wind, 0.0 + 15.0 * rain),
    }


def mix_impulsiveness(
    background_db: FloatArray,
    background_impulsiveness: FloatArray,
    source_db: FloatArray,
    source_impulsiveness: FloatArray,
) -> FloatArray:
    """Impulsiveness (0–1) of two added sounds, weighted by their energies."""
    weight = 1.0 / (1.0 + 10.0 ** ((background_db - source_db) / 10.0))
    result: FloatArray = (1.0 - weight) * background_impulsiveness + weight * source_impulsiveness
    return result
