"""U29_TFEMF: the device's power-frequency (50/60 Hz) magnetic-field sensor.

The TFEMF has no public data sheet; the model is a generic RMS fluxgate/coil front end sized for the
fields in docs/physics.md §1.10 (≈ 0.002–2 µT near lines and substations, up to ≈ 100 µT at
transformer walls [S23][S24]) [assumption for every figure below]:

- Field: gain σ 3 %, gain drift σ 1 %/year; noise floor 0.005 µT plus 1 % of the reading; reported at
  0.001 µT over 0–2000 µT (clipped and ``SATURATED`` above).
- Frequency: zero-crossing estimate with σ 0.005 Hz on a clear signal, degrading as
  ``0.005 + 0.05·(0.01 µT / B)`` Hz once the field nears the noise floor; 0.01 Hz steps.
- Harmonics (3rd, 5th, % of fundamental): noise σ 0.2 % plus ``0.02 % · (1 µT / B)`` (a weak
  fundamental makes the ratio noisy); 0.1 % steps, 0–100 %.
- Broadband 10 kHz–1 MHz noise above the sensor floor: the truth added in energy to a 0 dB floor,
  ±1 dB scatter, 0.1 dB steps, 0–120 dB.
- No lag: the RMS window (≈ 1 s) is shorter than the sample spacing.
"""

from __future__ import annotations

import numpy as np

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.calibration import ErrorBudget
from envirosense.simulation.sensors.limits import OutputRange

FIELD_ERRORS = ErrorBudget(0.03, 0.0, 0.01, 0.0)
"""Field gain σ 3 % per device, drifting σ 1 %/year."""


class EmfSensor(SensorModel):
    """Magnetic field RMS, fundamental frequency, 3rd/5th harmonics and broadband HF noise."""

    def __init__(
        self,
        sensor_id: str = "U29_TFEMF",
        *,
        field_errors: ErrorBudget = FIELD_ERRORS,
        noise_floor_ut: float = 0.005,
        relative_noise: float = 0.01,
    ) -> None:
        super().__init__(sensor_id)
        self.field_errors = field_errors
        self.noise_floor_ut = noise_floor_ut
        self.relative_noise = relative_noise
        self.field_range = OutputRange(0.0, 2000.0, 0.001)
        self.frequency_range = OutputRange(0.0, 1000.0, 0.01)
        self.harmonic_range = OutputRange(0.0, 100.0, 0.1)
        self.hf_range = OutputRange(0.0, 120.0, 0.1)

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        calibration = self.field_errors.draw(rng)
        z = rng.standard_normal((5, n))
        emf = field.emf
        truth = np.maximum(emf.magnetic_field_ut, 0.0)
        measured = calibration.apply(truth, age_days(field.times_s, device.days_since_calibration))
        sigma = np.hypot(self.noise_floor_ut, self.relative_noise * measured)
        strength, saturated = self.field_range.apply(np.abs(measured + sigma * z[0]))
        weak = 1.0 / np.maximum(truth, 1e-4)
        frequency = emf.frequency_hz + (0.005 + 0.05 * 0.01 * weak) * z[1]
        harmonic_sd = 0.2 + 0.02 * weak
        hf = 10.0 * np.log10(10.0 ** (np.maximum(emf.hf_noise_db, 0.0) / 10.0) + 1.0) + z[4]
        return RawReadings(
            {
                "field_strength_ut": strength,
                "dominant_frequency_hz": self.frequency_range.apply(frequency)[0],
                "harmonic_3_pct": self.harmonic_range.apply(emf.harmonic_3_pct + harmonic_sd * z[2])[0],
                "harmonic_5_pct": self.harmonic_range.apply(emf.harmonic_5_pct + harmonic_sd * z[3])[0],
                "hf_noise_db": self.hf_range.apply(hf)[0],
            },
            saturated,
        )
