"""Sensor response lag: the exact discrete first-order (τ63) response for any sample spacing.

A first-order sensor obeys ``τ dy/dt = x − y``. With the input held at ``x[i]`` over the step
``Δ_i = t_i − t_{i−1}`` (zero-order hold), the exact update is ``y[i] = y[i−1] + α_i (x[i] − y[i−1])``
with ``α_i = 1 − exp(−Δ_i/τ)``; a step input reaches 63.2 % of its final value after ``τ``.

The recurrence is solved without a per-sample Python loop by a parallel prefix scan over affine maps
(Hillis–Steele): ``⌈log₂ T⌉`` vectorised passes, exact for uneven spacing, and stable because every
decay factor is in ``[0, 1]`` (products only shrink; nothing overflows).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def linear_recurrence(decay: FloatArray, drive: FloatArray, initial: FloatArray | float) -> FloatArray:
    """Solve ``y[0] = initial``, ``y[i] = decay[i] · y[i−1] + drive[i]`` along the last axis.

    ``decay`` and ``drive`` have shape ``(..., T)`` (``decay[..., 0]`` and ``drive[..., 0]`` are ignored);
    ``initial`` broadcasts against ``(...)``. Returns ``(..., T)``.
    """
    a = np.array(np.broadcast_to(decay, np.broadcast_shapes(decay.shape, drive.shape)), dtype=np.float64)
    b = np.array(np.broadcast_to(drive, a.shape), dtype=np.float64)
    a[..., 0] = 0.0
    b[..., 0] = initial
    n = a.shape[-1]
    step = 1
    while step < n:
        b[..., step:] = a[..., step:] * b[..., :-step] + b[..., step:]
        a[..., step:] = a[..., step:] * a[..., :-step]
        step *= 2
    return b


def first_order_lag(values: FloatArray, times_s: FloatArray, tau_s: float | FloatArray) -> FloatArray:
    """The output of a first-order sensor with time constant ``tau_s`` (τ63, s) driven by ``values``.

    ``values``: ``(..., T)`` true input at ``times_s`` (``(T,)``, s, strictly increasing); ``tau_s``: a
    scalar or one per leading channel (shape ``(...)``). The sensor starts settled at ``values[..., 0]``.
    ``tau_s = 0`` returns the input unchanged.
    """
    x = np.asarray(values, dtype=np.float64)
    tau = np.asarray(tau_s, dtype=np.float64)
    if np.all(tau == 0):
        return x.copy()
    if np.any(tau < 0):
        raise ValueError("tau_s must be non-negative")
    steps = np.diff(times_s, prepend=times_s[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = steps / tau[..., None] if tau.ndim else steps / float(tau)
    decay = np.exp(-ratio)
    gain = -np.expm1(-ratio)
    return linear_recurrence(decay, gain * x, x[..., 0])
