"""U25_AS3935: ams AS3935 lightning detector (500 kHz LC antenna), counting events per reading interval.

Data-sheet and community facts used (docs/physics.md §1.5, §4):

- Detects lightning within ≈ 40 km [S11]: detection efficiency ``1 / (1 + exp((d − 30 km)/3 km))``
  [assumption on the shape]. ``strike_count`` is a Poisson draw of rate × efficiency × interval.
- Distance to the storm head is estimated from strike statistics and reported in steps: an "overhead"
  code (reported as 1 km), 5, 6, 8, 10, 12, 14, 17, 20, 24, 27, 31, 34, 37, 40 km, and "out of range"
  (null) [S11][S12]. The estimate scatters (log-normal, 15 %) around the truth times a per-device bias
  (σ 10 %, the antenna gain) before it is snapped to the nearest step [assumption]. The chip holds the
  last estimate and purges it after 15 minutes without strikes (AS3935 data sheet; [unverified] here).
- Energy is a raw 20-bit number with no unit [S12]: ``1.5·10⁵ · (10 km / d)²`` with a log-normal
  scatter for real strikes [assumption]; 0 when nothing was detected in the interval.
- Man-made disturbers are rejected and counted; a small share (2 %) slips through as false strikes
  with a random distance [assumption; false positives are a known nuisance [S12]]. Broadband RF from
  nearby electronics or discharges (``emf.hf_noise_db``) adds disturbers and, above the noise-floor
  threshold, raises ``noise_level_high`` and blinds the chip (detection × 0.1) [S11][S12].
- Antenna tuning must stay within ±3.5 % of 500 kHz [S12]: the tuning drifts with age, lowering the
  detection efficiency by a per-device rate (|σ| 3 % per 100 days, floor 30 %) [assumption].
"""

from __future__ import annotations

import numpy as np

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import FloatArray, RawReadings, SensorModel, age_days, sample_intervals
from envirosense.simulation.sensors.limits import OutputRange

DISTANCE_STEPS_KM: tuple[float, ...] = (
    1.0,
    5.0,
    6.0,
    8.0,
    10.0,
    12.0,
    14.0,
    17.0,
    20.0,
    24.0,
    27.0,
    31.0,
    34.0,
    37.0,
    40.0,
)
"""Reportable distances; 1 km stands for the "storm overhead" code."""
OUT_OF_RANGE_KM = 41.0
MAX_ENERGY = 2_097_151.0


def quantise_distance(estimate_km: FloatArray) -> FloatArray:
    """Snap distance estimates to the nearest AS3935 step; beyond the range (or NaN) → NaN."""
    steps = np.array(DISTANCE_STEPS_KM)
    midpoints = (steps[1:] + steps[:-1]) / 2.0
    snapped = steps[np.searchsorted(midpoints, np.nan_to_num(estimate_km, nan=0.0))]
    result: FloatArray = np.where(np.isfinite(estimate_km) & (estimate_km <= OUT_OF_RANGE_KM), snapped, np.nan)
    return result


def detection_efficiency(distance_km: FloatArray) -> FloatArray:
    """Share of strikes the chip detects at ``distance_km`` (0 where there is no storm, i.e. NaN)."""
    with np.errstate(over="ignore"):
        result: FloatArray = np.where(np.isfinite(distance_km), 1.0 / (1.0 + np.exp((distance_km - 30.0) / 3.0)), 0.0)
    return result


class LightningSensor(SensorModel):
    """AS3935: Poisson strike and disturber counts over each reading interval, quantised distance with
    hold-and-purge, raw energy, and the noise-floor flag."""

    def __init__(
        self,
        sensor_id: str = "U25_AS3935",
        *,
        distance_bias_sd: float = 0.10,
        distance_scatter: float = 0.15,
        false_strike_fraction: float = 0.02,
        noise_threshold_db: float = 25.0,
        device_noise_sd_db: float = 3.0,
        disturbers_per_min_per_db: float = 0.3,
        detuning_sd_per_day: float = 0.0003,
        purge_after_s: float = 900.0,
    ) -> None:
        super().__init__(sensor_id)
        self.distance_bias_sd = distance_bias_sd
        self.distance_scatter = distance_scatter
        self.false_strike_fraction = false_strike_fraction
        self.noise_threshold_db = noise_threshold_db
        self.device_noise_sd_db = device_noise_sd_db
        self.disturbers_per_min_per_db = disturbers_per_min_per_db
        self.detuning_sd_per_day = detuning_sd_per_day
        self.purge_after_s = purge_after_s
        self.count_range = OutputRange(0.0, 10_000.0, 1.0)
        self.energy_range = OutputRange(0.0, MAX_ENERGY, 1.0)

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        bias = 1.0 + self.distance_bias_sd * float(rng.standard_normal())
        susceptibility_db = self.device_noise_sd_db * float(rng.standard_normal())
        detuning_per_day = abs(self.detuning_sd_per_day * float(rng.standard_normal()))
        z = rng.standard_normal((4, n))
        false_distance = rng.uniform(1.0, 40.0, size=n)

        minutes = sample_intervals(field.times_s) / 60.0
        activity = field.lightning
        hf_noise = field.emf.hf_noise_db
        noise_high = hf_noise + susceptibility_db + 2.0 * z[0] > self.noise_threshold_db
        blinding = np.where(noise_high, 0.1, 1.0)
        tuning = np.clip(1.0 - detuning_per_day * age_days(field.times_s, device.days_since_calibration), 0.3, 1.0)
        distance = activity.storm_distance_km
        efficiency = detection_efficiency(distance) * tuning * blinding
        disturber_rate = np.maximum(activity.disturber_rate_per_min, 0.0) + self.disturbers_per_min_per_db * np.maximum(
            hf_noise - 10.0, 0.0
        )
        true_strikes = rng.poisson(np.maximum(activity.strike_rate_per_min, 0.0) * efficiency * minutes)
        false_strikes = rng.poisson(self.false_strike_fraction * disturber_rate * blinding * minutes)
        disturbers = rng.poisson((1.0 - self.false_strike_fraction) * disturber_rate * blinding * minutes)

        estimate = np.where(true_strikes > 0, distance * bias * np.exp(self.distance_scatter * z[1]), false_distance)
        detected = (true_strikes + false_strikes) > 0
        index = np.arange(n)
        last = np.maximum.accumulate(np.where(detected, index, -1))
        held = (last >= 0) & (field.times_s - field.times_s[np.maximum(last, 0)] <= self.purge_after_s)
        storm_distance = np.where(held, quantise_distance(estimate)[np.maximum(last, 0)], np.nan)

        real_energy = 1.5e5 * (10.0 / np.maximum(np.nan_to_num(distance, nan=40.0), 1.0)) ** 2 * np.exp(0.8 * z[2])
        false_energy = 3.0e4 * np.exp(z[3])
        energy = np.where(true_strikes > 0, real_energy, np.where(false_strikes > 0, false_energy, 0.0))

        strike_count, strikes_saturated = self.count_range.apply((true_strikes + false_strikes).astype(np.float64))
        disturber_count, disturbers_saturated = self.count_range.apply(disturbers.astype(np.float64))
        strike_energy, _ = self.energy_range.apply(energy)
        return RawReadings(
            {
                "strike_count": strike_count,
                "storm_distance_km": storm_distance,
                "strike_energy": strike_energy,
                "disturber_count": disturber_count,
                "noise_level_high": noise_high.astype(np.float64),
            },
            strikes_saturated | disturbers_saturated,
        )
