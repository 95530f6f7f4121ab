"""Unit conversions shared by the physics: gas mass concentration ↔ mixing ratio, decibel sums."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

MOLAR_MASS_G_MOL: dict[str, float] = {
    "formaldehyde": 30.03,
    "acetaldehyde": 44.05,
    "acrolein": 56.06,
    "phenol": 94.11,
    "cresol": 108.14,
    "guaiacol": 124.14,
    "carbon_monoxide": 28.01,
    "hydrogen": 2.016,
    "hydrocarbons": 16.04,
    "ozone": 48.00,
    "nitrogen_dioxide": 46.01,
    "hydrogen_chloride": 36.46,
}
"""Molar masses of the tracked species, g/mol; ``hydrocarbons`` are counted as methane-equivalent."""

MOLAR_VOLUME_L = 22.414
"""Molar volume of an ideal gas at 0 °C and 1013.25 hPa, litres."""


def ug_m3_to_ppb(
    concentration_ug_m3: FloatArray, species: str, temperature_c: FloatArray, pressure_hpa: FloatArray
) -> FloatArray:
    """Mass concentration (µg/m³) → mixing ratio (ppb) at the given air temperature and pressure."""
    molar_volume = MOLAR_VOLUME_L * (temperature_c + 273.15) / 273.15 * 1013.25 / pressure_hpa
    result: FloatArray = concentration_ug_m3 * molar_volume / MOLAR_MASS_G_MOL[species]
    return result


def power_sum_db(*levels_db: float | FloatArray) -> FloatArray:
    """Energetic (incoherent) sum of levels in dB: ``10 log₁₀ Σ 10^(Lᵢ/10)``."""
    total = np.zeros(())
    for level in levels_db:
        total = total + 10.0 ** (np.asarray(level, dtype=np.float64) / 10.0)
    result: FloatArray = 10.0 * np.log10(total)
    return result
