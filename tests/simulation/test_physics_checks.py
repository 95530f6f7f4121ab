"""Physics checks: each signature channel against a back-of-envelope value from its source.

Every check simulates stated parameters, takes the median over the run, and must land within a stated
factor of the expected value. The table in docs/simulation.md ("Physics checks") lists the same
checks; ``test_docs_table_matches_the_checks`` keeps its expected values and simulated medians true.
Levels in dB are compared as powers (a factor of 2 is ±3 dB).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from envirosense.simulation import BaseScenario
from envirosense.simulation.field import TrueField
from envirosense.simulation.physics.ambient import quiet_field
from envirosense.simulation.physics.plume import PlumeGeometry, plume_dilution
from tests.simulation.scenario_setup import configured, field_and_readings

DOC = Path(__file__).parents[2] / "docs" / "simulation.md"
STILL_AIR = {
    "mean_temperature_c": 20.0,
    "diurnal_amplitude_c": 0.0,
    "relative_humidity_pct": 50.0,
    "wind_speed_m_s": 1.0,
    "turbulence_intensity": 0.05,
    "precipitation_mm_h": 0.0,
    "pressure_hpa": 1013.25,
}
STARTED = {"onset_fraction": 0.0, "ramp_seconds": 30.0, "growth": "step"}
SEEDS = range(4)


def run(name: str, seed: int, steps: int = 24, **params: Any) -> tuple[TrueField, dict[str, Any], BaseScenario[Any]]:
    """The true field and the readings of ``name`` in still, mild air, started at t = 0."""
    scenario = configured(name, {"environment": STILL_AIR, "timing": STARTED}, **params)
    return (*field_and_readings(scenario, seed, steps), scenario)


def plume_concentration() -> float:
    """PM2.5 (µg/m³) at ground level 50 m downwind of a 10 mg/s ground source, class D, 3 m/s at 10 m."""
    times = np.arange(0.0, 3600.0, 60.0)
    geometry = PlumeGeometry(50.0, 0.0, 0.0, 0.0, 0.0)
    wind = np.full(times.shape, 3.0)
    dilution = plume_dilution(geometry, times, wind, np.full(times.shape, 200.0), 200.0, np.full(times.shape, 3.0))
    return float(np.median(dilution) * 10_000.0)


def corona_ultrasound() -> float:
    """40 kHz band (dB SPL) 10 m from an 80 dB (at 1 m) corona, 20 °C, 50 %RH."""
    levels = [
        run(
            "corona_discharge",
            seed,
            ultrasound_level_db_at_1m=80.0,
            wetness_sensitivity=0.0,
            source={"distance_m": 10.0, "height_offset_m": 0.0},
        )[0].acoustic.band_ultrasonic_db
        for seed in SEEDS
    ]
    return float(np.median(np.concatenate(levels)))


def arc_sound() -> float:
    """Mid band (dB SPL) 15 m from arcs of 95 dB at 1 m burning half the time (30/min × 1 s)."""
    levels = [
        run(
            "arcing_event",
            seed,
            burst_rate_per_min=30.0,
            burst_duration_s=1.0,
            burst_level_db_at_1m=95.0,
            source={"distance_m": 15.0, "height_offset_m": 0.0},
        )[0].acoustic.band_mid_db
        for seed in SEEDS
    ]
    return float(np.median(np.concatenate(levels)))


def line_field() -> float:
    """Magnetic field reading (µT) 6 m from the three-phase line at 240 A (load 0.6 of 400 A)."""
    readings = [
        run("baseline_operation", seed, device={"grid_load_fraction": 0.6})[1]["U29_TFEMF"]["field_strength_ut"]
        for seed in SEEDS
    ]
    return float(np.nanmedian(np.concatenate(readings)))


def feeder_third_harmonic() -> float:
    """3rd harmonic reading (%) of the feeder over a day's start hours, no fault."""
    readings = [
        run("baseline_operation", seed, environment={"start_hour_local": hour})[1]["U29_TFEMF"]["harmonic_3_pct"]
        for seed in SEEDS
        for hour in (3.0, 9.0, 15.0, 21.0)
    ]
    return float(np.nanmedian(np.concatenate(readings)))


def arc_harmonic(fault_path: str, **params: Any) -> float:
    """3rd harmonic (%) a burning arc adds to the line current: the quadrature excess over the same run's
    quiet field, at the steps where it burns."""
    excess = []
    for seed in SEEDS:
        field, _, scenario = run(
            "arcing_event", seed, burst_rate_per_min=30.0, burst_duration_s=1.0, fault_path=fault_path, **params
        )
        quiet = quiet_field(
            scenario.params.environment,
            scenario.params.device,
            field.times_s,
            np.random.default_rng(seed),
        )
        added = np.sqrt(np.clip(field.emf.harmonic_3_pct**2 - quiet.emf.harmonic_3_pct**2, 0.0, None))
        excess.append(added[added > 1e-6])
    return float(np.median(np.concatenate(excess)))


def corona_radio(distance_m: float, wet: bool) -> float:
    """Broadband radio noise (dB over the sensor floor) of a 45 dB (at 1 m) corona at ``distance_m``."""
    weather = {"relative_humidity_pct": 98.0, "precipitation_mm_h": 5.0} if wet else {"relative_humidity_pct": 40.0}
    levels = [
        run(
            "corona_discharge",
            seed,
            rf_noise_db_at_1m=45.0,
            wetness_sensitivity=1.0,
            environment=weather,
            source={"distance_m": distance_m, "height_offset_m": 0.0},
        )[0].emf.hf_noise_db
        for seed in SEEDS
    ]
    return float(np.median(np.concatenate(levels)))


@dataclass(frozen=True)
class Check:
    channel: str
    expected: float
    factor: float
    simulate: Callable[[], float]
    decibels: bool = False

    def ratio(self, simulated: float) -> float:
        """Simulated over expected, as a power ratio for levels in dB."""
        if self.decibels:
            return float(10.0 ** ((simulated - self.expected) / 10.0))
        return simulated / self.expected


CHECKS: dict[str, Check] = {
    "plume": Check("plume concentration", 130.0, 1.2, plume_concentration),
    "ultrasound": Check("ultrasound", 48.0, 2.0, corona_ultrasound, decibels=True),
    "arc_sound": Check("arc sound", 68.5, 2.0, arc_sound, decibels=True),
    "magnetic": Check("magnetic field", 2.33, 1.2, line_field),
    "feeder_harmonic": Check("harmonics", 4.0, 2.0, feeder_third_harmonic),
    "series_arc_harmonic": Check(
        "harmonics", 0.14, 1.5, lambda: arc_harmonic("series", arc_voltage_v=30.0, phase_voltage_kv=6.35)
    ),
    "ground_arc_harmonic": Check(
        "harmonics",
        0.75,
        1.5,
        lambda: arc_harmonic("to_ground", fault_current_a=5.0, device={"grid_load_fraction": 0.25}),
    ),
    "radio_distance": Check(
        "radio noise", 20.0, 2.0, lambda: corona_radio(3.0, wet=False) - corona_radio(30.0, wet=False), decibels=True
    ),
    "radio_weather": Check(
        "radio noise", 18.0, 2.0, lambda: corona_radio(8.0, wet=True) - corona_radio(8.0, wet=False), decibels=True
    ),
}


@pytest.mark.parametrize("key", sorted(CHECKS))
def test_signature_is_within_its_factor_of_the_back_of_envelope_value(key: str) -> None:
    check = CHECKS[key]
    ratio = check.ratio(check.simulate())
    assert 1.0 / check.factor <= ratio <= check.factor, f"{key}: simulated/expected = {ratio:.2f}"


def test_docs_table_matches_the_checks() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Physics checks", 1)[1].split("\n## ", 1)[0]
    row = r"^\| `(\w+)` \|[^|]*\|[^|]*\| ([-\d.]+) [^|]*\|[^|]*\| ([-\d.]+) [^|]*\| ×([\d.]+) \|"
    rows = re.findall(row, section, re.MULTILINE)
    found = {key: (float(expected), float(simulated), float(factor)) for key, expected, simulated, factor in rows}
    assert set(CHECKS) <= set(found), f"missing rows: {set(CHECKS) - set(found)}"
    for key, check in CHECKS.items():
        expected, simulated, factor = found[key]
        assert (expected, factor) == (check.expected, check.factor), key
        assert check.ratio(simulated) == pytest.approx(check.ratio(check.simulate()), rel=0.1), key
