"""Power-frequency magnetic fields, feeder harmonics and broadband radio noise at the device.

Models and sources (docs/physics.md §1.10, §2.4, §3.4):

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
- Feeder harmonics: rectifier loads (switch-mode supplies, LED drivers, chargers) draw 3rd and 5th
  harmonic currents; at feeder level their share of the load sets the 3rd harmonic between ≈ 2 and 8 %
  of the fundamental, higher in the evening when household electronics and lighting peak (IEEE 519-2014
  gives 5 % current TDD as the limit at most distribution points; measured feeder spectra in
  A. Mansoor, W. M. Grady et al., "Predicting the net harmonic currents produced by large numbers of
  distributed single-phase computer loads", IEEE Trans. Power Delivery 10(4), 1995).
- A series arc: its voltage is close to a square wave of ``V_arc`` ≈ 20–40 V in phase with the current
  (Ayrton-type arc), in series with a phase of several kV. The n-th harmonic of a square wave is
  ``4 V_arc / (n π)``; over a mostly resistive load it drives a current harmonic of
  ``4 V_arc / (n π √2 V_phase)`` of the fundamental: 0.14 % for 30 V against 6.35 kV [derived].
- An arc to ground (a high-impedance fault: a conductor on a tree or a tracking insulator) draws a
  fault current of a few amperes whose own 3rd harmonic is ≈ 10–20 % of it (A. E. Emanuel et al.,
  "High impedance fault arcing on sandy soil in 15 kV distribution feeders", IEEE Trans. Power
  Delivery 5(2), 1990); against the line's load current that is a fraction of a percent to a few
  percent at light load [derived].
- Radio-noise floor (10 kHz–1 MHz, dB above the sensor's own floor): the power sum of the electronics
  on the feeder (rising with load), conductor and hardware corona (fair weather small; wet conductors
  raise it by ≈ 15–20 dB, CISPR 18-1:2010 §6), precipitation static from charged rain and dust static
  from charged grains hitting the box and the line [engineering levels, unverified].
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from envirosense.simulation.physics.units import power_sum_db

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


def feeder_harmonics_pct(nonlinear_share: FloatArray) -> tuple[FloatArray, FloatArray]:
    """3rd and 5th harmonic of the feeder current, % of the fundamental, for the share (0–1) of the load
    drawn by rectifier loads: ``0.8 + 14 s`` and ``0.5 + 8 s`` (a share of 0.1–0.5 gives 2.2–7.8 %)."""
    share = np.clip(np.asarray(nonlinear_share, dtype=np.float64), 0.0, 1.0)
    third: FloatArray = 0.8 + 14.0 * share
    fifth: FloatArray = 0.5 + 8.0 * share
    return third, fifth


def evening_peak(hour_local: FloatArray, peak_hour: float = 20.0) -> FloatArray:
    """0–1 daily cycle of household electronics and lighting, peaking at ``peak_hour`` (local time, h)."""
    result: FloatArray = 0.5 * (1.0 + np.cos(2.0 * np.pi * (hour_local - peak_hour) / 24.0))
    return result


def series_arc_harmonic_pct(order: int, arc_voltage_v: float, phase_voltage_v: float) -> float:
    """Current harmonic of order ``order`` (odd) driven by a burning series arc, % of the fundamental:
    ``100 · 4 V_arc / (n π √2 V_phase)`` (square-wave arc voltage over a resistive load)."""
    return float(100.0 * 4.0 * arc_voltage_v / (order * np.pi * np.sqrt(2.0) * phase_voltage_v))


def ground_arc_harmonic_pct(
    fault_current_a: float, line_current_a: FloatArray, harmonic_share: float = 0.15
) -> FloatArray:
    """A harmonic an arc to ground adds to the line current, % of the line's fundamental:
    ``100 · h · I_fault / I_line`` with ``h`` that harmonic's share of the fault current (≈ 0.15 for the
    3rd, ≈ 0.06 for the 5th)."""
    result: FloatArray = 100.0 * harmonic_share * fault_current_a / np.maximum(line_current_a, 1.0)
    return result


LINE_CORONA_FAIR_DB = -12.0
"""Fair-weather radio noise of a medium-voltage line's own corona and hardware, dB over the sensor floor
[engineering level, unverified]; wet conductors raise it by up to 18 dB."""


def radio_noise_floor_db(
    load_fraction: FloatArray,
    wetness: FloatArray,
    precipitation_mm_h: FloatArray,
    dust_ug_m3: FloatArray,
) -> FloatArray:
    """Broadband radio-noise floor at the device, dB above the sensor's floor.

    Power sum of: feeder electronics ``2 + 6·load`` dB; the line's own corona and hardware discharges,
    ``LINE_CORONA_FAIR_DB`` in fair weather raised by ``corona_weather_db`` when wet (a medium-voltage
    line makes little corona: even soaked it stays near the electronics); precipitation static and dust
    static (``precipitation_static_db``, ``dust_static_db``). A dry, lightly loaded site sits near 3 dB,
    a loaded feeder in heavy rain near 12 dB, a dust storm up to ≈ 15 dB.
    """
    electronics = 2.0 + 6.0 * np.clip(load_fraction, 0.0, 1.5)
    line = LINE_CORONA_FAIR_DB + 6.0 + corona_weather_db(wetness)
    return power_sum_db(electronics, line, precipitation_static_db(precipitation_mm_h), dust_static_db(dust_ug_m3))


def corona_weather_db(wetness: FloatArray) -> FloatArray:
    """Corona activity on conductors and hardware relative to its typical level, dB: ``−6 + 18·wetness``.

    Wet conductors carry many more discharge points: foul-weather radio and audible noise of a line sits
    ≈ 15–20 dB above its fair-weather level (EPRI, "Transmission Line Reference Book, 345 kV and Above",
    2nd ed., 1982, ch. 7 [magnitude as commonly quoted, unverified here])."""
    result: FloatArray = -6.0 + 18.0 * np.clip(wetness, 0.0, 1.0)
    return result


def precipitation_static_db(precipitation_mm_h: FloatArray) -> FloatArray:
    """Noise of charged raindrops hitting the box and line, ``10 log₁₀(rain / 5 mm/h)`` dB (−60 dry)."""
    rain = np.asarray(precipitation_mm_h, dtype=np.float64)
    result: FloatArray = np.where(rain > 0.05, 10.0 * np.log10(np.maximum(rain, 0.05) / 5.0), -60.0)
    return result


def dust_static_db(dust_ug_m3: FloatArray) -> FloatArray:
    """Noise of triboelectrically charged dust grains, ``6 + 10 log₁₀(dust / 300 µg/m³)`` dB (−60 without)."""
    dust = np.asarray(dust_ug_m3, dtype=np.float64)
    result: FloatArray = np.where(dust > 1.0, 6.0 + 10.0 * np.log10(np.maximum(dust, 1.0) / 300.0), -60.0)
    return result


def conductor_wetness(relative_humidity_pct: FloatArray, precipitation_mm_h: FloatArray) -> FloatArray:
    """How wet the conductors and insulators are, 0–1: humid air above 80 %RH and rain (saturating
    at a few mm/h)."""
    humid = np.clip((relative_humidity_pct - 80.0) / 18.0, 0.0, 1.0)
    result: FloatArray = np.maximum(humid, np.tanh(np.clip(precipitation_mm_h, 0.0, None) / 3.0))
    return result
