"""U21_SHT85 (enclosure air) and U22_SHT85 (outside air): Sensirion SHT85 temperature and humidity.

Data-sheet facts used (docs/physics.md §1.2):

- Accuracy ±0.1 °C and ±1.5 %RH typical [S6] → device offsets σ 0.1 °C and 0.75 %RH, RH gain σ 1 %.
- RH response τ63 = 8 s [S6]; the temperature τ63 of the SHT85 package is not published
  [unverified] → 5 s (the SHT4x's 2 s [S8] plus the SHT85's larger package).
- Long-term drift < 0.25 %RH/year [S6] → σ 0.15 %RH/year; temperature 0.03 °C/year (SHT3x data sheet
  typical, not in the fact sheet [unverified]).
- Repeatability (3σ) 0.08 %RH and 0.04 °C [S8] → noise σ 0.027 %RH and 0.013 °C.
- Output range −40…105 °C and 0…100 %RH, reported at 0.01 resolution (the 16-bit raw steps are finer).
  Relative humidity has natural limits: a reading pushed past 100 %RH by calibration error or noise
  (fog, rain) is clipped to 100 %RH, a valid reading, never ``SATURATED``; only temperature outside
  −40…105 °C saturates.

The enclosure sensor sees the box air: the same water vapour as outside at the enclosure temperature,
so its relative humidity is the outside vapour pressure over the saturation pressure at the enclosure
temperature (Magnus formula).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import FloatArray, RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.calibration import ErrorBudget
from envirosense.simulation.sensors.lag import first_order_lag
from envirosense.simulation.sensors.limits import OutputRange

Placement = Literal["enclosure", "outside"]
TEMPERATURE_ERRORS = ErrorBudget(0.0, 0.1, 0.0, 0.03)
"""Offset σ 0.1 °C per device, drifting σ 0.03 °C/year."""
HUMIDITY_ERRORS = ErrorBudget(0.01, 0.75, 0.0, 0.15)
"""Gain σ 1 % and offset σ 0.75 %RH per device, offset drifting σ 0.15 %RH/year."""


def saturation_vapour_pressure_hpa(temperature_c: FloatArray) -> FloatArray:
    """Magnus formula over water (Sonntag coefficients), hPa."""
    result: FloatArray = 6.112 * np.exp(17.62 * temperature_c / (243.12 + temperature_c))
    return result


def relative_humidity_at(
    relative_humidity_pct: FloatArray, air_temperature_c: FloatArray, new_temperature_c: FloatArray
) -> FloatArray:
    """RH of the same air warmed or cooled to ``new_temperature_c`` (vapour pressure conserved), %RH, ≤ 100."""
    vapour = relative_humidity_pct / 100.0 * saturation_vapour_pressure_hpa(air_temperature_c)
    result: FloatArray = np.minimum(100.0 * vapour / saturation_vapour_pressure_hpa(new_temperature_c), 100.0)
    return result


class TemperatureHumiditySensor(SensorModel):
    """SHT85: lag → calibration and drift → noise → range, for the air at ``placement``."""

    def __init__(
        self,
        sensor_id: str,
        placement: Placement,
        *,
        temperature_tau_s: float = 5.0,
        humidity_tau_s: float = 8.0,
        temperature_errors: ErrorBudget = TEMPERATURE_ERRORS,
        humidity_errors: ErrorBudget = HUMIDITY_ERRORS,
        temperature_noise_c: float = 0.013,
        humidity_noise_pct: float = 0.027,
    ) -> None:
        super().__init__(sensor_id)
        self.placement = placement
        self.temperature_tau_s = temperature_tau_s
        self.humidity_tau_s = humidity_tau_s
        self.temperature_errors = temperature_errors
        self.humidity_errors = humidity_errors
        self.temperature_noise_c = temperature_noise_c
        self.humidity_noise_pct = humidity_noise_pct
        self.temperature_range = OutputRange(-40.0, 105.0, 0.01, saturates_low=True)
        self.humidity_range = OutputRange(0.0, 100.0, 0.01)

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        t_cal = self.temperature_errors.draw(rng)
        rh_cal = self.humidity_errors.draw(rng)
        noise = rng.standard_normal((2, n))
        ambient = field.ambient
        if self.placement == "enclosure":
            temperature = ambient.enclosure_temperature_c
            humidity = relative_humidity_at(
                ambient.relative_humidity_pct, ambient.air_temperature_c, ambient.enclosure_temperature_c
            )
        else:
            temperature, humidity = ambient.air_temperature_c, ambient.relative_humidity_pct
        age = age_days(field.times_s, device.days_since_calibration)
        temperature = t_cal.apply(first_order_lag(temperature, field.times_s, self.temperature_tau_s), age)
        humidity = rh_cal.apply(first_order_lag(humidity, field.times_s, self.humidity_tau_s), age)
        temperature_c, t_saturated = self.temperature_range.apply(temperature + self.temperature_noise_c * noise[0])
        humidity_pct, _ = self.humidity_range.apply(humidity + self.humidity_noise_pct * noise[1])
        return RawReadings({"temperature_c": temperature_c, "relative_humidity_pct": humidity_pct}, t_saturated)
