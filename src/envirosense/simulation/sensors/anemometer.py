"""U24_FT205: FT Technologies FT205 acoustic-resonance ultrasonic anemometer.

Data-sheet facts used (FT205EV manual [S10], docs/physics.md §1.4):

- Speed range 0–75 m/s, resolution 0.1 m/s; accuracy ±0.3 m/s (0–16 m/s), ±2 % (16–40), ±4 % (40–75)
  → taken as 2σ of the per-reading error: σ = 0.15 m/s, 1 % and 2 % of the reading.
- Direction resolution 1°, accuracy 4° RMS → noise σ 4°, growing as 4°/u below 1 m/s where the
  direction of a near-calm is ill-defined [assumption], capped at 60°; compass alignment 5° RMS →
  per-device direction offset σ 5°.
- Acoustic temperature: resolution 0.1 °C, ±2 °C only for 5–60 m/s → σ 1 °C inside that band and
  3 °C outside it [assumption on the outside accuracy]; device offset σ 0.5 °C.
- No moving parts: a small speed-gain error (σ 1 %) and gain drift (σ 0.5 %/year) [assumption].
- Up to 10 Hz output: no response lag at the simulation's sample spacing.
"""

from __future__ import annotations

import numpy as np

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import FloatArray, RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.calibration import ErrorBudget
from envirosense.simulation.sensors.limits import OutputRange, quantise

SPEED_ERRORS = ErrorBudget(0.01, 0.0, 0.005, 0.0)
"""Speed gain σ 1 % per device, drifting σ 0.5 %/year."""


def speed_noise_sd(speed_m_s: FloatArray) -> FloatArray:
    """Per-reading speed error (1σ) from the FT205 accuracy bands, m/s."""
    result: FloatArray = np.select(
        [speed_m_s <= 16.0, speed_m_s <= 40.0], [np.full_like(speed_m_s, 0.15), 0.01 * speed_m_s], 0.02 * speed_m_s
    )
    return result


class AnemometerSensor(SensorModel):
    """FT205: speed gain and drift → band-dependent noise → 0.1 m/s steps; direction offset and noise →
    1° steps wrapped to [0, 360); acoustic temperature with speed-dependent accuracy."""

    def __init__(
        self,
        sensor_id: str = "U24_FT205",
        *,
        speed_errors: ErrorBudget = SPEED_ERRORS,
        direction_offset_sd_deg: float = 5.0,
        direction_noise_deg: float = 4.0,
        acoustic_temperature_offset_sd_c: float = 0.5,
    ) -> None:
        super().__init__(sensor_id)
        self.speed_errors = speed_errors
        self.direction_offset_sd_deg = direction_offset_sd_deg
        self.direction_noise_deg = direction_noise_deg
        self.acoustic_temperature_offset_sd_c = acoustic_temperature_offset_sd_c
        self.speed_range = OutputRange(0.0, 75.0, 0.1)
        self.temperature_range = OutputRange(-40.0, 70.0, 0.1, saturates_low=True)

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        calibration = self.speed_errors.draw(rng)
        direction_offset = self.direction_offset_sd_deg * float(rng.standard_normal())
        temperature_offset = self.acoustic_temperature_offset_sd_c * float(rng.standard_normal())
        noise = rng.standard_normal((3, n))
        truth = np.maximum(field.ambient.wind_speed_m_s, 0.0)
        age = age_days(field.times_s, device.days_since_calibration)
        speed = calibration.apply(truth, age)
        speed_m_s, saturated = self.speed_range.apply(speed + speed_noise_sd(speed) * noise[0])

        direction_sd = np.minimum(self.direction_noise_deg / np.clip(truth, 1e-3, 1.0), 60.0)
        direction = field.ambient.wind_direction_deg + direction_offset + direction_sd * noise[1]
        direction_deg = np.mod(quantise(np.mod(direction, 360.0), 1.0), 360.0)

        in_band = (truth >= 5.0) & (truth <= 60.0)
        temperature = field.ambient.air_temperature_c + temperature_offset + np.where(in_band, 1.0, 3.0) * noise[2]
        temperature_c, t_saturated = self.temperature_range.apply(temperature)
        return RawReadings(
            {"wind_speed_m_s": speed_m_s, "wind_direction_deg": direction_deg, "acoustic_temperature_c": temperature_c},
            saturated | t_saturated,
        )
