"""Turning a weak spot into parameter changes: draws in the neighbourhood of the failing scenario.

The model failed on a sample simulated with known parameters. New samples are most informative near that
point of parameter space, and along the parameters that drive the sensor fields the explanation points at:
those move further, the rest stay close. Every draw stays inside the declared ranges.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from envirosense.schemas import WeakSpot
from envirosense.simulation.parameters import ParamModel, flatten_params, param_ranges


def explained_driver_params(sensor_drivers: Mapping[str, tuple[str, ...]], spot: WeakSpot) -> list[str]:
    """Parameter paths whose driven feature paths appear among the spot's explanation features."""
    if spot.sample_features_summary is None:
        return []
    explained = {feature.feature_path for feature in spot.sample_features_summary.top_n_features}
    return sorted(path for path, features in sensor_drivers.items() if explained.intersection(features))


def neighbourhood_modifications(
    params_model: type[ParamModel],
    base_params: Mapping[str, Any],
    drivers: list[str],
    count: int,
    rng: np.random.Generator,
    *,
    spread: float = 0.08,
    driver_spread: float = 0.2,
    fixed: frozenset[str] = frozenset({"duration_seconds"}),
) -> list[dict[str, Any]]:
    """``count`` parameter modifications (dotted paths → values) drawn around ``base_params``.

    Numeric parameters move by a normal step of ``spread`` × their declared range (``driver_spread`` for
    ``drivers``), clipped to the range; choices stay as they are except that driver choices are redrawn
    with probability ``driver_spread``. Parameters in ``fixed`` never move.
    """
    ranges = param_ranges(params_model)
    flat = flatten_params(base_params)
    modifications = []
    for _ in range(count):
        change: dict[str, Any] = {}
        for path, declared in ranges.items():
            if path in fixed or path not in flat:
                continue
            scale = driver_spread if path in drivers else spread
            if declared.choices is not None:
                if path in drivers and rng.random() < driver_spread:
                    choice = declared.choices[int(rng.integers(len(declared.choices)))]
                    change[path] = getattr(choice, "value", choice)
                continue
            assert declared.lower is not None and declared.upper is not None
            width = declared.upper - declared.lower
            change[path] = declared.clip(float(flat[path]) + float(rng.normal(0.0, scale * width)))
        modifications.append(change)
    return modifications
