"""U20_SPS30: Sensirion SPS30 optical particle counter (laser scattering, fan driven).

Data-sheet and field facts used (docs/physics.md §1.1, §5.6):

- **Size response.** Smallest detected particle 0.3 µm [S1]; PM4/PM10 are largely extrapolated from
  the fine counts, so PM10 tracks references poorly [S3]. The fine mode is a log-normal (σg = 1.8)
  around the true mass median diameter; the sensor sees the mass above 0.3 µm and scales it as if the
  aerosol were typical (MMD 0.6 µm), so fresh, ultrafine smoke under-reads [assumption on the
  extrapolation]. Coarse mass counts only partly: 50 % of 2.5–4 µm and 25 % of 4–10 µm [assumption],
  plus the firmware's proportional PM4/PM10 extrapolation of the fine mass.
- **Number concentrations** are counts of particles ≥ 0.3 µm below each cut (0.3–0.5, –1.0, –2.5,
  –10 µm) from the log-normal modes (density 1.5 g/cm³); **typical particle size** is their number-mean
  diameter. Range 0–3000 #/cm³ [S1][S2].
- **Humidity.** No inlet dryer: hygroscopic growth over-reads above ≈ 75 %RH, up to ≈ 5× in fog [S5]:
  mass × ``min(1 + 0.2 h⁸ / (1.04 − h), 5)`` (h = RH/100) for the coarse part and 60 % of that excess for
  the fine part; particle diameters grow by the cube root of the mass factor.
- **Accuracy** ±10 µg/m³ (0–100) and ±10 % (100–1000) [S1] → device gain σ 5 %, offset σ 1 µg/m³;
  long-term drift 1.25 µg/m³ and 1.25 %/year (SPS30 data sheet; not in the fact sheet [unverified]).
- **Noise**: clean-air noise floor not published [S1 unverified] → 0.5 µg/m³ plus 4 % counting noise.
- **Resolution and range**: mass 1 µg/m³, 0–1000 µg/m³ [S1]; numbers 1 #/cm³; size 1 nm (the
  integer output format). Sampling ≥ 1 s; lag τ63 = 5 s [assumption].
- **Fan cleaning**: full-speed fan for 10 s once a week of operation [S1], phase drawn per device;
  readings inside the window glitch high (dust shaken off the fan and optics), status still OK.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import BoolArray, FloatArray, RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.calibration import ErrorBudget
from envirosense.simulation.sensors.lag import first_order_lag
from envirosense.simulation.sensors.limits import OutputRange

MASS_FIELDS = (
    "mass_concentration_pm1_0_ug_m3",
    "mass_concentration_pm2_5_ug_m3",
    "mass_concentration_pm4_0_ug_m3",
    "mass_concentration_pm10_ug_m3",
)
NUMBER_FIELDS = (
    "number_concentration_pm0_5_per_cm3",
    "number_concentration_pm1_0_per_cm3",
    "number_concentration_pm2_5_per_cm3",
    "number_concentration_pm10_per_cm3",
)
NUMBER_CUTS_UM = (0.5, 1.0, 2.5, 10.0)
DETECTION_LIMIT_UM = 0.3
FINE_SIGMA_G = 1.8
COARSE_SIGMA_G = 1.6
COARSE_MMD_UM = 4.5
REFERENCE_MMD_UM = 0.6
PARTICLE_DENSITY_G_CM3 = 1.5
MASS_ERRORS = ErrorBudget(0.05, 1.0, 0.0125, 1.25)
"""Mass gain σ 5 % and offset σ 1 µg/m³ per device; drift σ 1.25 %/year and 1.25 µg/m³/year."""


def humidity_growth(relative_humidity_pct: FloatArray) -> FloatArray:
    """Mass over-reading factor from water uptake, 1 below ≈ 70 %RH rising to 5 in fog [S5]."""
    h = np.clip(relative_humidity_pct, 0.0, 100.0) / 100.0
    result: FloatArray = np.minimum(1.0 + 0.2 * h**8 / (1.04 - h), 5.0)
    return result


def _mass_fraction_above(limit_um: float, mmd_um: FloatArray, sigma_g: float) -> FloatArray:
    result: FloatArray = 1.0 - ndtr(np.log(limit_um / mmd_um) / np.log(sigma_g))
    return result


def _mode_numbers(mass_ug_m3: FloatArray, mmd_um: FloatArray, sigma_g: float) -> tuple[FloatArray, FloatArray]:
    """Total number (#/cm³) and count median diameter (µm) of a log-normal mass mode (Hatch–Choate)."""
    ln2 = np.log(sigma_g) ** 2
    cmd = mmd_um * np.exp(-3.0 * ln2)
    mean_mass_ug_per_um3 = PARTICLE_DENSITY_G_CM3 * 1e-6 * np.pi / 6.0 * cmd**3 * np.exp(4.5 * ln2)
    total: FloatArray = mass_ug_m3 * 1e-6 / mean_mass_ug_per_um3
    return total, cmd


def _counted_between(total: FloatArray, cmd: FloatArray, sigma_g: float, upper_um: float) -> FloatArray:
    ln_sigma = np.log(sigma_g)
    lower = ndtr(np.log(DETECTION_LIMIT_UM / cmd) / ln_sigma)
    result: FloatArray = total * np.clip(ndtr(np.log(upper_um / cmd) / ln_sigma) - lower, 0.0, None)
    return result


def _counted_mean_diameter(cmd: FloatArray, sigma_g: float) -> FloatArray:
    """Number-mean diameter of a log-normal truncated below at the detection limit, µm."""
    s = np.log(sigma_g)
    z = np.log(DETECTION_LIMIT_UM / cmd) / s
    tail = np.maximum(1.0 - ndtr(z), 1e-300)
    result: FloatArray = cmd * np.exp(s**2 / 2.0) * (1.0 - ndtr(z - s)) / tail
    return result


class ParticulateSensor(SensorModel):
    """SPS30: size-dependent detection → humidity growth → lag → calibration and drift → noise → range,
    plus the weekly fan-clean glitch.

    ``fan_clean_interval_s`` / ``fan_clean_duration_s``: cleaning schedule (data sheet: weekly, 10 s);
    ``lag_tau_s``: response time constant, s; ``errors``: calibration and drift of the mass channels
    (the gain also scales the counts); noise: absolute mass (µg/m³) and number (#/cm³) floors plus a
    relative counting noise shared by all channels of one reading.
    """

    def __init__(
        self,
        sensor_id: str = "U20_SPS30",
        *,
        fan_clean_interval_s: float = 7 * 86_400.0,
        fan_clean_duration_s: float = 10.0,
        lag_tau_s: float = 5.0,
        errors: ErrorBudget = MASS_ERRORS,
        mass_noise_ug_m3: float = 0.5,
        number_noise_per_cm3: float = 2.0,
        relative_noise: float = 0.04,
    ) -> None:
        super().__init__(sensor_id)
        self.fan_clean_interval_s = fan_clean_interval_s
        self.fan_clean_duration_s = fan_clean_duration_s
        self.lag_tau_s = lag_tau_s
        self.errors = errors
        self.mass_noise_ug_m3 = mass_noise_ug_m3
        self.number_noise_per_cm3 = number_noise_per_cm3
        self.relative_noise = relative_noise
        self.mass_range = OutputRange(0.0, 1000.0, 1.0)
        self.number_range = OutputRange(0.0, 3000.0, 1.0)
        self.size_range = OutputRange(0.0, 10.0, 0.001)

    def fan_cleaning(self, times_s: FloatArray, phase_s: float) -> BoolArray:
        """True for readings inside a cleaning window (windows start at ``phase_s + k · interval``)."""
        since = np.mod(times_s - phase_s, self.fan_clean_interval_s)
        result: BoolArray = since < self.fan_clean_duration_s
        return result

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        calibration = self.errors.draw(rng)
        phase = float(rng.uniform(0.0, self.fan_clean_interval_s))
        glitch_gain = rng.uniform(1.5, 4.0, size=n)
        z = rng.standard_normal((10, n))

        bins = field.particles_ug_m3
        fine_pm1, fine_pm25 = bins["pm_below_1"], bins["pm_1_to_2_5"]
        coarse_pm4, coarse_pm10 = bins["pm_2_5_to_4"], bins["pm_4_to_10"]
        growth = humidity_growth(field.ambient.relative_humidity_pct)
        fine_growth = 1.0 + 0.6 * (growth - 1.0)
        dry_fine_mmd = np.clip(field.particle_median_diameter_um, 0.05, 2.5)
        wet_fine_mmd = dry_fine_mmd * np.cbrt(fine_growth)

        reference = _mass_fraction_above(DETECTION_LIMIT_UM, np.array(REFERENCE_MMD_UM), FINE_SIGMA_G)
        counted = _mass_fraction_above(DETECTION_LIMIT_UM, wet_fine_mmd, FINE_SIGMA_G)
        efficiency = np.clip(0.4 + 0.6 * counted / reference, 0.0, 1.2)
        pm1 = efficiency * fine_pm1 * fine_growth
        pm25 = pm1 + 0.9 * fine_pm25 * fine_growth
        pm4 = 1.04 * pm25 + 0.5 * coarse_pm4 * growth
        pm10 = pm4 + 0.03 * pm25 + 0.25 * coarse_pm10 * growth

        # Water uptake grows the particles (diameter by the cube root of the mass factor), not their number.
        fine_total, fine_cmd = _mode_numbers(fine_pm1 + fine_pm25, dry_fine_mmd, FINE_SIGMA_G)
        fine_cmd = fine_cmd * np.cbrt(fine_growth)
        coarse_total, coarse_cmd = _mode_numbers(coarse_pm4 + coarse_pm10, np.array(COARSE_MMD_UM), COARSE_SIGMA_G)
        coarse_cmd = coarse_cmd * np.cbrt(growth)
        fine_counts = np.stack([_counted_between(fine_total, fine_cmd, FINE_SIGMA_G, cut) for cut in NUMBER_CUTS_UM])
        coarse_counts = np.stack(
            [_counted_between(coarse_total, coarse_cmd, COARSE_SIGMA_G, cut) for cut in NUMBER_CUTS_UM]
        )
        numbers = fine_counts + coarse_counts
        size = (
            fine_counts[3] * _counted_mean_diameter(fine_cmd, FINE_SIGMA_G)
            + coarse_counts[3] * _counted_mean_diameter(coarse_cmd, COARSE_SIGMA_G)
        ) / np.maximum(numbers[3], 1e-12)
        size = np.where(numbers[3] > 1e-12, size, _counted_mean_diameter(fine_cmd, FINE_SIGMA_G))

        cleaning = self.fan_cleaning(field.times_s, phase)
        mass = np.stack([pm1, pm25, pm4, pm10])
        mass = first_order_lag(mass, field.times_s, self.lag_tau_s)
        numbers = first_order_lag(numbers, field.times_s, self.lag_tau_s)
        age = age_days(field.times_s, device.days_since_calibration)
        gain = calibration.gain[0] + calibration.gain_drift_per_day[0] * age
        offset = calibration.offset[0] + calibration.offset_drift_per_day[0] * age
        spike = np.where(cleaning, glitch_gain, 1.0)
        coarse_spike = np.where(cleaning, glitch_gain**1.5, 1.0)
        mass = mass * gain * np.stack([spike, spike, coarse_spike, coarse_spike]) + offset
        numbers = numbers * gain * spike

        relative = 1.0 + self.relative_noise * z[0]
        mass = mass * relative + self.mass_noise_ug_m3 * z[1:5]
        numbers = numbers * relative + self.number_noise_per_cm3 * z[5:9]
        # The SPS30 reports cumulative size classes: PM1 ≤ PM2.5 ≤ PM4 ≤ PM10, and likewise for counts.
        mass = np.maximum.accumulate(np.maximum(mass, 0.0), axis=0)
        numbers = np.maximum.accumulate(np.maximum(numbers, 0.0), axis=0)
        size = size * (1.0 + 0.03 * z[9])

        values: dict[str, FloatArray] = {}
        saturated = np.zeros(n, dtype=bool)
        for name, row in zip(MASS_FIELDS, mass, strict=True):
            values[name], clipped = self.mass_range.apply(row)
            saturated |= clipped
        for name, row in zip(NUMBER_FIELDS, numbers, strict=True):
            values[name], clipped = self.number_range.apply(row)
            saturated |= clipped
        values["typical_particle_size_um"], clipped = self.size_range.apply(size)
        return RawReadings(values, saturated | clipped)
