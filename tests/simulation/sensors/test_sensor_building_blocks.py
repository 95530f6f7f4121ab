"""Shared sensor building blocks: lag, calibration drift, output limits, LWIR radiometry."""

from __future__ import annotations

import numpy as np
import pytest

from envirosense.simulation.sensors.calibration import ErrorBudget
from envirosense.simulation.sensors.lag import first_order_lag, linear_recurrence
from envirosense.simulation.sensors.limits import OutputRange, quantise
from envirosense.simulation.sensors.radiometry import band_radiance, brightness_temperature, mixed_pixel_temperature


def _loop_lag(x: np.ndarray, times: np.ndarray, tau: float) -> np.ndarray:
    out = np.empty_like(x)
    out[0] = x[0]
    for i in range(1, x.shape[0]):
        alpha = 1.0 - np.exp(-(times[i] - times[i - 1]) / tau)
        out[i] = out[i - 1] + alpha * (x[i] - out[i - 1])
    return out


def test_lag_matches_the_sample_by_sample_recurrence_for_uneven_spacing() -> None:
    rng = np.random.default_rng(4)
    times = np.cumsum(rng.uniform(0.01, 40.0, 3001))
    x = rng.normal(size=3001) * 10 + 100
    for tau in (0.5, 8.0, 600.0):
        np.testing.assert_allclose(first_order_lag(x, times, tau), _loop_lag(x, times, tau), rtol=1e-12, atol=1e-9)


def test_lag_step_response_reaches_63_percent_at_tau() -> None:
    times = np.arange(0.0, 100.0, 0.25)
    step = np.where(times >= 10.0, 1.0, 0.0)
    response = first_order_lag(step, times, 8.0)
    # A reading's input is held over the interval that ends at it, so the step acts from 9.75 s.
    assert response[times == 17.75][0] == pytest.approx(1.0 - np.exp(-1.0), abs=1e-12)
    assert response[times == 9.5][0] == 0.0


def test_lag_is_exact_whatever_the_sampling() -> None:
    """The exact discrete form gives the same value at t = τ whether sampled every 0.1 s or once."""
    fine = np.arange(0.0, 8.05, 0.1)
    coarse = np.array([0.0, 8.0])
    fine_response = first_order_lag(np.r_[0.0, np.ones(fine.size - 1)], fine, 8.0)[-1]
    coarse_response = first_order_lag(np.array([0.0, 1.0]), coarse, 8.0)[-1]
    assert coarse_response == pytest.approx(1.0 - np.exp(-1.0), rel=1e-12)
    assert fine_response == pytest.approx(coarse_response, rel=1e-12)


def test_lag_per_channel_time_constants_and_zero_tau() -> None:
    times = np.arange(0.0, 50.0)
    x = np.vstack([np.ones(50), np.ones(50)])
    x[:, 0] = 0.0
    out = first_order_lag(x, times, np.array([0.0, 10.0]))
    np.testing.assert_array_equal(out[0], x[0])
    assert out[1, 10] == pytest.approx(1.0 - np.exp(-1.0))
    with pytest.raises(ValueError, match="non-negative"):
        first_order_lag(x, times, np.array([1.0, -1.0]))


def test_linear_recurrence_general_form() -> None:
    rng = np.random.default_rng(0)
    decay, drive = rng.uniform(0, 1, 200), rng.normal(size=200)
    expected = np.empty(200)
    expected[0] = 3.0
    for i in range(1, 200):
        expected[i] = decay[i] * expected[i - 1] + drive[i]
    np.testing.assert_allclose(linear_recurrence(decay, drive, 3.0), expected, rtol=1e-12)


def test_drift_grows_with_age_and_calibration_is_reproducible() -> None:
    budget = ErrorBudget(gain_sd=0.05, offset_sd=1.0, gain_drift_sd_per_year=0.1, offset_drift_sd_per_year=5.0)
    truth = np.full(3, 100.0)
    ages = np.array([0.0, 365.0, 730.0])
    errors = np.array([np.abs(budget.draw(np.random.default_rng(s)).apply(truth, ages) - truth) for s in range(400)])
    mean_error = errors.mean(axis=0)
    assert mean_error[0] < mean_error[1] < mean_error[2]
    a = budget.draw(np.random.default_rng(7), channels=4)
    b = budget.draw(np.random.default_rng(7), channels=4)
    np.testing.assert_array_equal(a.gain, b.gain)
    np.testing.assert_array_equal(a.offset_drift_per_day, b.offset_drift_per_day)


def test_calibration_applies_per_channel() -> None:
    calibration = ErrorBudget(0.1, 1.0, 0.1, 1.0).draw(np.random.default_rng(1), channels=2)
    values = np.ones((2, 5))
    ages = np.arange(5.0)
    out = calibration.apply(values, ages)
    expected = (calibration.gain[:, None] + calibration.gain_drift_per_day[:, None] * ages) + (
        calibration.offset[:, None] + calibration.offset_drift_per_day[:, None] * ages
    )
    np.testing.assert_allclose(out, expected)


def test_quantise_and_range_flags() -> None:
    np.testing.assert_allclose(quantise(np.array([0.04, 0.06, -0.06]), 0.1), [0.0, 0.1, -0.1])
    with pytest.raises(ValueError):
        quantise(np.ones(1), 0.0)
    values, saturated = OutputRange(0.0, 1000.0, 1.0).apply(np.array([-5.0, 3.4, 1000.4, 1000.6, np.nan]))
    np.testing.assert_array_equal(values[:4], [0.0, 3.0, 1000.0, 1000.0])
    assert np.isnan(values[4])
    assert saturated.tolist() == [False, False, False, True, False]
    _, low_flags = OutputRange(300.0, 1250.0, 0.01, saturates_low=True).apply(np.array([299.0, 500.0]))
    assert low_flags.tolist() == [True, False]


def test_radiance_round_trip_and_sub_pixel_mixing() -> None:
    temperatures = np.array([-50.0, 0.0, 35.0, 150.0, 400.0, 1000.0])
    np.testing.assert_allclose(brightness_temperature(band_radiance(temperatures)), temperatures, atol=0.01)
    assert np.all(np.diff(band_radiance(temperatures)) > 0)
    fractions = np.array([1.0, 0.5, 1 / 9, 0.01, 0.0])
    apparent = mixed_pixel_temperature(fractions, np.array(300.0), np.array(20.0))
    assert apparent[0] == pytest.approx(300.0, abs=0.01)
    assert apparent[-1] == pytest.approx(20.0, abs=0.01)
    assert np.all(np.diff(apparent) < 0)
    # Radiance mixing: above the area-weighted temperature (W is convex in T), far below the target.
    assert 0.5 * 300.0 + 0.5 * 20.0 < apparent[1] < 250.0
    assert apparent[3] < 30.0
