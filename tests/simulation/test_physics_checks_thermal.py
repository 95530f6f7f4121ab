"""Physics check of the thermal hotspot: a back-of-envelope reading next to the simulated median.

An overheating joint runs ``ΔT_rated · load^n`` above the healthy part [S56], which itself runs
``12 °C · load^n`` above air; at night under cloud and in a 2 m/s breeze (the rated rises' reference)
neither sun nor wind changes that. A well-resolved region seen with emissivity ε over a short path
(τ ≈ 1) reads ``ε · ΔT`` above a background at air temperature: the radiometric chain [S68] with the
8–14 µm radiance close to linear in temperature near ambient (``docs/physics.md`` §2.5, §3.5); against
the similar healthy part (``roi_delta_c``) the healthy rise drops out. The rows are in the thermal
section of ``docs/simulation.md``.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from envirosense.simulation import scenario_class
from envirosense.simulation.physics.thermal import hotspot_area_px

RATED_RISE_C = 80.0
HEALTHY_RATED_RISE_C = 12.0
LOAD = 0.8
EXPONENT = 1.8
EMISSIVITY = 0.9
FACTOR = 1.2
"""The simulated median must lie within this factor of the estimate (either way)."""

PARAMS = {
    "duration_seconds": 3600.0,
    "rated_rise_c": RATED_RISE_C,
    "load_exponent": EXPONENT,
    "thermal_time_constant_s": 300.0,
    "hot_region_size_m": 0.4,
    "emissivity": EMISSIVITY,
    "environment": {
        "start_hour_local": 1.0,
        "cloud_cover_fraction": 1.0,
        "wind_speed_m_s": 2.0,
        "turbulence_intensity": 0.05,
        "mean_temperature_c": 15.0,
    },
    "device": {"grid_load_fraction": LOAD},
    "source": {"distance_m": 6.0},
    "timing": {"onset_fraction": 0.0, "ramp_seconds": 60.0, "growth": "step"},
}


def _simulated_median(reading: str) -> float:
    """Median over 8 seeds of the run's median ``reading`` of the fully developed joint."""
    scenario = scenario_class("equipment_overheat")(PARAMS)
    times = np.arange(1800.0, 3600.0, 60.0)  # six time constants after onset: fully developed
    medians = [
        float(np.nanmedian(scenario.simulate(times, np.random.default_rng(seed)).readings["U26_Lepton35"][reading]))
        for seed in range(100, 108)
    ]
    return float(np.median(medians))


def test_hotspot_reads_the_back_of_envelope_rise() -> None:
    assert hotspot_area_px(0.4, 6.0) > 9.0  # well resolved: the 3×3 rule holds, no size-of-source loss
    expected = EMISSIVITY * (RATED_RISE_C + HEALTHY_RATED_RISE_C) * LOAD**EXPONENT
    simulated = _simulated_median("hotspot_delta_c")
    assert expected / FACTOR <= simulated <= expected * FACTOR, (expected, simulated)


def test_roi_delta_reads_the_fault_rise_over_the_healthy_part() -> None:
    """Against the similar healthy part the healthy rise drops out: ``ε · ΔT_rated · load^n`` (§2.5)."""
    expected = EMISSIVITY * RATED_RISE_C * LOAD**EXPONENT
    simulated = _simulated_median("roi_delta_c")
    assert expected / FACTOR <= simulated <= expected * FACTOR, (expected, simulated)


def test_a_sub_pixel_clamp_reads_far_below_its_rise() -> None:
    """The same joint as a 0.15 m clamp at 15 m covers ≈ 2 pixels, under the 3 × 3 rule [S71][S72]."""
    assert hotspot_area_px(0.15, 15.0) < 9.0
    far = scenario_class("equipment_overheat")({**PARAMS, "hot_region_size_m": 0.15, "source": {"distance_m": 15.0}})
    near = scenario_class("equipment_overheat")(PARAMS)
    times = np.arange(1800.0, 3600.0, 60.0)
    rng_far, rng_near = np.random.default_rng(5), np.random.default_rng(5)
    far_delta = np.nanmedian(far.simulate(times, rng_far).readings["U26_Lepton35"]["hotspot_delta_c"])
    near_delta = np.nanmedian(near.simulate(times, rng_near).readings["U26_Lepton35"]["hotspot_delta_c"])
    assert far_delta < 0.5 * near_delta


def _developed_medians(name: str, params: dict[str, object], reading: str) -> dict[float, float]:
    """Median over 6 seeds of the run's median ``reading`` at half and at full rated load, developed."""
    times = np.arange(1800.0, 3600.0, 60.0)
    medians = {}
    for load in (0.5, 1.0):
        scenario = scenario_class(name)({**params, "device": {"grid_load_fraction": load}})
        runs = [scenario.simulate(times, np.random.default_rng(seed)) for seed in range(200, 206)]
        medians[load] = float(np.median([np.nanmedian(run.readings["U26_Lepton35"][reading]) for run in runs]))
    return medians


def test_a_joint_reads_its_rated_rise_at_any_load() -> None:
    """A resistive joint's delta follows ``load^n`` (§2.5 [S56]); scaled back by the box's load estimate
    it reads ``ε · ΔT_rated`` at half load as at full load."""
    roi = _developed_medians("equipment_overheat", PARAMS, "roi_delta_c")
    rated = _developed_medians("equipment_overheat", PARAMS, "roi_delta_rated_c")
    expected_ratio = 0.5**EXPONENT
    assert expected_ratio / FACTOR <= roi[0.5] / roi[1.0] <= expected_ratio * FACTOR, roi
    for load in (0.5, 1.0):
        assert EMISSIVITY * RATED_RISE_C / FACTOR <= rated[load] <= EMISSIVITY * RATED_RISE_C * FACTOR, rated
    assert rated[0.5] == pytest.approx(rated[1.0], rel=0.15)


def test_heat_that_does_not_come_from_the_current_is_scaled_up_at_part_load() -> None:
    """Debris pyrolysing on a hot part: the surface sits at its pyrolysis temperature whatever the load
    (§2.1), so its delta does not follow the load and the rated-load reading grows as ``load^−n``."""
    params = {
        "duration_seconds": 3600.0,
        "ignition_source_temperature_c": 250.0,
        "ignition_source_diameter_m": 0.2,
        "environment": PARAMS["environment"],
        "source": {"distance_m": 6.0},
        "timing": {"onset_fraction": 0.0, "ramp_seconds": 60.0, "growth": "step"},
    }
    roi = _developed_medians("fire_precursor_combination", params, "roi_delta_c")
    rated = _developed_medians("fire_precursor_combination", params, "roi_delta_rated_c")
    assert roi[0.5] == pytest.approx(roi[1.0], rel=0.1)
    expected_ratio = 0.5**-EXPONENT
    assert expected_ratio / FACTOR <= rated[0.5] / rated[1.0] <= expected_ratio * FACTOR, rated


def _joint_field(rated_rise_c: float, insulated: bool) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.float64]]:
    """Truth of a fully developed joint at rated load (night, 2 m/s): gases (ppb) and PVC degraded (mg/s)."""
    params = {**PARAMS, "rated_rise_c": rated_rise_c, "insulated": insulated, "pvc_degradation_mg_s": 2.0}
    scenario = scenario_class("equipment_overheat")({**params, "device": {"grid_load_fraction": 1.0}})
    field, _ = scenario.build_field(np.arange(1800.0, 3600.0, 60.0), np.random.default_rng(300))
    return field.gases_ppb, field.extras["pvc_emission_mg_s"]


def test_insulation_at_a_hot_joint_degrades_and_a_bare_joint_emits_nothing() -> None:
    """PVC at a joint sits at the joint's temperature, air + healthy rise + fault rise ≈ 15 + 12 + 200 °C at
    rated load; it degrades at ``((T − 100) / 60)²`` times its 160 °C rate (§2.3 [S40][S92]) and its HCl
    reaches the box. A bare joint and an insulated joint below ≈ 100 °C emit nothing."""
    gases, emission = _joint_field(200.0, insulated=True)
    surface_c = 15.0 + HEALTHY_RATED_RISE_C + 200.0
    expected = 2.0 * ((surface_c - 100.0) / 60.0) ** 2
    assert expected / FACTOR <= float(np.median(emission)) <= expected * FACTOR, np.median(emission)
    bare_gases, bare_emission = _joint_field(200.0, insulated=False)
    assert not bare_emission.any()
    assert (gases["hydrogen_chloride"] > bare_gases["hydrogen_chloride"]).all()
    assert (gases["carbon_monoxide"] > bare_gases["carbon_monoxide"]).all()
    _, cool_emission = _joint_field(40.0, insulated=True)
    assert not cool_emission.any()
