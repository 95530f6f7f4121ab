"""Lightning activity of a thunderstorm passing the device.

Model: a storm cell moving in a straight line at constant speed passes the device at its closest
distance ``d_min`` at time ``t_c``; its distance is ``√(d_min² + (v (t − t_c))²)``. Its flash rate
follows the cell's life cycle, a Gaussian in time around maturity [unverified shape]. The AS3935 warns
of lightning within ≈ 40 km and reports the distance to the storm head (docs/physics.md §1.5 [S11][S12]); its
detection range, distance steps and disturber rejection belong to the sensor model, so this module
reports the true storm distance (NaN when the cell is further than ``REPORT_RANGE_KM``) and flash rate.

Sferics (the lightning EMP) propagate far at 3 Hz–30 kHz and are heard as clicks before the thunder
[S78]: ``sferic_noise_db`` gives the broadband noise they add near the device, and
``storm_proximity`` the 0–1 closeness that drives the gust front (``weather.gust_front``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.field import LightningActivity

FloatArray = NDArray[np.float64]

REPORT_RANGE_KM = 60.0
"""Beyond this the storm is absent from the true field (well past the AS3935's 40 km)."""


@dataclass(frozen=True)
class StormTrack:
    """A storm cell's path and activity: closest distance (km), speed (km/h), time of closest approach
    (s from the scenario start), peak flash rate (flashes/min) and the e-folding half-life of its
    activity (s)."""

    closest_distance_km: float
    speed_km_h: float
    closest_time_s: float
    peak_flash_rate_per_min: float
    activity_half_life_s: float

    def distance_km(self, times_s: FloatArray) -> FloatArray:
        along = self.speed_km_h * (times_s - self.closest_time_s) / 3600.0
        result: FloatArray = np.hypot(self.closest_distance_km, along)
        return result

    def flash_rate_per_min(self, times_s: FloatArray) -> FloatArray:
        result: FloatArray = self.peak_flash_rate_per_min * np.exp(
            -(((times_s - self.closest_time_s) / self.activity_half_life_s) ** 2)
        )
        return result

    def activity(self, times_s: FloatArray, disturber_rate_per_min: FloatArray) -> LightningActivity:
        """True lightning activity at the device (flash rate, storm distance; NaN when out of range)."""
        distance = self.distance_km(times_s)
        in_range = distance <= REPORT_RANGE_KM
        return LightningActivity(
            strike_rate_per_min=np.where(in_range, self.flash_rate_per_min(times_s), 0.0),
            storm_distance_km=np.where(in_range, distance, np.nan),
            disturber_rate_per_min=disturber_rate_per_min,
        )

    def proximity(self, times_s: FloatArray, scale_km: float = 8.0) -> FloatArray:
        """How close the storm core is, 0–1: ``exp(−(d / scale)²)``."""
        result: FloatArray = np.exp(-((self.distance_km(times_s) / scale_km) ** 2))
        return result


def sferic_noise_db(flash_rate_per_min: FloatArray, distance_km: FloatArray) -> FloatArray:
    """Broadband noise (dB above the floor) from sferics: 10 log₁₀ of the flash rate, falling 20 dB per
    decade of distance (1/r) from a 40 dB reference at 1 km and one flash per minute [unverified level]."""
    rate = np.clip(flash_rate_per_min, 0.0, None)
    distance = np.where(np.isnan(distance_km), np.inf, np.maximum(distance_km, 1.0))
    level = 40.0 + 10.0 * np.log10(np.maximum(rate, 1e-6)) - 20.0 * np.log10(distance)
    result: FloatArray = np.where((rate > 1e-3) & np.isfinite(distance), np.clip(level, 0.0, None), 0.0)
    return result
