"""Well-mixed box (single-zone mass balance) for enclosures and the near field.

Model (docs/physics.md §3.2, the single-zone indoor-air model of the INTARESE guidebook [S60])::

    dC/dt = λ (C_out − C) + G/V − k C,   λ = λ₀ + u/L

``C`` the excess concentration inside (mg/m³, ``C_out`` = 0 for an excess), ``G`` the emission (mg/s),
``V = L·W·h`` the volume, ``λ₀`` the still-air leakage (1/s), ``u/L`` wind-driven air exchange through a
box of length ``L`` along the wind, and ``k`` a first-order loss (e.g. HCl sticking to walls, Beitel
1986 [S41]). The steady state is ``G / (V (λ + k))`` with time constant ``1/(λ + k)``; the solution here
is exact for emissions and winds held constant over each timestep.

What leaves the box is ``λ V C`` (mg/s): the source strength for outdoor transport from a vented enclosure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.physics.timeseries import linear_recurrence

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class WellMixedBox:
    """An enclosure or near-field air volume: dimensions (m), still-air exchange (1/h), loss rate (1/s).

    ``wind_coupling`` is the fraction of the wind speed that drives air through the box (1 for open
    air, small for a louvred cabinet).
    """

    length_m: float
    width_m: float
    height_m: float
    still_air_changes_per_hour: float
    wind_coupling: float = 1.0

    @property
    def volume_m3(self) -> float:
        return self.length_m * self.width_m * self.height_m

    def exchange_rate_per_s(self, wind_speed_m_s: FloatArray) -> FloatArray:
        """Air changes per second, λ = λ₀ + coupling · u / L."""
        result: FloatArray = (
            self.still_air_changes_per_hour / 3600.0 + self.wind_coupling * wind_speed_m_s / self.length_m
        )
        return result

    def concentration(
        self,
        emission_mg_s: FloatArray,
        wind_speed_m_s: FloatArray,
        times_s: FloatArray,
        loss_rate_per_s: float = 0.0,
    ) -> FloatArray:
        """Excess concentration in the box (mg/m³) at each timestep, starting from the steady state."""
        removal = self.exchange_rate_per_s(wind_speed_m_s) + loss_rate_per_s
        steady = emission_mg_s / (self.volume_m3 * removal)
        decay = np.exp(-removal * np.diff(times_s, prepend=times_s[0]))
        return linear_recurrence(decay, (1.0 - decay) * steady, float(steady[0]))

    def outflow_mg_s(self, concentration_mg_m3: FloatArray, wind_speed_m_s: FloatArray) -> FloatArray:
        """Mass leaving the box with its exhaust air, mg/s."""
        result: FloatArray = self.exchange_rate_per_s(wind_speed_m_s) * self.volume_m3 * concentration_mg_m3
        return result
