"""Pasquill atmospheric stability classes from wind, sun and cloud.

Model: the Pasquill (1961) / Turner table as published by NOAA ARL READY ("Pasquill stability
classes"), docs/physics.md §3.1 [S58]. Classes are numbered A = 0 … F = 5; a table cell such as
"A–B" is the half-class 0.5, and dispersion coefficients of half-classes are interpolated by the plume
model. Overcast skies (≥ 7/8) and the hour around sunrise and sunset are neutral (D). Incoming solar
radiation classes: strong > 600 W/m², moderate 300–600 W/m², slight < 300 W/m² (Turner's insolation
classes, as commonly tabulated).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

NEUTRAL = 3.0

WIND_PROFILE_EXPONENT_RURAL: tuple[float, ...] = (0.07, 0.07, 0.10, 0.15, 0.35, 0.55)
"""Power-law wind-profile exponents per class, rural (US EPA ISC3 user's guide, vol. II [S57])."""

_WIND_EDGES_M_S = np.array([2.0, 3.0, 5.0, 6.0])
# Rows: wind bins <2, 2–3, 3–5, 5–6, >6. Columns: strong, moderate, slight sun; night >4/8 cloud, ≤4/8.
_TABLE = np.array(
    [
        [0.0, 0.5, 1.0, 4.0, 5.0],
        [0.5, 1.0, 2.0, 4.0, 5.0],
        [1.0, 1.5, 2.0, 3.0, 4.0],
        [2.0, 2.5, 3.0, 3.0, 3.0],
        [2.0, 3.0, 3.0, 3.0, 3.0],
    ]
)


def pasquill_class(
    wind_speed_m_s: FloatArray,
    solar_irradiance_w_m2: FloatArray,
    cloud_cover_fraction: float | FloatArray,
    sun_elevation_sin: FloatArray,
) -> FloatArray:
    """Stability class per timestep, 0 (A, very unstable) … 5 (F, stable); half-classes for "A–B" cells.

    ``sun_elevation_sin`` separates day from night; within 0.13 of the horizon (≈ the hour around
    sunrise and sunset at the equinox) the class is D, as it is under overcast skies.
    """
    wind_bin = np.searchsorted(_WIND_EDGES_M_S, wind_speed_m_s, side="right")
    cloud = np.broadcast_to(np.asarray(cloud_cover_fraction, dtype=np.float64), wind_speed_m_s.shape)
    day_column = np.where(solar_irradiance_w_m2 > 600.0, 0, np.where(solar_irradiance_w_m2 > 300.0, 1, 2))
    night_column = np.where(cloud > 0.5, 3, 4)
    column = np.where(sun_elevation_sin > 0.0, day_column, night_column)
    stability = _TABLE[wind_bin, column]
    neutral = (cloud >= 0.875) | (np.abs(sun_elevation_sin) < 0.13)
    return np.where(neutral, NEUTRAL, stability)


def wind_at_height(wind_10m_m_s: FloatArray, height_m: float, stability: FloatArray) -> FloatArray:
    """Wind at ``height_m`` from the 10 m wind by the rural power law ``u(z) = u10 (z/10)^p`` (z ≥ 1 m)."""
    exponent = np.interp(stability, np.arange(6.0), np.array(WIND_PROFILE_EXPONENT_RURAL))
    result: FloatArray = wind_10m_m_s * (max(height_m, 1.0) / 10.0) ** exponent
    return result
