"""U19_TFSGS: the 8-channel VOC array (six compound-selective channels and two broad metal-oxide channels).

The TFSGS is the device's own array, without a public data sheet; its model borrows the documented
behaviour of comparable parts (docs/physics.md §1.9, §5.6):

- **Cross-sensitivity.** Each channel responds to a weighted sum of species (``CROSS_SENSITIVITY``).
  The selective channels mostly see their target with a few-to-20 % response to chemically related
  species (phenol ↔ cresol ↔ guaiacol; formaldehyde ↔ acetaldehyde ↔ acrolein) [assumption, magnitude
  after the CO-B4 cross-sensitivity table [S18]]. The reducing metal-oxide channel responds broadly to
  CO, H₂, hydrocarbons and VOCs (Figaro TGS2600/2602 [S21]); the oxidising one to O₃, NO₂ and HCl
  [assumption].
- **T/RH dependence.** Metal-oxide output is referenced to 20 °C / 65 %RH and depends strongly on both
  [S21][S22]: the reducing channel's apparent concentration is multiplied by
  ``exp(0.015 (T−20) + 0.008 (RH−65))``, the oxidising one's by ``exp(0.010 (T−20) − 0.006 (RH−65))``.
  Selective channels keep a residual ``exp(0.003 (T−20))`` after on-board compensation (the uncompensated
  CO-B4 gain runs from 45–70 % at −20 °C to 110–125 % at 50 °C [S18]) [assumption].
- **Lag.** Metal-oxide τ63 < 10 s (SGP40 [S20]) → 10 s; aldehyde channels 20 s and the sticky,
  semi-volatile phenolic channels 45 s [assumption; CO-B4 t90 < 15 s [S18] is the fast end].
- **Calibration and drift.** Sensitivity drift < 10 %/year and zero drift of order 0.1 ppm/year for an
  electrochemical cell [S18]; metal-oxide channels drift more (15 %/year, baseline 200 ppb/year
  CO-equivalent) [assumption].
- **Noise.** ≈ 2 ppb (1σ) for a CO cell [S18]; selective channels 0.15–0.4 ppb, metal-oxide channels
  15 ppb (reducing) and 1.5 ppb (oxidising), plus 2 % of the signal [assumption].
- **Range.** 0–10,000 ppb (0–100,000 ppb CO-equivalent for the reducing channel); resolution 0.1 ppb
  (1 ppb for the reducing channel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envirosense.simulation.field import GAS_SPECIES, TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.base import FloatArray, RawReadings, SensorModel, age_days
from envirosense.simulation.sensors.calibration import Calibration, ErrorBudget
from envirosense.simulation.sensors.lag import first_order_lag
from envirosense.simulation.sensors.limits import OutputRange

CROSS_SENSITIVITY: dict[str, dict[str, float]] = {
    "formaldehyde_ppb": {"formaldehyde": 1.0, "acetaldehyde": 0.12, "acrolein": 0.08, "hydrocarbons": 0.002},
    "acetaldehyde_ppb": {"acetaldehyde": 1.0, "formaldehyde": 0.10, "acrolein": 0.20, "hydrocarbons": 0.002},
    "acrolein_ppb": {"acrolein": 1.0, "acetaldehyde": 0.05, "formaldehyde": 0.03},
    "phenol_ppb": {"phenol": 1.0, "cresol": 0.12, "guaiacol": 0.06},
    "cresol_ppb": {"cresol": 1.0, "phenol": 0.08, "guaiacol": 0.10},
    "guaiacol_ppb": {"guaiacol": 1.0, "phenol": 0.05, "cresol": 0.07},
    "general_reducing_ppb": {
        "carbon_monoxide": 1.0,
        "hydrogen": 0.6,
        "hydrocarbons": 0.4,
        "formaldehyde": 0.5,
        "acetaldehyde": 0.5,
        "acrolein": 0.5,
        "phenol": 0.3,
        "cresol": 0.3,
        "guaiacol": 0.3,
    },
    "general_oxidising_ppb": {"ozone": 1.0, "nitrogen_dioxide": 0.8, "hydrogen_chloride": 0.3},
}
"""Channel → species → response per ppb of that species (channel units per ppb)."""

CHANNELS: tuple[str, ...] = tuple(CROSS_SENSITIVITY)


@dataclass(frozen=True)
class VocChannelSpec:
    """Lag (τ63, s), noise floor (ppb, 1σ), error budget and output range of one channel."""

    tau_s: float
    noise_ppb: float
    errors: ErrorBudget
    output: OutputRange


_ALDEHYDE = VocChannelSpec(20.0, 0.4, ErrorBudget(0.05, 0.5, 0.10, 2.0), OutputRange(0.0, 10_000.0, 0.1))
_PHENOLIC = VocChannelSpec(45.0, 0.15, ErrorBudget(0.05, 0.2, 0.10, 1.0), OutputRange(0.0, 10_000.0, 0.1))

DEFAULT_CHANNEL_SPECS: dict[str, VocChannelSpec] = {
    "formaldehyde_ppb": _ALDEHYDE,
    "acetaldehyde_ppb": _ALDEHYDE,
    "acrolein_ppb": VocChannelSpec(20.0, 0.3, ErrorBudget(0.05, 0.3, 0.10, 1.5), OutputRange(0.0, 10_000.0, 0.1)),
    "phenol_ppb": _PHENOLIC,
    "cresol_ppb": _PHENOLIC,
    "guaiacol_ppb": _PHENOLIC,
    "general_reducing_ppb": VocChannelSpec(
        10.0, 15.0, ErrorBudget(0.10, 30.0, 0.15, 200.0), OutputRange(0.0, 100_000.0, 1.0)
    ),
    "general_oxidising_ppb": VocChannelSpec(
        10.0, 1.5, ErrorBudget(0.10, 3.0, 0.15, 10.0), OutputRange(0.0, 10_000.0, 0.1)
    ),
}

RELATIVE_NOISE = 0.02
"""Signal-proportional noise, fraction of the reading (1σ)."""


def cross_sensitivity_matrix() -> FloatArray:
    """``(8, 12)`` matrix: channel (``CHANNELS`` order) × species (``GAS_SPECIES`` order)."""
    matrix = np.zeros((len(CHANNELS), len(GAS_SPECIES)))
    for row, channel in enumerate(CHANNELS):
        for species, weight in CROSS_SENSITIVITY[channel].items():
            matrix[row, GAS_SPECIES.index(species)] = weight
    return matrix


def environment_factor(temperature_c: FloatArray, humidity_pct: FloatArray) -> FloatArray:
    """``(8, T)`` multiplicative T/RH dependence of each channel's response (1 at 20 °C, 65 %RH)."""
    dt = temperature_c - 20.0
    drh = humidity_pct - 65.0
    factors = np.empty((len(CHANNELS), temperature_c.shape[0]))
    factors[:6] = np.exp(0.003 * dt)
    factors[6] = np.exp(0.015 * dt + 0.008 * drh)
    factors[7] = np.exp(0.010 * dt - 0.006 * drh)
    return factors


class VocArraySensor(SensorModel):
    """TFSGS VOC array: cross-sensitivity → T/RH dependence → lag → calibration and drift → noise → range.

    ``channel_specs`` overrides the per-channel lag, noise, error budget and range (``CHANNELS`` keys).
    """

    def __init__(self, sensor_id: str = "U19_TFSGS", channel_specs: dict[str, VocChannelSpec] | None = None) -> None:
        super().__init__(sensor_id)
        self.channel_specs = dict(DEFAULT_CHANNEL_SPECS if channel_specs is None else channel_specs)
        if set(self.channel_specs) != set(CHANNELS):
            raise ValueError(f"channel_specs must give exactly the channels {CHANNELS}")

    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        specs = [self.channel_specs[channel] for channel in CHANNELS]
        calibration = Calibration.stack([spec.errors.draw(rng) for spec in specs])
        n = field.n_steps
        truth = np.stack([field.gases_ppb[species] for species in GAS_SPECIES])
        stimulus = cross_sensitivity_matrix() @ truth
        stimulus *= environment_factor(field.ambient.air_temperature_c, field.ambient.relative_humidity_pct)
        lagged = first_order_lag(stimulus, field.times_s, np.array([spec.tau_s for spec in specs]))
        measured = calibration.apply(lagged, age_days(field.times_s, device.days_since_calibration))
        floor = np.array([spec.noise_ppb for spec in specs])[:, None]
        sigma = np.sqrt(floor**2 + (RELATIVE_NOISE * np.abs(measured)) ** 2)
        measured = measured + sigma * rng.standard_normal((len(CHANNELS), n))
        values: dict[str, FloatArray] = {}
        saturated = np.zeros(n, dtype=bool)
        for row, (channel, spec) in enumerate(zip(CHANNELS, specs, strict=True)):
            values[channel], clipped = spec.output.apply(measured[row])
            saturated |= clipped
        return RawReadings(values, saturated)
