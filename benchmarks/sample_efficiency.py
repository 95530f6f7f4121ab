"""Sample efficiency: does targeted simulation teach the model faster than simulating at random?

Runs the loop with each strategy (``alm``, ``random``, ``pool-margin``) for several seeds on the same
initial-set recipe, per-cycle budget and fixed held-out evaluation set, then reports per strategy:

- the learning curve (macro-F1 of the best model so far against training samples), averaged over seeds;
- the area under it (AUBC: trapezoid over the sample axis, divided by its length, so 1.0 is perfect);
- the samples needed to reach the target macro-F1 (linear interpolation; "not reached" counts as ∞);
- bootstrap 95 % confidence intervals (over seeds) of the AUBC and of its difference to ``random``.

The evaluation set is drawn uniformly over scenario classes and parameters (``learning.sources``) from its
own seed; its scenario definitions are never stored in the repository, and ALM chooses scenarios only from
per-cycle probe sets.

    python benchmarks/sample_efficiency.py --quick            # CI-sized: 2 seeds, small budgets
    python benchmarks/sample_efficiency.py --seeds 5          # the figures in BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from envirosense.learning.assembly import build_manager
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.settings import RunSettings
from envirosense.ops.logging import configure_logging

STRATEGIES = ("alm", "random", "pool-margin")


def settings_for(workspace: Path, strategy: str, seed: int, quick: bool) -> RunSettings:
    budget = (
        {"samples_per_cycle": 120, "probe_samples": 200, "samples_per_scenario_run": 10, "min_samples_per_spot": 10}
        if quick
        else {
            "samples_per_cycle": 250,
            "probe_samples": 500,
            "samples_per_scenario_run": 10,
            "min_samples_per_spot": 20,
        }
    )
    return RunSettings.model_validate(
        {
            "workspace": workspace,
            "model": {"n_estimators": 30 if quick else 80},
            "generation": {"workers": 2},
            "datasets": {
                "initial_samples": 100 if quick else 300,
                "evaluation_samples": 300 if quick else 1500,
                "initial_seed": 1000 + seed,
                "evaluation_seed": 7,
            },
            "active_learning": {
                "strategy": strategy,
                "seed": seed,
                "pool_factor": 3 if quick else 5,
                "budget": budget,
                "stopping": {
                    "max_cycles": 2 if quick else 5,
                    "target_macro_f1": None,
                    "plateau_cycles": None,
                },
            },
        }
    )


def aubc(samples: list[int], scores: list[float], start: float, end: float) -> float:
    """Area under the learning curve between ``start`` and ``end`` samples (linear interpolation),
    divided by that range: the mean macro-F1 over it. Every strategy is scored on the same range."""
    grid = np.linspace(start, end, 200)
    return float(np.mean(np.interp(grid, np.asarray(samples, dtype=float), np.asarray(scores, dtype=float))))


def samples_to_reach(samples: list[int], scores: list[float], target: float) -> float:
    for i, score in enumerate(scores):
        if score >= target:
            if i == 0:
                return float(samples[0])
            x0, x1, y0, y1 = samples[i - 1], samples[i], scores[i - 1], scores[i]
            return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0)) if y1 > y0 else float(x1)
    return math.inf


def bootstrap_ci(values: np.ndarray, rng: np.random.Generator, rounds: int = 2000) -> tuple[float, float]:
    if values.size < 2:
        return float(values.mean()), float(values.mean())
    means = rng.choice(values, size=(rounds, values.size), replace=True).mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


Curve = tuple[list[int], list[float]]


def run_one(root: Path, strategy: str, seed: int, quick: bool, overrides: dict[str, Any], label: str) -> Curve:
    settings = settings_for(root, strategy, seed, quick)
    if overrides:
        learning = settings.active_learning.model_dump()
        for dotted, value in overrides.items():
            node = learning
            *parents, leaf = dotted.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = value
        settings = settings.model_copy(update={"active_learning": ActiveLearningConfig.model_validate(learning)})
    return build_manager(settings, f"{label}-s{seed}").run().learning_curve()


def plot(curves: dict[str, list[Curve]], path: Path) -> None:
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    axis = figure.subplots()
    for label, runs in curves.items():
        samples = np.asarray(runs[0][0], dtype=float)
        scores = np.asarray([run[1] for run in runs], dtype=float)
        axis.plot(samples, scores.mean(axis=0), marker="o", label=label)
        axis.fill_between(samples, scores.min(axis=0), scores.max(axis=0), alpha=0.15)
    axis.set_xlabel("training samples")
    axis.set_ylabel("macro-F1 on the held-out set (best so far)")
    axis.set_title(f"Learning curves, mean and range over {len(next(iter(curves.values())))} seeds")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.savefig(path, dpi=100)


def report(curves: dict[str, list[Curve]], target: float | None, out: Path, tag: str) -> dict[str, Any]:
    """Print the table (AUBC with bootstrap CIs, samples to target, ratio to random) and write plot and JSON."""
    final = [run[1][-1] for runs in curves.values() for run in runs]
    target = target or round(float(np.median(final)) - 0.01, 3)
    rng = np.random.default_rng(0)
    all_runs = [run for runs in curves.values() for run in runs]
    start = max(run[0][0] for run in all_runs)
    end = min(run[0][-1] for run in all_runs)
    areas = {label: np.array([aubc(*run, start, end) for run in runs]) for label, runs in curves.items()}
    reach = {label: np.array([samples_to_reach(*run, target) for run in runs]) for label, runs in curves.items()}
    random_reach = float(np.median(reach["random"])) if "random" in reach else math.nan
    results: dict[str, Any] = {"target_macro_f1": target, "aubc_range": [start, end], "curves": curves, "labels": {}}
    print(f"\nTarget macro-F1 {target}; AUBC over {start}–{end} samples; {len(all_runs) // len(curves)} seeds\n")
    print(
        f"{'strategy':18s} {'AUBC mean':>9s} {'AUBC 95% CI':>17s} {'Δ vs random (95% CI)':>26s} "
        f"{'samples to target (median)':>27s} {'ratio to random':>15s}"
    )
    for label in curves:
        low, high = bootstrap_ci(areas[label], rng)
        delta = ""
        entry: dict[str, Any] = {"aubc": areas[label].tolist(), "samples_to_target": reach[label].tolist()}
        if "random" in areas and label != "random":
            difference = areas[label] - areas["random"]
            d_low, d_high = bootstrap_ci(difference, rng)
            delta = f"{difference.mean():+.4f} [{d_low:+.4f}, {d_high:+.4f}]"
            entry["aubc_minus_random_ci"] = [d_low, d_high]
        median_reach = float(np.median(reach[label]))
        ratio = median_reach / random_reach if math.isfinite(median_reach) and math.isfinite(random_reach) else math.nan
        print(
            f"{label:18s} {areas[label].mean():9.4f} [{low:.4f}, {high:.4f}] {delta:>26s} "
            f"{median_reach:27.0f} {ratio:15.2f}"
        )
        entry["samples_to_target_ratio_to_random"] = ratio
        results["labels"][label] = entry
    out.mkdir(parents=True, exist_ok=True)
    plot(curves, out / f"sample_efficiency_{tag}.png")
    (out / f"sample_efficiency_{tag}.json").write_text(json.dumps(results, indent=1))
    print(f"\nplot: {out / f'sample_efficiency_{tag}.png'}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI-sized run")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 2 quick, 5 full)")
    parser.add_argument("--target", type=float, default=None, help="target macro-F1 for samples-to-reach")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an active_learning key for the alm runs, e.g. targeting.select_factor=1 (JSON value)",
    )
    parser.add_argument("--label", default="alm", help="name of the alm runs in the table (with --set)")
    parser.add_argument("--merge", type=Path, action="append", default=[], help="add curves from earlier JSON")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="where plots and JSON go")
    parser.add_argument("--tag", default=None, help="file name tag (default: quick or full)")
    parser.add_argument("--keep", type=Path, default=None, help="keep workspaces here instead of a temp dir")
    parser.add_argument("--check", action="store_true", help="exit 1 unless alm's mean AUBC beats random's")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    seeds = list(range(args.seeds or (2 if args.quick else 5)))
    overrides = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    root = args.keep or Path(tempfile.mkdtemp(prefix="envirosense-efficiency-"))
    started = time.perf_counter()
    curves: dict[str, list[Curve]] = {}
    for seed in seeds:
        for strategy in args.strategies.split(","):
            label = args.label if strategy == "alm" else strategy
            t0 = time.perf_counter()
            curve = run_one(root, strategy, seed, args.quick, overrides if strategy == "alm" else {}, label)
            curves.setdefault(label, []).append(curve)
            print(
                f"seed {seed} {label:18s} samples {curve[0]} macro-F1 {[round(v, 3) for v in curve[1]]} "
                f"({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    for earlier in args.merge:
        for label, runs in json.loads(earlier.read_text())["curves"].items():
            name = label if label not in curves else f"{label} ({earlier.stem})"
            curves[name] = [(list(run[0]), list(run[1])) for run in runs]
    print(f"\n{time.perf_counter() - started:.0f} s of runs")
    areas = report(curves, args.target, args.out, args.tag or ("quick" if args.quick else "full"))["labels"]
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    if args.check and not np.mean(areas[args.label]["aubc"]) > np.mean(areas["random"]["aubc"]):
        print("CHECK FAILED: alm's mean AUBC does not beat random's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
