"""Crafting speed: the crafting step of an alm cycle, one candidate at a time against batched.

An alm cycle crafts a scenario for each weak spot it gives crafting runs: the failure-seeking search
draws a round of candidates, simulates each on a short run and scores it under the champion. This
script crafts the same fixed set of weak spots (one per scenario class below, the target readings of
an in-range scenario of that class) with a registered random-forest champion, in three modes, and
checks that every mode crafts the same scenarios:

- ``one by one``: each candidate simulated in this process and scored in its own model call, as the
  loop crafted before simulation batches (the baseline);
- ``batched here``: a round simulated as one ``InProcessBatch`` and scored in one model call;
- ``batched on pool``: the round on a warm 2-worker pool kept by an open ``MLDataGenerator`` (the run's
  executor; ``local_below=0``: every batch, however small), scored in one model call.

Then the rule-based inverse crafter (the repository's default, used by the CLI and by alm runs with
``failure_seeking = false``) on three of the targets, in this process and on the pool (its early stop is
measured against the commit before it in ``BENCHMARKS.md``, *Crafting accuracy*). Best of ``--rounds``
interleaved rounds; wall seconds for the whole set, and the CPU seconds of this process (what the
loop's own process spends: work done on the pool is not counted).

    python benchmarks/crafting_speed.py [--rounds 2] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import numpy as np

from envirosense.generation import MLDataGenerator
from envirosense.generation.batches import ExecutorBatch
from envirosense.learning.proposals import ChampionErrorScore
from envirosense.models.local import LocalModelInterface
from envirosense.models.registry import ModelRegistry
from envirosense.models.training import ModelTrainer, TrainingConfig
from envirosense.ops.logging import configure_logging
from envirosense.repository.crafting import (
    CraftRequest,
    CraftResult,
    FailureSeekingCrafter,
    ForwardModel,
    RuleBasedInverseCrafter,
    feature_targets,
)
from envirosense.repository.crafting.base import FeatureTarget, driver_parameters, params_at, search_dimensions
from envirosense.repository.crafting.batch import InProcessBatch, SimulationBatch
from envirosense.repository.sensors import parse_feature_path
from envirosense.schemas import ClassLabel, SampleFeaturesSummary
from envirosense.simulation import scenario_classes
from envirosense.simulation.registry import scenario_class
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario

SPOTS: tuple[tuple[str, str, str], ...] = (
    ("equipment_overheat", "equipment_overheat", "U26_Lepton35.hotspot_delta_c"),
    ("corona_discharge", "corona_discharge", "U27_SPU0410HR5H.band_ultrasonic_db"),
    ("cellulose_pyrolysis", "fire_precursor", "U19_TFSGS.formaldehyde_ppb"),
    ("arcing_event", "arcing", "U29_TFEMF.hf_noise_db"),
    ("distant_vegetation_smoke", "normal", "U20_SPS30.mass_concentration_pm2_5_ug_m3"),
    ("early_combustion", "early_combustion", "U20_SPS30.mass_concentration_pm2_5_ug_m3"),
)
"""(scenario class, weak spot's label, reading): one weak spot each."""


def champion(workspace: Path, seed: int) -> LocalModelInterface:
    """A random forest trained on two short runs of every catalogue class, registered as champion."""
    rng = np.random.default_rng(seed)
    samples: list[dict[str, Any]] = []
    for cls in scenario_classes():
        for run in range(2):
            scenario = cls()
            result = scenario.simulate(scenario.sample_times(30.0, 40), rng)
            run_id = f"{scenario.scenario_id}-r{run}"
            samples += result.to_unsaved_samples(run_id, scenario.scenario_id, run)
    model = ModelTrainer(TrainingConfig(n_estimators=80, random_state=seed)).fit([samples])
    registry = ModelRegistry(workspace=workspace)
    registry.register(model, aliases=("champion",))
    return LocalModelInterface(registry)


def requests(seed: int) -> list[CraftRequest]:
    """One request per spot: the mean reading of an in-range scenario of its class on 5 seeds."""
    found = []
    for index, (name, label, reading) in enumerate(SPOTS):
        field = parse_feature_path(f"sensor_readings_map.{reading}")
        assert field is not None
        cls = scenario_class(name)
        dimensions = search_dimensions(cls, driver_parameters(cls, (FeatureTarget(field, 1.0, 1.0),)))
        rng = np.random.default_rng([seed, index])
        truth = cls(params_at(cls, cls.params_model(), dimensions, rng.uniform(0.15, 0.85, len(dimensions)).tolist()))
        value = ForwardModel(seed=seed + index).evaluate(truth, [field], ClassLabel(label))[field]
        summary = SampleFeaturesSummary(
            method="SHAP",
            target_class_for_explanation=label,
            top_n_features=[{"feature_path": field.path, "importance_score": 1.0, "raw_value": value}],
        )
        found.append(CraftRequest(summary, ClassLabel(label), tuple(feature_targets(summary))))
    return found


def one_at_a_time(scorer: ChampionErrorScore) -> Callable[[BaseScenario[Any], SimulationResult], float]:
    """The baseline's score: one model call per candidate."""
    return lambda scenario, run: scorer.score_batch([scenario], [run])[0]


def timed(craft: Callable[[], list[CraftResult]]) -> tuple[float, float, list[CraftResult]]:
    """Wall and this process's CPU seconds of ``craft``, and its results."""
    wall, cpu = time.perf_counter(), time.process_time()
    results = craft()
    return time.perf_counter() - wall, time.process_time() - cpu, results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="Interleaved rounds; the best of them is reported.")
    parser.add_argument("--seed", type=int, default=7, help="Seed of every draw.")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory() as folder, MLDataGenerator(workers=2) as generator:
        interface = champion(Path(folder), args.seed)
        scorer = ChampionErrorScore(interface, "champion")
        spots = requests(args.seed)
        pool = ExecutorBatch(generator, local_below=0)
        pool.run(ForwardModel(n_steps=2, n_repeats=4).jobs(scenario_classes()[0](), [], ClassLabel.NORMAL))

        def seeking(score: Any, batch: SimulationBatch) -> Callable[[], list[CraftResult]]:
            def craft() -> list[CraftResult]:
                return [
                    FailureSeekingCrafter(score, rng=np.random.default_rng([args.seed, k]), batch=batch).craft(request)
                    for k, request in enumerate(spots)
                ]

            return craft

        def inverse(batch: SimulationBatch) -> Callable[[], list[CraftResult]]:
            def craft() -> list[CraftResult]:
                crafter = RuleBasedInverseCrafter(seed=args.seed, batch=batch)
                return [crafter.craft(request) for request in spots[:3]]

            return craft

        modes: dict[str, Callable[[], list[CraftResult]]] = {
            "failure-seeking, one by one (before)": seeking(one_at_a_time(scorer), InProcessBatch()),
            "failure-seeking, batched here": seeking(scorer, InProcessBatch()),
            "failure-seeking, batched on pool": seeking(scorer, pool),
            "inverse, here": inverse(InProcessBatch()),
            "inverse, on pool": inverse(pool),
        }
        best: dict[str, float] = {}
        cpu: dict[str, float] = {}
        crafted: dict[str, list[CraftResult]] = {}
        for _ in range(args.rounds):
            for name, craft in modes.items():
                seconds, own_cpu, crafted[name] = timed(craft)
                if seconds < best.get(name, float("inf")):
                    best[name], cpu[name] = seconds, own_cpu
    names = list(modes)
    same_seeking = all([r.params for r in crafted[n]] == [r.params for r in crafted[names[0]]] for n in names[1:3])
    same_inverse = [r.params for r in crafted[names[3]]] == [r.params for r in crafted[names[4]]]
    print(f"crafting speed: {len(spots)} weak spots (failure-seeking), 3 (inverse); best of {args.rounds} rounds")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    for name in names:
        baseline = names[0] if name.startswith("failure") else names[3]
        simulations = sum(r.report.get("simulations", r.report.get("candidates", 0)) for r in crafted[name])
        print(
            f"  {name:<38s} wall {best[name]:5.2f} s ({best[baseline] / best[name]:4.2f}x)  "
            f"own CPU {cpu[name]:5.2f} s  {simulations:4d} simulations"
        )
    print(f"same crafted scenarios: failure-seeking {same_seeking}; inverse here vs pool {same_inverse}")
    if not (same_seeking and same_inverse):
        raise SystemExit("the modes crafted different scenarios")


if __name__ == "__main__":
    main()
