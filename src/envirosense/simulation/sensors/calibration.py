"""Per-device calibration error and its drift with age.

Every physical sensor leaves the factory with a small gain and offset error, and both wander as it
ages. ``ErrorBudget`` states the spread of those errors across devices (data-sheet accuracy and
long-term-drift figures); ``ErrorBudget.draw`` picks one device's errors from the generator, and
``Calibration.apply`` turns a true value into ``x · (gain + ġ·age) + offset + ȯ·age``, where ``age`` is
days since calibration (``DeviceParams.days_since_calibration`` plus the elapsed simulated time). Drift
rates are drawn with a random sign, so the expected error magnitude grows linearly with age.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class ErrorBudget:
    """Spread (one standard deviation across devices) of a channel's calibration error and drift.

    ``gain_sd``: fractional gain error; ``offset_sd``: offset, reading units;
    ``gain_drift_sd_per_year``: fractional gain change per year; ``offset_drift_sd_per_year``: offset
    change per year, reading units.
    """

    gain_sd: float = 0.0
    offset_sd: float = 0.0
    gain_drift_sd_per_year: float = 0.0
    offset_drift_sd_per_year: float = 0.0

    def draw(self, rng: np.random.Generator, channels: int = 1) -> Calibration:
        """One device's errors for ``channels`` channels (four normal draws per channel, in a fixed order)."""
        z = rng.standard_normal((4, channels))
        return Calibration(
            gain=1.0 + self.gain_sd * z[0],
            offset=self.offset_sd * z[1],
            gain_drift_per_day=self.gain_drift_sd_per_year / DAYS_PER_YEAR * z[2],
            offset_drift_per_day=self.offset_drift_sd_per_year / DAYS_PER_YEAR * z[3],
        )


@dataclass(frozen=True)
class Calibration:
    """One device's calibration state per channel; every array has shape ``(C,)``."""

    gain: FloatArray
    offset: FloatArray
    gain_drift_per_day: FloatArray
    offset_drift_per_day: FloatArray

    @classmethod
    def stack(cls, parts: list[Calibration]) -> Calibration:
        """Channels of several calibrations side by side (in order)."""
        return cls(
            gain=np.concatenate([p.gain for p in parts]),
            offset=np.concatenate([p.offset for p in parts]),
            gain_drift_per_day=np.concatenate([p.gain_drift_per_day for p in parts]),
            offset_drift_per_day=np.concatenate([p.offset_drift_per_day for p in parts]),
        )

    def apply(self, values: FloatArray, age_days: FloatArray) -> FloatArray:
        """``values`` (``(C, T)``, or ``(T,)`` for one channel) as the aged, miscalibrated sensor reports them."""
        if values.ndim == 1:
            gain = self.gain[0] + self.gain_drift_per_day[0] * age_days
            offset = self.offset[0] + self.offset_drift_per_day[0] * age_days
        else:
            gain = self.gain[:, None] + self.gain_drift_per_day[:, None] * age_days[None, :]
            offset = self.offset[:, None] + self.offset_drift_per_day[:, None] * age_days[None, :]
        result: FloatArray = values * gain + offset
        return result
