"""U25_AS3935: Poisson counts, quantised and held distance, blinding by RF noise."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.sensors.lightning import DISTANCE_STEPS_KM, LightningSensor, quantise_distance
from tests.simulation.sensors.sensor_fields import constant_field

NEW = DeviceParams(days_since_calibration=0.0, dropout_probability=0.0)


def test_strike_count_is_a_poisson_draw_of_rate_times_interval() -> None:
    field = constant_field(3000, dt=10.0)
    field.lightning.strike_rate_per_min[:] = 6.0
    field.lightning.storm_distance_km[:] = 6.0
    field.lightning.disturber_rate_per_min[:] = 0.0
    counts = LightningSensor().measure(field, NEW, np.random.default_rng(0))["strike_count"]
    assert counts.mean() == pytest.approx(1.0, rel=0.06)
    assert counts.var() == pytest.approx(counts.mean(), rel=0.15)


def test_distance_is_quantised_held_and_purged() -> None:
    assert quantise_distance(np.array([0.5, 5.4, 5.6, 39.0, 45.0, np.nan])).tolist()[:4] == [1.0, 5.0, 6.0, 40.0]
    assert np.isnan(quantise_distance(np.array([45.0, np.nan]))).all()
    field = constant_field(300, dt=10.0)
    field.lightning.disturber_rate_per_min[:] = 0.0
    field.lightning.strike_rate_per_min[:100] = 30.0
    field.lightning.storm_distance_km[:100] = 12.0
    readings = LightningSensor().measure(field, NEW, np.random.default_rng(1))
    distance = readings["storm_distance_km"]
    assert set(distance[:100]) <= set(DISTANCE_STEPS_KM)
    assert np.all(np.isfinite(distance[:190]))
    assert np.isnan(distance[200:]).all()
    assert (readings["strike_count"][100:] == 0).all()
    assert (readings["strike_energy"][100:] == 0).all()


def test_nearer_storm_reads_nearer_and_far_storm_is_rarely_seen() -> None:
    def run(distance_km: float) -> dict[str, np.ndarray]:
        field = constant_field(2000, dt=10.0)
        field.lightning.strike_rate_per_min[:] = 12.0
        field.lightning.storm_distance_km[:] = distance_km
        field.lightning.disturber_rate_per_min[:] = 0.0
        return LightningSensor().measure(field, NEW, np.random.default_rng(2))

    near, mid, far = run(5.0), run(20.0), run(45.0)
    assert np.nanmean(near["storm_distance_km"]) < np.nanmean(mid["storm_distance_km"])
    assert far["strike_count"].mean() < 0.05 * near["strike_count"].mean()
    assert near["strike_energy"].mean() > mid["strike_energy"].mean()


def test_rf_noise_raises_the_flag_adds_disturbers_and_blinds_the_chip() -> None:
    field = constant_field(2000, dt=10.0)
    field.lightning.strike_rate_per_min[:] = 12.0
    field.lightning.storm_distance_km[:] = 8.0
    quiet = LightningSensor().measure(field, NEW, np.random.default_rng(3))
    field.emf.hf_noise_db[:] = 45.0
    noisy = LightningSensor().measure(field, NEW, np.random.default_rng(3))
    assert quiet["noise_level_high"].mean() < 0.01
    assert noisy["noise_level_high"].mean() > 0.99
    assert noisy["strike_count"].mean() < 0.5 * quiet["strike_count"].mean()
    assert noisy["disturber_count"].sum() > quiet["disturber_count"].sum()
