"""U27/U28_SPU0410HR5H: Knowles MEMS microphones (upper, exposed; lower, sheltered), band levels per reading.

Facts used (docs/physics.md §1.7, §3.3, §5.6):

- **Sensitivity** −42 dBV/Pa nominal, −45 to −39 [S15] → per-device level error σ 1.5 dB; drift
  σ 0.5 dB/year [assumption].
- **Self-noise**: SNR 59 dB(A) at 94 dB SPL → equivalent input noise ≈ 35 dB(A) [S15][derived], spread
  over the bands as 25 / 28 / 34.5 dB (low / mid / high; A-weighted sum ≈ 35 dB(A)) and 28 dB in the
  36–44 kHz band [assumption].
- **Non-flat ultrasonic response**: the sibling SPU0410LR5H peaks near 23 kHz and dips broadly near
  60 kHz [S16]; the response is ``10·exp(−((f−23 kHz)/6 kHz)²) − 8·exp(−((f−60 kHz)/15 kHz)²)`` dB,
  band-averaged in energy (pink spectrum assumed), plus a per-device "lumpy" ripple σ 2 dB in the
  ultrasonic band and 0.5 dB in the high band [S16 qualitative].
- **Wind noise** is turbulence pressure at the port, mostly low frequency, and *incoherent* between two
  nearby microphones [S63]: each microphone draws its own level ``38 + 40·log₁₀ u`` dB in the low band
  (dynamic pressure ∝ u²; windscreen included [S64]), −15 / −35 / −60 dB in the mid / high / ultrasonic
  bands, with its own ±3 dB gust scatter; the exposed upper microphone gets the full level, the lower
  one 4 dB less [assumption].
- **Rain** soaks the port screen and degrades high frequencies [S64]: −5 dB (high) and −12 dB
  (ultrasonic) × ``tanh(rain/5 mm/h)`` × exposure (upper 1, lower 0.5) [assumption].
- **Overload**: THD reaches 10 % at 115 dB SPL (an AOP-like limit of the sibling part [S15]) → band
  levels clip at 120 dB and the reading is ``SATURATED``.
- **Outputs**: band levels 0.1 dB steps; A-weighted SPL from the audio bands (band weights −20, −4,
  0 dB); dominant frequency = a frequency inside the loudest band, on a 96 kHz / 4096-point FFT grid
  (23.4 Hz); crest factor 10 dB for steady noise rising by up to 18 dB with the source's impulsiveness,
  diluted by the share of wind and self-noise in the signal.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import FloatArray, RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.calibration import ErrorBudget
from envirosense.simulation.sensors.limits import OutputRange, quantise

BAND_FIELDS = ("band_low_db", "band_mid_db", "band_high_db", "band_ultrasonic_db")
BAND_EDGES_HZ = ((20.0, 200.0), (200.0, 2000.0), (2000.0, 20_000.0), (36_000.0, 44_000.0))
BAND_CENTRE_HZ = (63.0, 630.0, 6300.0, 40_000.0)
A_WEIGHT_DB = (-20.0, -4.0, 0.0)
SELF_NOISE_DB = (25.0, 28.0, 34.5, 28.0)
WIND_BAND_OFFSET_DB = (0.0, -15.0, -35.0, -60.0)
RAIN_LOSS_DB = (0.0, 0.0, -5.0, -12.0)
OVERLOAD_DB = 120.0
LEVEL_ERRORS = ErrorBudget(0.0, 1.5, 0.0, 0.5)
"""Sensitivity σ 1.5 dB per device, drifting σ 0.5 dB/year (additive in dB)."""
FFT_BIN_HZ = 96_000.0 / 4096.0


def response_db(frequency_hz: FloatArray) -> FloatArray:
    """Microphone response relative to its 1 kHz sensitivity, dB (flat below ≈ 10 kHz)."""
    result: FloatArray = 10.0 * np.exp(-(((frequency_hz - 23e3) / 6e3) ** 2)) - 8.0 * np.exp(
        -(((frequency_hz - 60e3) / 15e3) ** 2)
    )
    return result


@cache
def band_response_db() -> tuple[float, ...]:
    """Energy-averaged response over each band for a pink (equal energy per octave) spectrum, dB."""
    averages = []
    for low, high in BAND_EDGES_HZ:
        frequencies = np.geomspace(low, high, 200)
        averages.append(float(10.0 * np.log10(np.mean(10.0 ** (response_db(frequencies) / 10.0)))))
    return tuple(averages)


def power_sum_db(*levels: FloatArray) -> FloatArray:
    """Level of incoherent sources added in energy, dB."""
    result: FloatArray = 10.0 * np.log10(sum(10.0 ** (level / 10.0) for level in levels))
    return result


class AcousticSensor(SensorModel):
    """SPU0410HR5H: frequency response, sensitivity error and drift, rain loss → + own wind noise and
    self-noise → overload clip → band levels, SPL, dominant frequency, crest factor.

    ``wind_exposure_db``: this microphone's wind-noise level relative to a fully exposed one;
    ``rain_exposure``: 0 (sheltered) to 1 (fully exposed) share of the soaked-screen loss.
    """

    def __init__(
        self,
        sensor_id: str,
        *,
        wind_exposure_db: float = 0.0,
        rain_exposure: float = 1.0,
        level_errors: ErrorBudget = LEVEL_ERRORS,
        ultrasonic_ripple_sd_db: float = 2.0,
        high_ripple_sd_db: float = 0.5,
        wind_scatter_db: float = 3.0,
        level_noise_db: float = 0.5,
    ) -> None:
        super().__init__(sensor_id)
        self.wind_exposure_db = wind_exposure_db
        self.rain_exposure = rain_exposure
        self.level_errors = level_errors
        self.ultrasonic_ripple_sd_db = ultrasonic_ripple_sd_db
        self.high_ripple_sd_db = high_ripple_sd_db
        self.wind_scatter_db = wind_scatter_db
        self.level_noise_db = level_noise_db
        self.level_range = OutputRange(0.0, 140.0, 0.1)
        self.crest_range = OutputRange(0.0, 60.0, 0.1)
        self.frequency_range = OutputRange(0.0, 80_000.0, FFT_BIN_HZ)

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        n = field.n_steps
        calibration = self.level_errors.draw(rng)
        ripple = np.array([0.0, 0.0, self.high_ripple_sd_db, self.ultrasonic_ripple_sd_db]) * rng.standard_normal(4)
        wind_scatter = self.wind_scatter_db * rng.standard_normal((4, n))
        level_noise = self.level_noise_db * rng.standard_normal((4, n))
        frequency_jitter = rng.standard_normal(n)
        crest_noise = rng.standard_normal(n)

        sound = field.acoustic
        truth = np.stack([sound.band_low_db, sound.band_mid_db, sound.band_high_db, sound.band_ultrasonic_db])
        age = age_days(field.times_s, device.days_since_calibration)
        wetness = np.tanh(np.clip(field.ambient.precipitation_mm_h, 0.0, None) / 5.0)
        response = np.array(band_response_db()) + ripple
        signal = calibration.apply(truth + response[:, None], age)
        signal = signal + self.rain_exposure * np.array(RAIN_LOSS_DB)[:, None] * wetness[None, :]
        wind_low = 38.0 + 40.0 * np.log10(np.maximum(field.ambient.wind_speed_m_s, 0.1)) + self.wind_exposure_db
        wind = wind_low[None, :] + np.array(WIND_BAND_OFFSET_DB)[:, None] + wind_scatter
        self_noise = np.array(SELF_NOISE_DB)[:, None]
        measured = power_sum_db(signal, wind, np.broadcast_to(self_noise, signal.shape)) + level_noise
        overloaded = np.max(measured, axis=0) > OVERLOAD_DB
        measured = np.minimum(measured, OVERLOAD_DB)

        values: dict[str, FloatArray] = {}
        for name, row in zip(BAND_FIELDS, measured, strict=True):
            values[name] = self.level_range.apply(row)[0]
        weighted = measured[:3] + np.array(A_WEIGHT_DB)[:, None]
        values["spl_db"] = self.level_range.apply(power_sum_db(*weighted))[0]

        loudest = np.argmax(measured, axis=0)
        centre = np.array(BAND_CENTRE_HZ)[loudest]
        edges = np.array(BAND_EDGES_HZ)[loudest]
        spread = np.where(loudest == 3, 0.02, 0.3)
        frequency = np.clip(centre * np.exp(spread * frequency_jitter), edges[:, 0], edges[:, 1])
        values["dominant_frequency_hz"] = self.frequency_range.apply(quantise(frequency, FFT_BIN_HZ))[0]

        source_energy = (10.0 ** (signal / 10.0)).sum(axis=0)
        wind_energy = (10.0 ** (wind / 10.0)).sum(axis=0)
        total_energy = source_energy + wind_energy + (10.0 ** (self_noise / 10.0)).sum()
        crest = (
            10.0
            + 18.0 * np.clip(sound.impulsiveness, 0.0, 1.0) * source_energy / total_energy
            + 3.0 * wind_energy / total_energy
            + crest_noise
        )
        values["crest_factor_db"] = self.crest_range.apply(crest)[0]
        return RawReadings(values, overloaded)
