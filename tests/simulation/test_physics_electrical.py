"""Feeder harmonics, arc harmonics, the radio-noise floor and its everyday sources, near-road mixing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from envirosense.simulation.field import TrueField
from envirosense.simulation.physics.emf import (
    evening_peak,
    feeder_harmonics_pct,
    radio_noise_floor_db,
    series_arc_harmonic_pct,
)
from envirosense.simulation.physics.plume import line_source_dilution
from tests.simulation.scenario_setup import configured, field_and_readings


def simulate(name: str, seed: int = 3, steps: int = 30, **params: Any) -> tuple[TrueField, dict[str, Any]]:
    return field_and_readings(configured(name, **params), seed, steps)


def test_feeder_harmonics_span_two_to_eight_percent_and_peak_in_the_evening() -> None:
    third, fifth = feeder_harmonics_pct(np.array([0.1, 0.5]))
    assert third[0] == pytest.approx(2.2) and third[1] == pytest.approx(7.8)
    assert np.all(fifth < third)
    assert evening_peak(np.array([20.0]))[0] == pytest.approx(1.0)
    assert evening_peak(np.array([8.0]))[0] == pytest.approx(0.0)
    night, _ = simulate("baseline_operation", environment={"start_hour_local": 19.5})
    morning, _ = simulate("baseline_operation", environment={"start_hour_local": 7.5})
    assert np.median(night.emf.harmonic_3_pct) > 1.5 * np.median(morning.emf.harmonic_3_pct)


def test_a_series_arc_is_invisible_in_the_harmonics_wherever_it_is() -> None:
    assert series_arc_harmonic_pct(3, 40.0, 6000.0) < 0.25
    for distance in (1.0, 15.0):
        common: dict[str, Any] = {
            "burst_rate_per_min": 30.0,
            "burst_duration_s": 1.0,
            "source": {"distance_m": distance},
        }
        timing = {"onset_fraction": 0.0, "growth": "step"}
        arcing, _ = simulate("arcing_event", timing=timing, **common)
        quiet, _ = simulate("arcing_event", timing={"onset_fraction": 0.6}, **common)
        assert abs(np.median(arcing.emf.harmonic_3_pct) - np.median(quiet.emf.harmonic_3_pct[:15])) < 0.3


def test_an_arc_to_ground_shows_at_light_load_only() -> None:
    timing = {"onset_fraction": 0.0, "growth": "step"}
    bursts: dict[str, Any] = {
        "burst_rate_per_min": 30.0,
        "burst_duration_s": 1.0,
        "fault_path": "to_ground",
        "fault_current_a": 20.0,
    }
    light, _ = simulate("arcing_event", timing=timing, device={"grid_load_fraction": 0.1}, **bursts)
    heavy, _ = simulate("arcing_event", timing=timing, device={"grid_load_fraction": 1.2}, **bursts)
    assert np.max(light.emf.harmonic_3_pct) > 6.0
    assert np.max(heavy.emf.harmonic_3_pct) < np.max(light.emf.harmonic_3_pct) - 3.0


def test_radio_floor_rises_with_load_wet_conductors_rain_and_dust() -> None:
    def floor(load: float = 0.5, wet: float = 0.0, rain: float = 0.0, dust: float = 0.0) -> float:
        return float(radio_noise_floor_db(np.array(load), np.array(wet), np.array(rain), np.array(dust)))

    dry = floor()
    assert 3.0 < dry < 7.0
    assert floor(load=1.2) > dry + 2.0
    assert floor(wet=1.0) > dry + 3.0
    assert floor(rain=20.0) > dry + 3.0
    assert floor(dust=2000.0) > dry + 6.0


@pytest.mark.parametrize("source", ["switch_mode_supplies", "led_lighting", "power_line_carrier"])
def test_everyday_electronics_blind_the_lightning_detector_near_the_box_only(source: str) -> None:
    def noisy_share(distance: float) -> float:
        _, readings = simulate(
            "electronic_interference",
            steps=60,
            source=source,
            distance_m=distance,
            start_fraction=0.0,
            carrier_duty=1.0,
            environment={"start_hour_local": 20.0},
        )
        return float(np.nanmean(readings["U25_AS3935"]["noise_level_high"]))

    assert noisy_share(1.0) > 0.8
    assert noisy_share(30.0) < 0.2


def test_rectifier_loads_raise_the_harmonics_where_an_arc_would_sit_but_a_carrier_does_not() -> None:
    before: dict[str, Any] = {"start_fraction": 0.5, "nonlinear_load_share": 0.3}
    supplies, _ = simulate("electronic_interference", source="switch_mode_supplies", **before)
    carrier, _ = simulate("electronic_interference", source="power_line_carrier", **before)
    assert np.median(supplies.emf.harmonic_3_pct[20:]) > np.median(supplies.emf.harmonic_3_pct[:10]) + 3.0
    assert np.median(carrier.emf.harmonic_3_pct[20:]) == pytest.approx(
        np.median(carrier.emf.harmonic_3_pct[:10]), abs=1
    )


def test_led_lighting_runs_only_while_the_sun_is_down() -> None:
    for hour, lit in ((12.0, False), (22.0, True)):
        field, _ = simulate(
            "electronic_interference", source="led_lighting", start_fraction=0.0, environment={"start_hour_local": hour}
        )
        assert bool(field.extras["interference_on"].all()) is lit
        assert bool(field.extras["interference_on"].any()) is lit


def test_ignition_noise_comes_from_a_near_busy_road() -> None:
    near, _ = simulate("traffic_exhaust", vehicles_per_minute=60.0, road_distance_m=3.0, ignition_noise_db_at_1m=45.0)
    far, _ = simulate("traffic_exhaust", vehicles_per_minute=60.0, road_distance_m=150.0, ignition_noise_db_at_1m=45.0)
    assert np.max(near.emf.hf_noise_db) > 30.0
    assert np.max(far.emf.hf_noise_db) < 20.0


def test_road_dilution_stays_bounded_in_stable_calm_air() -> None:
    times = np.arange(0.0, 3600.0, 60.0)
    n = times.shape[0]

    def dilution(wind: float, stability: float, offset: float) -> float:
        return float(
            np.max(
                line_source_dilution(
                    86.0, offset, 6.0, 0.5, times, np.full(n, wind), np.full(n, 200.0), 200.0, np.full(n, stability)
                )
            )
        )

    calm_stable = max(dilution(0.3, 5.0, offset) for offset in (0.0, 40.0, 70.0))
    neutral = dilution(3.0, 3.0, 0.0)
    # Meander and roadside mixing keep a calm, stable night within a few times a breezy neutral day
    # (without them a wind running along the road gave more than ten times).
    assert calm_stable < 4.0 * neutral
