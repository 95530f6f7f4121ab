"""Time-series building blocks: first-order linear recurrences, AR(1) noise, first-order lags, profiles.

Every function takes the timestep times ``times_s`` (s, shape ``(T,)``, strictly increasing) and returns
arrays of shape ``(T,)``. Randomness comes only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

FloatArray = NDArray[np.float64]

GrowthShape = Literal["step", "linear", "t_squared", "logistic"]
"""How a hazard grows after onset: at once, linearly, as the fire-engineering t² curve, or as an S-curve."""


def linear_recurrence(decay: FloatArray, drive: FloatArray, initial: float) -> FloatArray:
    """Solve ``y[0] = initial``, ``y[i] = decay[i] * y[i-1] + drive[i]`` for ``i ≥ 1``.

    With a constant ``decay`` (evenly spaced times, the usual case) this is one ``scipy.signal.lfilter``
    call; otherwise it is a short Python recurrence (one scenario has at most a few thousand steps).
    """
    n = drive.shape[0]
    out = np.empty(n)
    out[0] = initial
    if n == 1:
        return out
    a = decay[1:]
    if np.all(a == a[0]):
        out[1:] = lfilter([1.0], [1.0, -a[0]], drive[1:], zi=[a[0] * initial])[0]
        return out
    value = initial
    for i in range(1, n):
        value = decay[i] * value + drive[i]
        out[i] = value
    return out


def ar1_noise(times_s: FloatArray, rng: np.random.Generator, correlation_s: float) -> FloatArray:
    """Unit-variance stationary AR(1) (sampled Ornstein–Uhlenbeck) noise with correlation time ``correlation_s``."""
    steps = np.diff(times_s, prepend=times_s[0])
    phi = np.exp(-steps / correlation_s)
    innovations = rng.standard_normal(size=times_s.shape)
    return linear_recurrence(phi, innovations * np.sqrt(1.0 - phi**2), float(innovations[0]))


def first_order_lag(target: FloatArray, times_s: FloatArray, tau_s: float) -> FloatArray:
    """Exponential approach to ``target`` with time constant ``tau_s`` (s), starting at ``target[0]``.

    Exact for a target that is constant over each step (zero-order hold).
    """
    alpha = 1.0 - np.exp(-np.diff(times_s, prepend=times_s[0]) / tau_s)
    return linear_recurrence(1.0 - alpha, alpha * target, float(target[0]))


def growth_profile(times_s: FloatArray, onset_s: float, ramp_s: float, shape: GrowthShape) -> FloatArray:
    """Source strength relative to its peak, in [0, 1]: 0 before ``onset_s``, reaching 1 after ``ramp_s``.

    ``t_squared`` is the fire-engineering t² growth curve (NFPA 72 / SFPE: Q = α t²); ``logistic`` an
    S-curve centred half-way through the ramp; ``step`` full strength at onset.
    """
    progress = np.clip((times_s - onset_s) / ramp_s, 0.0, 1.0)
    started = times_s >= onset_s
    if shape == "step":
        profile = started.astype(np.float64)
    elif shape == "linear":
        profile = progress
    elif shape == "t_squared":
        profile = progress**2
    else:
        raw = 1.0 / (1.0 + np.exp(-10.0 * (progress - 0.5)))
        low, high = 1.0 / (1.0 + np.exp(5.0)), 1.0 / (1.0 + np.exp(-5.0))
        profile = (raw - low) / (high - low)
    return np.where(started, profile, 0.0)


def interval_lengths(times_s: FloatArray, single_step_s: float = 1.0) -> FloatArray:
    """Length of the interval ending at each timestep, s; the first is taken as long as the second
    (``single_step_s`` when there is only one timestep)."""
    steps = np.diff(times_s, prepend=times_s[0])
    steps[0] = steps[1] if steps.shape[0] > 1 else single_step_s
    return steps


def poisson_bursts(
    times_s: FloatArray, rate_per_min: FloatArray, burst_s: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Intermittent bursts (arcs, discharges, clicks) in the interval ending at each timestep.

    Burst counts per interval are Poisson with mean ``rate_per_min · Δt / 60``; returns
    ``(count, duty)`` where ``duty`` is the fraction of the interval the bursts cover (≤ 1). The first
    interval is taken as long as the second.
    """
    steps = interval_lengths(times_s)
    count = rng.poisson(np.clip(rate_per_min, 0.0, None) * steps / 60.0).astype(np.float64)
    duty = np.clip(count * burst_s / steps, 0.0, 1.0)
    return count, duty
