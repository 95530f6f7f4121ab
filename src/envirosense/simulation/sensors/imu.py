"""U30_BMI270: Bosch BMI270 6-axis IMU measuring the box's own tilt, sway and vibration.

Data-sheet facts used (docs/physics.md §1.8):

- Configured ranges ±8 g and ±500 °/s (within the part's ±2…±16 g and ±125…±2000 °/s [S17]), 16-bit
  outputs → steps of 0.244 mg and 0.0153 °/s; values beyond the range are clipped and ``SATURATED``.
- Noise density 160 µg/√Hz (accelerometer) and 0.007 °/s/√Hz (gyroscope) [S17], over a
  noise-equivalent bandwidth of 62.8 Hz (100 Hz ODR, normal filter: 40 Hz × π/2) → σ 1.27 mg and
  0.055 °/s per sample.
- Gyro zero-rate offset ±0.5 °/s (1σ) [S17], with a temperature coefficient σ 0.02 °/s/K about 25 °C
  and drift σ 0.1 °/s/year [assumption]. Accelerometer zero-g offset σ 20 mg and sensitivity σ 0.4 %
  (BMI270 data sheet typicals, not in the fact sheet [unverified]); offset drift σ 5 mg/year
  [assumption].
- Mounting: a per-device azimuth of the tilt and a ±1° misalignment.
- Readings are instantaneous samples: gravity projected through the tilt, plus the vibration (truth RMS
  split evenly over three axes) and the pole's sway rate (two horizontal axes; torsion at 20 %).
  ``vibration_rms_g`` is the RMS of the high-passed acceleration over a ≈ 100-sample window: the truth
  and the three axes' noise in quadrature, with a 7 % estimation scatter.
"""

from __future__ import annotations

import numpy as np

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import FloatArray, RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.calibration import ErrorBudget
from envirosense.simulation.sensors.limits import OutputRange

ACCEL_FIELDS = ("acceleration_x_g", "acceleration_y_g", "acceleration_z_g")
GYRO_FIELDS = ("angular_rate_x_dps", "angular_rate_y_dps", "angular_rate_z_dps")
NOISE_BANDWIDTH_HZ = 40.0 * np.pi / 2.0
ACCEL_ERRORS = ErrorBudget(0.004, 0.020, 0.0, 0.005)
"""Sensitivity σ 0.4 %, zero-g offset σ 20 mg, offset drift σ 5 mg/year."""
GYRO_ERRORS = ErrorBudget(0.004, 0.5, 0.0, 0.1)
"""Sensitivity σ 0.4 %, zero-rate offset σ 0.5 °/s, offset drift σ 0.1 °/s/year."""


class ImuSensor(SensorModel):
    """BMI270: gravity through the tilt + vibration + sway → offsets, sensitivity and drift → noise →
    16-bit steps → configured range."""

    def __init__(
        self,
        sensor_id: str = "U30_BMI270",
        *,
        accel_range_g: float = 8.0,
        gyro_range_dps: float = 500.0,
        accel_noise_density_g: float = 160e-6,
        gyro_noise_density_dps: float = 0.007,
        accel_errors: ErrorBudget = ACCEL_ERRORS,
        gyro_errors: ErrorBudget = GYRO_ERRORS,
        gyro_tempco_sd_dps_per_k: float = 0.02,
        misalignment_sd_deg: float = 1.0,
        rms_scatter: float = 0.07,
    ) -> None:
        super().__init__(sensor_id)
        self.accel_noise_g = accel_noise_density_g * np.sqrt(NOISE_BANDWIDTH_HZ)
        self.gyro_noise_dps = gyro_noise_density_dps * np.sqrt(NOISE_BANDWIDTH_HZ)
        self.accel_errors = accel_errors
        self.gyro_errors = gyro_errors
        self.gyro_tempco_sd_dps_per_k = gyro_tempco_sd_dps_per_k
        self.misalignment_sd_deg = misalignment_sd_deg
        self.rms_scatter = rms_scatter
        self.accel_range = OutputRange(-accel_range_g, accel_range_g, 2 * accel_range_g / 65_536, saturates_low=True)
        self.gyro_range = OutputRange(-gyro_range_dps, gyro_range_dps, 2 * gyro_range_dps / 65_536, saturates_low=True)
        self.rms_range = OutputRange(0.0, accel_range_g, 2 * accel_range_g / 65_536)

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        accel_cal = self.accel_errors.draw(rng, channels=3)
        gyro_cal = self.gyro_errors.draw(rng, channels=3)
        gyro_tempco = self.gyro_tempco_sd_dps_per_k * rng.standard_normal(3)
        azimuth = rng.uniform(0.0, 2.0 * np.pi)
        misalignment = self.misalignment_sd_deg * float(rng.standard_normal())
        z = rng.standard_normal((13, n))

        motion = field.motion
        tilt = np.radians(motion.tilt_deg + misalignment)
        vibration = np.maximum(motion.vibration_rms_g, 0.0)
        sway = np.maximum(motion.sway_rate_dps, 0.0)
        gravity = np.stack([np.sin(tilt) * np.cos(azimuth), np.sin(tilt) * np.sin(azimuth), np.cos(tilt)])
        age = age_days(field.times_s, device.days_since_calibration)
        accel = accel_cal.apply(gravity + vibration / np.sqrt(3.0) * z[0:3], age) + self.accel_noise_g * z[3:6]
        rates = np.stack([sway / np.sqrt(2.0) * z[6], sway / np.sqrt(2.0) * z[7], 0.2 * sway * z[8]])
        temperature_offset = gyro_tempco[:, None] * (field.ambient.enclosure_temperature_c - 25.0)[None, :]
        gyro = gyro_cal.apply(rates, age) + temperature_offset + self.gyro_noise_dps * z[9:12]
        rms = np.sqrt(vibration**2 + 3.0 * self.accel_noise_g**2) * (1.0 + self.rms_scatter * z[12])

        values: dict[str, FloatArray] = {}
        saturated = np.zeros(n, dtype=bool)
        for names, data, output in ((ACCEL_FIELDS, accel, self.accel_range), (GYRO_FIELDS, gyro, self.gyro_range)):
            for name, row in zip(names, data, strict=True):
                values[name], clipped = output.apply(row)
                saturated |= clipped
        values["vibration_rms_g"], clipped = self.rms_range.apply(np.abs(rms))
        return RawReadings(values, saturated | clipped)
