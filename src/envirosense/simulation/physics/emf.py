"""Power-frequency magnetic fields and broadband RF noise at the device.

Models and sources (PHYSICS_AND_SENSORS §1.10, §3.4):

- Fall-off by source type (National Grid EMF site [S66]): ≈ 1/r for net current in one conductor or a
  distribution circuit, ≈ 1/r² for an untransposed three-phase line, ≈ 1/r³ for compact sources
  (transformers, appliances) whose currents nearly cancel.
- Single conductor (Ampère): ``B = μ₀ I / (2π r) = 0.2 I / r`` µT with I in A, r in m.
- Three-phase line, a few metres beyond the outer phases: ``B ≈ 0.35 I d / r²`` µT with phase spacing d
  (Energiforsk [S67]).
- Compact source: a dipole, ``B = B_ref (r_ref / r)³`` (up to ≈ 100 µT at a transformer-station wall
  [S24]).
- Broadband (10 kHz–1 MHz) noise from discharges and arcs: the conductor acts as a wire antenna, so the
  field falls ≈ 1/r along it (−20 log₁₀ r dB) [unverified first-order assumption]; arc-fault detectors
  key on this broadband component [S53].
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

FieldSource = Literal["single_conductor", "three_phase_line", "compact"]


def magnetic_flux_density_ut(
    source: FieldSource,
    current_a: FloatArray,
    distance_m: float,
    phase_spacing_m: float = 1.0,
    reference_distance_m: float = 1.0,
    reference_ut_per_a: float = 0.2,
) -> FloatArray:
    """RMS magnetic flux density (µT) at ``distance_m`` from a source carrying ``current_a`` (A).

    ``single_conductor`` uses 0.2 I/r; ``three_phase_line`` 0.35 I d/r²; ``compact`` is a dipole giving
    ``reference_ut_per_a`` µT per ampere at ``reference_distance_m`` and falling as 1/r³.
    """
    r = max(distance_m, 0.1)
    current = np.clip(np.asarray(current_a, dtype=np.float64), 0.0, None)
    if source == "single_conductor":
        result: FloatArray = 0.2 * current / r
    elif source == "three_phase_line":
        result = 0.35 * current * phase_spacing_m / r**2
    else:
        result = reference_ut_per_a * current * (reference_distance_m / r) ** 3
    return result


def broadband_noise_db(level_at_1m_db: float | FloatArray, distance_m: float) -> FloatArray:
    """Broadband RF noise of a discharge at ``distance_m``, dB relative to the quiet floor, 1/r fall-off.

    Negative values mean below the floor; add them to the floor's level as powers.
    """
    result: FloatArray = np.asarray(level_at_1m_db, dtype=np.float64) - 20.0 * np.log10(max(distance_m, 1.0))
    return result
