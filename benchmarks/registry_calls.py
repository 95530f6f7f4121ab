"""The per-call bookkeeping of the loop, cached or batched against how it was done before, in one run.

    python benchmarks/registry_calls.py [--calls N]

1. Resolving ``champion`` and loading its model, as every model call of a cycle does:
   ``ModelRegistry(cache=True)`` (the loop's, which registered the model and kept it) against the default
   registry, which asks MLflow each time (two queries per resolution) and, for a load, downloads, checks
   and deserialises the files again.
2. Logging a cycle's metrics (``--metrics`` values): one ``log_batch`` (``ops.tracking.log_batch``)
   against one ``log_metric`` per value, each a transaction on the SQLite store.

Both on a fresh local store (SQLite, artifacts on disk) in a temporary folder, the model a 40-tree
forest on a small catalogue dataset. Prints seconds per call and the ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from envirosense.models.registry import ModelRegistry
from envirosense.models.training import ModelTrainer, TrainingConfig
from envirosense.ops.logging import configure_logging
from envirosense.ops.tracking import ExperimentTracker, default_tracking_uri, log_batch
from envirosense.simulation import scenario_classes


def samples(seed: int, per_run: int) -> list[dict[str, Any]]:
    """One simulated run of every catalogue scenario class, ``per_run`` samples each."""
    rng = np.random.default_rng(seed)
    made: list[dict[str, Any]] = []
    for cls in scenario_classes():
        scenario = cls()
        result = scenario.simulate(scenario.sample_times(30.0, per_run), rng)
        run_id = f"{scenario.scenario_id}-s{seed}"
        made += result.to_unsaved_samples(run_id, scenario.scenario_id, seed)
    return made


def per_call(calls: int, call: Callable[[], object]) -> float:
    """Mean seconds of ``call`` over ``calls`` calls."""
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20, help="calls timed per variant")
    parser.add_argument("--metrics", type=int, default=30, help="metrics logged per call")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    model = ModelTrainer(TrainingConfig(n_estimators=40, random_state=0)).fit([samples(0, 40)])
    with tempfile.TemporaryDirectory(prefix="envirosense-registry-calls-") as folder:
        workspace = Path(folder)
        cached = ModelRegistry(workspace=workspace, model_name="m", cache=True)
        cached.register(model, aliases=("champion",))
        fresh = ModelRegistry(workspace=workspace, model_name="m")
        rows = {
            "resolve champion": (
                per_call(args.calls, lambda: fresh.resolve("champion")),
                per_call(args.calls, lambda: cached.resolve("champion")),
            ),
            "load champion": (
                per_call(args.calls, lambda: fresh.load("champion")),
                per_call(args.calls, lambda: cached.load("champion")),
            ),
        }
        tracker = ExperimentTracker(default_tracking_uri(workspace), artifact_location=workspace / "mlartifacts")
        run = tracker.cycle_run("bench", 1, {})
        values = {f"metric.{i}": float(i) for i in range(args.metrics)}

        def one_by_one() -> None:
            for key, value in values.items():
                tracker.client.log_metric(run, key, value, step=1)

        rows[f"log {args.metrics} metrics"] = (
            per_call(args.calls, one_by_one),
            per_call(args.calls, lambda: log_batch(tracker.client, run, metrics=values, step=1)),
        )
    print(f"## Registry and tracking calls ({args.calls} calls each; load average {os.getloadavg()[0]:.2f})")
    print(f"{'call':24s}{'before, s':>12s}{'now, s':>12s}{'ratio':>10s}")
    for name, (before, now) in rows.items():
        ratio = before / now if now > 0 else float("inf")
        print(f"{name:24s}{before:12.4f}{now:12.5f}{ratio:10.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
