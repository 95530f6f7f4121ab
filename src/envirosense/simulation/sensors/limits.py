"""Output resolution and range limits: what the digital interface of a part can report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def quantise(values: FloatArray, step: float) -> FloatArray:
    """``values`` rounded to the nearest multiple of ``step`` (the part's output resolution)."""
    if step <= 0:
        raise ValueError("step must be positive")
    result: FloatArray = np.round(values / step) * step
    return result


@dataclass(frozen=True)
class OutputRange:
    """A channel's measurement range and resolution.

    Values beyond ``upper`` (or below ``lower`` when ``saturates_low``) are clipped and flagged as
    saturated; quantities with a natural floor (concentrations, levels) clip at ``lower`` silently.
    """

    lower: float
    upper: float
    resolution: float
    saturates_low: bool = False

    def apply(self, values: FloatArray) -> tuple[FloatArray, BoolArray]:
        """Quantised, clipped values and the saturation flags (NaN stays NaN and is never flagged)."""
        stepped = quantise(values, self.resolution)
        saturated = stepped > self.upper
        if self.saturates_low:
            saturated = saturated | (stepped < self.lower)
        return np.clip(stepped, self.lower, self.upper), saturated
