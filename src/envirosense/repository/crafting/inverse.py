"""Rule-based inverse design: solve for the driver parameters that reproduce a sample's raw readings.

1. Pick the class of the target label whose ``sensor_drivers`` cover the most feature importance.
2. Search only the parameters that drive the summary's fields, inside their declared ranges (unit
   coordinates, log scale for wide positive ranges): a Latin-hypercube design, then bounded Powell
   from its best points in turn until the fit is good enough or the budget is spent. The search
   stops as soon as every target's population mean is within ``stop_fraction`` of the fixed part of
   its tolerance (a closer fit on the search seeds buys nothing on fresh ones).
3. The objective runs the simulator (``ForwardModel``: short runs on a population of at least five
   simulation seeds, devices included, drawn from the crafter's seed and the request; the same
   population for every candidate) and sums the importance-weighted squared relative errors between
   the population means and the target values. The population grows with the seed-to-seed spread of
   the readings at the start point (``population_size``), up to ``max_population``: a plume reading
   whose 10-minute plume axis meanders across the device varies by a quarter of its mean between
   seeds, and five seeds would leave the search matching a sampling error.
4. The best candidate is verified on a fresh population drawn the same way: the report gives the mean
   and spread of each achieved reading on both populations, and whether the fresh mean meets the
   tolerance (``within_tolerance``).

Every population's runs go to the crafter's ``SimulationBatch`` as one batch (the whole design at
once): in this process by default, on a run's long-lived executor in the loop. Each run carries its
own seed, so the crafted scenario is the same whichever batch runs it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from envirosense.ops.logging import get_logger
from envirosense.repository.crafting.base import (
    CraftRequest,
    CraftResult,
    FeatureTarget,
    choose_class,
    driver_parameters,
    params_at,
    search_dimensions,
    start_params,
    unit_point,
)
from envirosense.repository.crafting.batch import InProcessBatch, SimulationBatch
from envirosense.repository.crafting.forward import ForwardModel, PopulationSummary
from envirosense.repository.errors import CraftingError
from envirosense.repository.sensors import FeatureField
from envirosense.schemas import SENSORS_BY_ID
from envirosense.schemas.bounds import field_bounds
from envirosense.simulation.parameters import ParamModel

_log = get_logger(__name__)
_MISSING_PENALTY = 4.0
MIN_POPULATION = 5
"""Fewest simulation seeds a candidate is judged on: fewer, and one device's defect decides the craft."""
RELATIVE_TOLERANCE = 0.05
"""Share of ``|target|`` a crafted scenario's mean reading may miss it by, beyond seed-to-seed noise."""
QUANTISATION_TOLERANCE = 0.5
"""Allowance in field units for readings reported in coarse steps (counts, 0.5 dB, 0.01 K)."""
MAX_POPULATION = 24
"""Default cap on the population a noisy reading grows it to (simulator runs per candidate)."""


def population_size(targets: list[tuple[float, float, float]], n_min: int, n_max: int) -> int:
    """Seeds needed so that two standard errors of each population mean fit in its fixed allowance.

    ``targets`` holds ``(target, pilot_mean, pilot_sd)`` per reading, measured on a pilot population at
    the start point. The spread is scaled to the target as a share of the mean (plume and source readings
    spread in proportion to their level): ``sd_t = sd · max(1, |target| / |mean|)``, and
    ``n = ⌈(2 sd_t / (5 % · |target| + 0.5))²⌉``, clipped to ``[n_min, n_max]``. Non-finite spreads count as 0.
    """
    needed = n_min
    for target, mean, sd in targets:
        if not math.isfinite(sd) or sd <= 0.0:
            continue
        scale = max(1.0, abs(target) / abs(mean)) if math.isfinite(mean) and mean != 0.0 else 1.0
        allowance = RELATIVE_TOLERANCE * abs(target) + QUANTISATION_TOLERANCE
        needed = max(needed, math.ceil((2.0 * sd * scale / allowance) ** 2))
    return min(max(needed, n_min), n_max)


def tolerance(target: float, sd: float, n_search: int, n_fresh: int) -> float:
    """How far the mean reading of a crafted scenario on ``n_fresh`` fresh seeds may sit from ``target``.

    ``5 % · |target| + 0.5 field units + 2 · sd · √(1/n_search + 1/n_fresh)``: the search matched the
    mean of its own ``n_search`` seeds, so a fresh mean differs from it by two independent sampling
    errors of seed-to-seed spread ``sd`` (NaN spread counts as 0).
    """
    spread = sd if math.isfinite(sd) else 0.0
    return (
        RELATIVE_TOLERANCE * abs(target)
        + QUANTISATION_TOLERANCE
        + 2.0 * spread * math.sqrt(1.0 / n_search + 1.0 / n_fresh)
    )


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
    ``seed`` (the caller's seed: with the request, it seeds the Latin hypercube and draws the search and
    verification populations of simulation seeds, so the same request always gives the same result and
    no seed is fixed in advance). ``forward.n_repeats`` (≥ 5) is the pilot population's size and the
    least size of each population; ``max_population`` caps how far a noisy reading grows it
    (``population_size``). ``stop_fraction`` (in [0, 1]; 0 searches until ``target_loss`` or the
    budget) ends the search once every target's search-population mean is within that share of
    ``5 % · |target| + 0.5`` units; ``batch`` runs the simulations (default ``InProcessBatch``).

    Tolerance: when the targets are reachable inside the declared ranges, the mean summarised reading
    of the crafted scenario on any fresh population of simulation seeds is within ``tolerance(...)`` of
    each target: 5 % of it, plus 0.5 field units, plus two standard errors of seed-to-seed noise
    (``tests/repository/test_repository_crafting.py`` checks this for thermal, acoustic, RF, particle
    and gas targets through the real catalogue classes, on seeds the crafter never used).
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
        max_population: int = MAX_POPULATION,
        stop_fraction: float = 0.25,
        batch: SimulationBatch | None = None,
        seed: int = 0,
    ) -> None:
        if n_initial < 1 or local_searches < 1 or max_evaluations <= n_initial:
            raise ValueError("need n_initial >= 1, local_searches >= 1 and max_evaluations > n_initial")
        if forward is not None and forward.n_repeats < MIN_POPULATION:
            raise ValueError(f"forward.n_repeats must be >= {MIN_POPULATION}: candidates are judged on a population")
        if not 0.0 <= stop_fraction <= 1.0:
            raise ValueError("stop_fraction must be within [0, 1]")
        if max_population < (forward.n_repeats if forward is not None else MIN_POPULATION):
            raise ValueError("max_population must be >= forward.n_repeats")
        self.local_searches = local_searches
        self.target_loss = target_loss
        self.forward = forward or ForwardModel()
        self.n_initial = n_initial
        self.max_evaluations = max_evaluations
        self.error_floor_fraction = error_floor_fraction
        self.max_population = max_population
        self.stop_fraction = stop_fraction
        self.batch = batch or InProcessBatch()
        self.seed = seed

    def _met(self, targets: tuple[FeatureTarget, ...], best: dict[str, Any]) -> bool:
        """Whether the search may stop: the best loss is at most ``target_loss``, or every target's mean on
        the search population is within ``stop_fraction`` of the fixed part of its tolerance."""
        if best["loss"] <= self.target_loss:
            return True
        if "population" not in best:
            return False
        means = best["population"].mean
        return all(
            abs(means[t.feature] - t.raw_value)
            <= self.stop_fraction * (RELATIVE_TOLERANCE * abs(t.raw_value) + QUANTISATION_TOLERANCE)
            for t in targets
        )

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
        batch = self.batch
        seeds = np.random.default_rng([self.seed, _request_key(request), 1]).integers(0, 2**32, size=2)
        pilot = dataclasses.replace(self.forward, seed=int(seeds[0])).population(
            cls(base), fields, request.target_label, batch
        )
        size = population_size(
            [(t.raw_value, pilot.mean[t.feature], pilot.sd[t.feature]) for t in targets],
            self.forward.n_repeats,
            self.max_population,
        )
        search = dataclasses.replace(self.forward, seed=int(seeds[0]), n_repeats=size)
        fresh = dataclasses.replace(self.forward, seed=int(seeds[1]), n_repeats=size)

        def judge(units: NDArray[np.float64], params: ParamModel, population: PopulationSummary) -> float:
            nonlocal evaluations
            evaluations += 1
            loss = 0.0
            for target in targets:
                value = population.mean[target.feature]
                error = (value - target.raw_value) / scales[target.feature] if math.isfinite(value) else math.nan
                loss += target.weight * (error * error if math.isfinite(error) else _MISSING_PENALTY)
            if loss < best["loss"]:
                best.update(loss=loss, units=[float(u) for u in units], params=params, population=population)
            return loss

        def objective(units: NDArray[np.float64]) -> float:
            params = params_at(cls, base, dimensions, [float(u) for u in units])
            loss = judge(units, params, search.population(cls(params), fields, request.target_label, batch))
            if self._met(targets, best):
                raise _TargetMetError
            return loss

        # scipy's optimize and stats take about a second to import; only crafting needs them.
        from scipy.optimize import minimize
        from scipy.stats import qmc

        rng = np.random.default_rng([self.seed, _request_key(request)])
        design = [
            np.asarray(point, dtype=np.float64)
            for point in [
                unit_point(base, dimensions),
                *qmc.LatinHypercube(d=len(dimensions), rng=rng).random(self.n_initial),
            ]
        ]
        design_params = [params_at(cls, base, dimensions, [float(u) for u in point]) for point in design]
        design_populations = search.populations(
            [cls(params) for params in design_params], fields, request.target_label, batch
        )
        losses = [
            judge(point, params, population)
            for point, params, population in zip(design, design_params, design_populations, strict=True)
        ]
        starts = [design[i] for i in sorted(range(len(design)), key=losses.__getitem__)][: self.local_searches]
        for index, start in enumerate(starts):
            remaining = self.max_evaluations - evaluations
            if remaining <= 0 or self._met(targets, best):
                break
            try:
                minimize(
                    objective,
                    start,
                    method="Powell",
                    bounds=[(0.0, 1.0)] * len(dimensions),
                    options={"maxfev": remaining // (len(starts) - index), "xtol": 1e-4, "ftol": 1e-8},
                )
            except _TargetMetError:
                break
        params: ParamModel = best["params"]
        found: PopulationSummary = best["population"]
        simulated = found.mean
        verified = fresh.population(cls(params), fields, request.target_label, batch)
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
            "simulations": self.forward.n_repeats + (evaluations + 1) * size,
            "population_size": size,
            "search_population": _population_report(search, found, targets),
            "verification": _population_report(fresh, verified, targets, reference=found),
        }
        _log.info(
            "crafted", crafter=self.name, scenario_class=cls.__name__, loss=report["loss"], evaluations=evaluations
        )
        return CraftResult(scenario_class=cls, params=params, report=report)


def _population_report(
    forward: ForwardModel,
    population: PopulationSummary,
    targets: tuple[Any, ...],
    reference: PopulationSummary | None = None,
) -> dict[str, Any]:
    """Seeds, mean and spread of each target's reading; against ``reference`` (the search population),
    whether each mean meets the tolerance."""
    report: dict[str, Any] = {
        "simulation_seeds": forward.simulation_seeds(),
        "mean": {t.feature.path: _json_float(population.mean[t.feature]) for t in targets},
        "sd": {t.feature.path: _json_float(population.sd[t.feature]) for t in targets},
    }
    if reference is not None:
        allowed = {
            t.feature.path: tolerance(
                t.raw_value,
                max(_finite_or_zero(reference.sd[t.feature]), _finite_or_zero(population.sd[t.feature])),
                max(reference.count[t.feature], 1),
                max(population.count[t.feature], 1),
            )
            for t in targets
        }
        report["tolerance"] = allowed
        report["within_tolerance"] = {
            t.feature.path: bool(abs(population.mean[t.feature] - t.raw_value) <= allowed[t.feature.path])
            for t in targets
        }
    return report


class _TargetMetError(Exception):
    """Ends a local search early: the best candidate meets the stopping rule (``_met``)."""


def _finite_or_zero(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _request_key(request: CraftRequest) -> int:
    text = f"{request.target_label.value}|{request.summary.model_dump_json()}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
