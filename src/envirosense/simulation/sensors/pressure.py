"""U23_BMP388: Bosch BMP388 barometric pressure sensor, inside the enclosure.

Data-sheet facts used (docs/physics.md §1.3):

- Range 300–1250 hPa; absolute accuracy ≈ ±0.5 hPa [S9] → device offset σ 0.25 hPa.
- Temperature coefficient of offset ±0.75 Pa/K [S9] → per-device coefficient σ 0.375 Pa/K applied to
  the die (enclosure) temperature's distance from 25 °C.
- Noise 0.9 Pa RMS at ×8 oversampling, IIR coefficient 3 [S9]; output resolution 0.016 Pa [S9].
- Long-term stability ±0.33 hPa per 12 months (BMP388 data sheet; not in the fact sheet [unverified])
  → offset drift σ 0.2 hPa/year.
- Die temperature: the enclosure air plus 0.2 °C self-heating with a 30 s thermal lag, offset σ 0.25 °C,
  0.01 °C noise, 0.005 °C resolution, range −40…85 °C [assumption beyond the range].
"""

from __future__ import annotations

import numpy as np

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.calibration import ErrorBudget
from envirosense.simulation.sensors.lag import first_order_lag
from envirosense.simulation.sensors.limits import OutputRange

PA_PER_HPA = 100.0
PRESSURE_ERRORS = ErrorBudget(0.0, 0.25, 0.0, 0.2)
"""Offset σ 0.25 hPa per device, drifting σ 0.2 hPa/year."""
DIE_ERRORS = ErrorBudget(0.0, 0.25, 0.0, 0.05)
"""Die-temperature offset σ 0.25 °C, drifting σ 0.05 °C/year."""


class PressureSensor(SensorModel):
    """BMP388: calibration, temperature-dependent offset and drift → noise → 0.016 Pa steps → range."""

    def __init__(
        self,
        sensor_id: str = "U23_BMP388",
        *,
        pressure_errors: ErrorBudget = PRESSURE_ERRORS,
        offset_tempco_sd_pa_per_k: float = 0.375,
        noise_pa: float = 0.9,
        die_errors: ErrorBudget = DIE_ERRORS,
        die_self_heating_c: float = 0.2,
        die_tau_s: float = 30.0,
        die_noise_c: float = 0.01,
    ) -> None:
        super().__init__(sensor_id)
        self.pressure_errors = pressure_errors
        self.offset_tempco_sd_pa_per_k = offset_tempco_sd_pa_per_k
        self.noise_pa = noise_pa
        self.die_errors = die_errors
        self.die_self_heating_c = die_self_heating_c
        self.die_tau_s = die_tau_s
        self.die_noise_c = die_noise_c
        self.pressure_range = OutputRange(300.0, 1250.0, 0.016 / PA_PER_HPA, saturates_low=True)
        self.die_range = OutputRange(-40.0, 85.0, 0.005, saturates_low=True)

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        p_cal = self.pressure_errors.draw(rng)
        die_cal = self.die_errors.draw(rng)
        tempco_hpa_per_k = self.offset_tempco_sd_pa_per_k * float(rng.standard_normal()) / PA_PER_HPA
        noise = rng.standard_normal((2, n))
        age = age_days(field.times_s, device.days_since_calibration)
        die = first_order_lag(
            field.ambient.enclosure_temperature_c + self.die_self_heating_c, field.times_s, self.die_tau_s
        )
        pressure = p_cal.apply(field.ambient.pressure_hpa, age) + tempco_hpa_per_k * (die - 25.0)
        pressure_hpa, p_saturated = self.pressure_range.apply(pressure + self.noise_pa / PA_PER_HPA * noise[0])
        die_c, die_saturated = self.die_range.apply(die_cal.apply(die, age) + self.die_noise_c * noise[1])
        return RawReadings({"pressure_hpa": pressure_hpa, "sensor_temperature_c": die_c}, p_saturated | die_saturated)
