"""Rule-based inverse design: solve for the driver parameters that reproduce a sample's raw readings.

1. Pick the class of the target label whose ``sensor_drivers`` cover the most feature importance.
2. Search only the parameters that drive the summary's fields, inside their declared ranges (unit
   coordinates, log scale for wide positive ranges): a Latin-hypercube design, then bounded Powell
   from its best points in turn until the fit is good enough or the budget is spent.
3. The objective runs the simulator (``ForwardModel``: a short run with common random numbers) and
   sums the importance-weighted squared relative errors between the simulated and the target values.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from envirosense.ops.logging import get_logger
from envirosense.repository.crafting.base import (
    CraftRequest,
    CraftResult,
    choose_class,
    driver_parameters,
    params_at,
    search_dimensions,
    start_params,
    unit_point,
)
from envirosense.repository.crafting.forward import ForwardModel
from envirosense.repository.errors import CraftingError
from envirosense.repository.sensors import FeatureField
from envirosense.schemas import SENSORS_BY_ID
from envirosense.schemas.bounds import field_bounds
from envirosense.simulation.parameters import ParamModel

_log = get_logger(__name__)
_MISSING_PENALTY = 4.0


def _error_floor(feature: FeatureField, fraction: float) -> float:
    """``fraction`` of the field's declared range: the error scale for targets near zero."""
    declared = field_bounds(SENSORS_BY_ID[feature.sensor_id].reading_model).get(feature.field)
    if declared is None or not (math.isfinite(declared.lower) and math.isfinite(declared.upper)):
        return fraction
    return max(fraction * (declared.upper - declared.lower), 1e-9)


class RuleBasedInverseCrafter:
    """Inverse design through the simulator's forward model.

    Parameters: ``forward`` (the short simulation used to evaluate candidates), ``n_initial`` (Latin
    hypercube points before the local search), ``local_searches`` (bounded Powell runs, from the best
    starting points in turn, until ``target_loss`` is reached), ``max_evaluations`` (simulator runs per
    craft, count),
    ``error_floor_fraction`` (share of a field's range added to ``|target|`` when scaling errors) and
    ``seed`` (with the request, seeds the Latin hypercube: the same request always gives the same result).

    Tolerance: when the targets are reachable inside the declared ranges, the crafted scenario's
    summarised readings are within 10 % of them (``tests/repository/test_crafting.py`` checks this
    through the real catalogue classes).
    """

    name = "rule_based_inverse"

    def __init__(
        self,
        *,
        forward: ForwardModel | None = None,
        n_initial: int = 16,
        local_searches: int = 3,
        max_evaluations: int = 120,
        target_loss: float = 1e-4,
        error_floor_fraction: float = 1e-3,
        seed: int = 0,
    ) -> None:
        if n_initial < 1 or local_searches < 1 or max_evaluations <= n_initial:
            raise ValueError("need n_initial >= 1, local_searches >= 1 and max_evaluations > n_initial")
        self.local_searches = local_searches
        self.target_loss = target_loss
        self.forward = forward or ForwardModel()
        self.n_initial = n_initial
        self.max_evaluations = max_evaluations
        self.error_floor_fraction = error_floor_fraction
        self.seed = seed

    def craft(self, request: CraftRequest) -> CraftResult:
        targets = request.targets
        if not targets:
            raise CraftingError("the feature summary names no scalar reading field with a raw value")
        cls = choose_class(request.target_label, targets, request.start)
        paths = driver_parameters(cls, targets)
        if not paths:
            features = ", ".join(target.feature.path for target in targets)
            raise CraftingError(f"{cls.__name__} declares no parameter driving any of {features}")
        dimensions = search_dimensions(cls, paths)
        base = start_params(cls, request.start)
        fields = [target.feature for target in targets]
        scales = {t.feature: abs(t.raw_value) + _error_floor(t.feature, self.error_floor_fraction) for t in targets}
        best: dict[str, Any] = {"loss": math.inf}
        evaluations = 0

        def objective(units: NDArray[np.float64]) -> float:
            nonlocal evaluations
            evaluations += 1
            params = params_at(cls, base, dimensions, [float(u) for u in units])
            simulated = self.forward.evaluate(cls(params), fields, request.target_label)
            loss = 0.0
            for target in targets:
                value = simulated[target.feature]
                error = (value - target.raw_value) / scales[target.feature] if math.isfinite(value) else math.nan
                loss += target.weight * (error * error if math.isfinite(error) else _MISSING_PENALTY)
            if loss < best["loss"]:
                best.update(loss=loss, units=[float(u) for u in units], params=params, simulated=simulated)
            return loss

        # scipy's optimize and stats take about a second to import; only crafting needs them.
        from scipy.optimize import minimize
        from scipy.stats import qmc

        rng = np.random.default_rng([self.seed, _request_key(request)])
        design = [unit_point(base, dimensions), *qmc.LatinHypercube(d=len(dimensions), rng=rng).random(self.n_initial)]
        starts = sorted((np.asarray(point, dtype=np.float64) for point in design), key=lambda point: objective(point))[
            : self.local_searches
        ]
        for index, start in enumerate(starts):
            remaining = self.max_evaluations - evaluations
            if remaining <= 0 or best["loss"] <= self.target_loss:
                break
            minimize(
                objective,
                start,
                method="Powell",
                bounds=[(0.0, 1.0)] * len(dimensions),
                options={"maxfev": remaining // (len(starts) - index), "xtol": 1e-4, "ftol": 1e-8},
            )
        params: ParamModel = best["params"]
        simulated = best["simulated"]
        report = {
            "method": self.name,
            "scenario_class": cls.__name__,
            "searched_parameters": {d.path: d.to_value(u) for d, u in zip(dimensions, best["units"], strict=True)},
            "targets": {t.feature.path: t.raw_value for t in targets},
            "achieved": {t.feature.path: _json_float(simulated[t.feature]) for t in targets},
            "relative_errors": {
                t.feature.path: _json_float(abs(simulated[t.feature] - t.raw_value) / scales[t.feature])
                for t in targets
            },
            "loss": _json_float(best["loss"]),
            "evaluations": evaluations,
        }
        _log.info(
            "crafted", crafter=self.name, scenario_class=cls.__name__, loss=report["loss"], evaluations=evaluations
        )
        return CraftResult(scenario_class=cls, params=params, report=report)


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _request_key(request: CraftRequest) -> int:
    text = f"{request.target_label.value}|{request.summary.model_dump_json()}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
