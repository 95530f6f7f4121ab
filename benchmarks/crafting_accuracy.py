"""Does a crafted scenario reproduce its target readings on simulation seeds the crafter never used?

For each sensor family (thermal, acoustic, RF, gas, particles) a "truth" scenario of a catalogue class
gets its driver parameters drawn inside their ranges; its mean reading over a population of target seeds
is the target. ``RuleBasedInverseCrafter`` (seeded by the run) crafts a scenario for it, judging its
candidates on its own population of ≥ 5 simulation seeds. The crafted scenario is then simulated on a
fresh population of seeds that neither the crafter nor the target used. Reported per target: the
relative error on the fresh seeds, the seed-to-seed spread, the documented tolerance
(``inverse.tolerance``) and whether the fresh mean meets it, and the error the crafter reported on its
own seeds (the optimism of judging on the seeds you searched with).

    python benchmarks/crafting_accuracy.py            # full: 4 truths per family, 10 fresh seeds
    python benchmarks/crafting_accuracy.py --quick    # CI: 1 truth for thermal, acoustic and gas
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from envirosense.ops.logging import configure_logging
from envirosense.repository.crafting import CraftRequest, ForwardModel, RuleBasedInverseCrafter, feature_targets
from envirosense.repository.crafting.base import FeatureTarget, driver_parameters, params_at, search_dimensions
from envirosense.repository.crafting.inverse import tolerance
from envirosense.repository.sensors import FeatureField, parse_feature_path
from envirosense.schemas import ClassLabel, SampleFeaturesSummary
from envirosense.simulation.registry import scenario_class
from envirosense.simulation.scenario import BaseScenario

FAMILIES: tuple[tuple[str, str, str, str], ...] = (
    ("thermal", "equipment_overheat", "equipment_overheat", "U26_Lepton35.hotspot_delta_c"),
    ("acoustic", "corona_discharge", "corona_discharge", "U27_SPU0410HR5H.band_ultrasonic_db"),
    ("gas", "cellulose_pyrolysis", "fire_precursor", "U19_TFSGS.formaldehyde_ppb"),
    ("rf", "arcing_event", "arcing", "U29_TFEMF.hf_noise_db"),
    ("particles", "distant_vegetation_smoke", "normal", "U20_SPS30.mass_concentration_pm2_5_ug_m3"),
)
"""(family, scenario class, target label, reading) — the quick mode runs the first three."""


def _field(feature: str) -> FeatureField:
    field = parse_feature_path(f"sensor_readings_map.{feature}")
    assert field is not None
    return field


def _truth(name: str, field: FeatureField, rng: np.random.Generator) -> BaseScenario[Any]:
    cls = scenario_class(name)
    dimensions = search_dimensions(cls, driver_parameters(cls, (FeatureTarget(field, 1.0, 1.0),)))
    return cls(params_at(cls, cls.params_model(), dimensions, rng.uniform(0.15, 0.85, len(dimensions)).tolist()))


def measure(family: str, name: str, label: str, feature: str, index: int, seed: int, n_fresh: int) -> dict[str, Any]:
    """Craft for one drawn truth of ``name`` and score the result on ``n_fresh`` unseen seeds."""
    field = _field(feature)
    rng = np.random.default_rng([seed, index, sum(map(ord, name))])
    truth = _truth(name, field, rng)
    target_seed, fresh_seed, crafter_seed = (int(v) for v in rng.integers(0, 2**32, size=3))
    target = ForwardModel(n_repeats=n_fresh, seed=target_seed).evaluate(truth, [field], ClassLabel(label))[field]
    summary = SampleFeaturesSummary(
        method="SHAP",
        target_class_for_explanation=label,
        top_n_features=[{"feature_path": field.path, "importance_score": 1.0, "raw_value": target}],
    )
    crafter = RuleBasedInverseCrafter(seed=crafter_seed)
    start = time.perf_counter()
    result = crafter.craft(CraftRequest(summary, ClassLabel(label), tuple(feature_targets(summary))))
    seconds = time.perf_counter() - start
    report = result.report["search_population"]
    fresh = ForwardModel(n_repeats=n_fresh, seed=fresh_seed).population(
        result.scenario_class(result.params), [field], ClassLabel(label)
    )
    n_search = len(report["simulation_seeds"])
    sd = max(report["sd"][field.path] or 0.0, fresh.sd[field])
    allowed = tolerance(target, sd, n_search, fresh.count[field])
    error = abs(fresh.mean[field] - target)
    return {
        "family": family,
        "feature": feature,
        "target": target,
        "own_error": abs(report["mean"][field.path] - target) / max(abs(target), 1e-9),
        "fresh_error": error / max(abs(target), 1e-9),
        "sd": sd,
        "within": error <= allowed,
        "of_tolerance": error / allowed,
        "seconds": seconds,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="One truth for thermal, acoustic and gas (CI).")
    parser.add_argument("--truths", type=int, default=4, help="Truth scenarios per family (full mode).")
    parser.add_argument("--fresh-seeds", type=int, default=10, help="Unseen simulation seeds per population.")
    parser.add_argument("--seed", type=int, default=2026, help="Seed of every draw.")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    families = FAMILIES[:3] if args.quick else FAMILIES
    truths = 1 if args.quick else args.truths
    fresh = 6 if args.quick else args.fresh_seeds
    print(f"crafting accuracy ({'quick' if args.quick else 'full'}): {truths} truth(s) per family, {fresh} fresh seeds")
    print(
        f"  {'family':<10s} {'reading':<44s} {'target':>9s} {'own err':>8s} {'fresh err':>9s} {'sd':>8s} "
        f"{'of tol':>7s} {'ok':>3s} {'craft s':>8s}"
    )
    rows = []
    for family, name, label, feature in families:
        for index in range(truths):
            row = measure(family, name, label, feature, index, args.seed, fresh)
            rows.append(row)
            print(
                f"  {family:<10s} {feature:<44s} {row['target']:9.2f} {row['own_error']:8.1%} "
                f"{row['fresh_error']:9.1%} {row['sd']:8.2f} {row['of_tolerance']:7.2f} "
                f"{'yes' if row['within'] else 'NO':>3s} {row['seconds']:8.1f}",
                flush=True,
            )
    within = np.mean([row["within"] for row in rows])
    fresh_error, own_error = (np.median([row[key] for row in rows]) for key in ("fresh_error", "own_error"))
    print(
        f"within tolerance on fresh seeds: {within:.0%} of {len(rows)}; median relative error on fresh seeds "
        f"{fresh_error:.1%} (on the crafter's own seeds {own_error:.1%}); "
        f"median craft {np.median([row['seconds'] for row in rows]):.1f} s"
    )
    if within < 1.0:
        raise SystemExit("some crafted scenarios missed their tolerance on fresh seeds")


if __name__ == "__main__":
    main()
