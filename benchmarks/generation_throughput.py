"""Generation throughput on one core, Avro write included, against fastavro writing the same records alone.

    python benchmarks/generation_throughput.py [--quick] [--profile]

Prints samples/s for the whole work unit (simulate, build the sample dicts, encode and hash once, frame
the Avro container, write atomically with fsync), samples/s for ``fastavro.writer`` writing the same
records to files with the same codec, their ratio (goal ≥ 0.5), and where a unit's time goes. Times are
CPU seconds of this process (``time.process_time``), so other programs on a shared machine disturb them
less than wall time; the two measurements alternate, and each figure is the best of several
repetitions. ``--profile`` adds the functions of the simulation that take the most time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro
import numpy as np

from envirosense.generation.units import WorkUnit, build_samples, normalized_definition, run_unit
from envirosense.generation.writer import encode_samples, package_bytes, write_atomic
from envirosense.ops.logging import configure_logging
from envirosense.schemas.avro import parsed_schema
from envirosense.simulation import scenario_classes
from envirosense.simulation.registry import scenario_from_definition


def _units(samples_per_unit: int, runs: int) -> list[WorkUnit]:
    units = []
    for cls in scenario_classes():
        definition, scenario = normalized_definition(cls().to_definition())
        for run_index in range(runs):
            units.append(
                WorkUnit.create(
                    2026,
                    definition=definition,
                    scenario_module=type(scenario).__module__,
                    mode="training",
                    run_index=run_index,
                    timesteps=samples_per_unit,
                    interval_seconds=2.0,
                )
            )
    return units


def _cpu_seconds(action: Callable[[], Any]) -> float:
    started = time.process_time()
    action()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Fewer samples and repetitions (a smoke run).")
    parser.add_argument("--profile", action="store_true", help="Also profile the simulation with cProfile.")
    args = parser.parse_args()
    configure_logging("WARNING")
    samples_per_unit, runs, repeats = (200, 1, 2) if args.quick else (1000, 2, 5)
    units = _units(samples_per_unit, runs)
    total = sum(unit.timesteps for unit in units)
    run_unit(_units(20, 1)[0])  # imports and caches

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)

        def generate() -> None:
            for unit in units:
                output = run_unit(unit)
                assert output.file_name is not None and output.data is not None
                write_atomic(directory / output.file_name, output.data)

        generate()
        batches = []
        for file in sorted(directory.glob("*.avro")):
            with file.open("rb") as handle:
                batches.append(list(fastavro.reader(handle)))
        schema = parsed_schema("MLDataSample")
        baseline_dir = directory / "fastavro"
        baseline_dir.mkdir()

        def fastavro_alone() -> None:
            for index, batch in enumerate(batches):
                with (baseline_dir / f"{index}.avro").open("wb") as handle:
                    fastavro.writer(handle, schema, batch, codec="deflate")

        generation_runs, baseline_runs = [], []
        for _ in range(repeats):
            generation_runs.append(_cpu_seconds(generate))
            baseline_runs.append(_cpu_seconds(fastavro_alone))
        generation, baseline = min(generation_runs), min(baseline_runs)

    phases: dict[str, list[float]] = {"simulate": [], "sample dicts": [], "encode + hash": [], "container": []}
    prepared = [(unit, scenario_from_definition(unit.definition), run_unit(unit).package) for unit in units]
    for _ in range(repeats):
        spent = dict.fromkeys(phases, 0.0)
        for unit, scenario, package in prepared:
            times = scenario.sample_times(unit.interval_seconds, unit.timesteps)
            clock = time.process_time()
            scenario.simulate(times, np.random.default_rng(unit.seed))
            spent["simulate"] += time.process_time() - clock
            clock = time.process_time()
            _, samples, _ = build_samples(unit)
            spent["sample dicts"] += time.process_time() - clock
            clock = time.process_time()
            encoded = encode_samples(samples)
            spent["encode + hash"] += time.process_time() - clock
            clock = time.process_time()
            package_bytes(package, encoded)
            spent["container"] += time.process_time() - clock
        spent["sample dicts"] -= spent["simulate"]
        for name, seconds in spent.items():
            phases[name].append(seconds)
    best_phases = {name: min(values) for name, values in phases.items()}

    print(f"## Generation throughput (one core; {len(units)} units × {samples_per_unit} samples, best of {repeats})")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"generation incl. Avro write : {total / generation:10,.0f} samples/s (CPU time)")
    print(f"fastavro.writer alone       : {total / baseline:10,.0f} samples/s (CPU time)")
    print(f"ratio (goal >= 0.5)         : {baseline / generation:10.2f}")
    print("CPU time per 1000 samples, by phase (sample dicts = build_samples minus simulate):")
    whole = sum(best_phases.values())
    for name, seconds in best_phases.items():
        print(f"  {name:14s} {1000 * seconds / total * 1000:8.1f} ms  {seconds / whole:6.1%}")
    print(f"  fastavro.writer alone, same records: {1000 * baseline / total * 1000:8.1f} ms")

    if args.profile:
        profiler = cProfile.Profile()
        profiled = [unit for unit in units if unit.run_index == 0]
        profiler.enable()
        for unit in profiled:
            build_samples(unit)
        profiler.disable()
        print(f"profile of build_samples (simulate + sample dicts) over {len(profiled)} units, by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(14)


if __name__ == "__main__":
    main()
