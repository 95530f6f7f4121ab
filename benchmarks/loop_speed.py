"""Loop speed: wall time per cycle of ``alm`` against ``random`` on the same budget, and where it goes.

    python benchmarks/loop_speed.py [--quick] [--cycles N] [--strategies alm,random,pool-margin]

Builds one run per strategy in one workspace, on the settings of the sample-efficiency benchmark (the same
budget for every strategy; ``--quick``: its CI-sized settings), and runs their cycles *interleaved*:
cycle 1 of every strategy, then cycle 2 of every strategy, …, so each ratio compares cycles that ran on
this machine at the same moment, under the same load.

The figures are the loop's own time profile: every cycle's summary holds the seconds of each of its steps
(``envirosense.ops.timing.CYCLE_STEPS``, exclusive: a registry call inside training counts as
bookkeeping, not twice), the same figures ``envirosense runs show RUN_ID`` prints:

- ``probe_generation``, ``probe_evaluation``: the probe simulated; the champion's feedback on it;
- ``weak_spot_identification``, ``prioritisation``: weak spots from the feedback; ranking them and
  planning the cycle's suggestions;
- ``crafting``: the scenario repository's failure-seeking crafting, with the model calls scoring it;
- ``targeted_generation``: simulating the cycle's new data (the baselines: their random or pool draws);
- ``selection``: the model's margins when a strategy keeps the least-separated samples;
- ``training``, ``candidate_evaluation``: fitting the candidate; deploying and scoring it;
- bookkeeping: ``bookkeeping.database`` (run store, scenario records), ``bookkeeping.models`` (the model
  registry: versions, aliases, model files) and ``bookkeeping.tracking`` (MLflow runs, metrics, artifacts);
- ``other``: the cycle's wall time outside every step; ``outside cycles``: the loop's time around the
  cycle (stopping rules, run status), measured here.

Prints, per strategy, the mean seconds per cycle and its profile, then the ratios the targets are about:
alm's wall per cycle over random's (target ≤ 1.3) and the bookkeeping share of a cycle (target ≤ 5 %),
and an upper-bound projection of the 10-seed × 3-strategy sample-efficiency benchmark from these runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from envirosense.learning.assembly import open_run
from envirosense.learning.manager import ActiveLearningManager
from envirosense.ops.logging import configure_logging
from envirosense.ops.timing import BOOKKEEPING, CYCLE_STEPS
from sample_efficiency import settings_for

OUTSIDE = "outside cycles"
STEPS = (*CYCLE_STEPS, OUTSIDE)
"""The rows of the table: the cycle's own profile, then the loop's time around the cycle."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI-sized settings, one cycle")
    parser.add_argument("--cycles", type=int, default=None, help="cycles per strategy (default 1 quick, 3 full)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategies", default="alm,random,pool-margin")
    parser.add_argument("--keep", type=Path, default=None, help="keep the workspace here instead of a temp dir")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    strategies = args.strategies.split(",")
    cycles = args.cycles or (1 if args.quick else 3)
    root = args.keep or Path(tempfile.mkdtemp(prefix="envirosense-loop-speed-"))
    load_before = os.getloadavg()[0]
    wall: dict[str, list[float]] = {strategy: [] for strategy in strategies}
    profiles: dict[str, dict[str, float]] = {strategy: dict.fromkeys(STEPS, 0.0) for strategy in strategies}
    setup: dict[str, float] = {}
    initial: dict[str, float] = {}
    try:
        with ExitStack() as stack:
            runs: dict[str, ActiveLearningManager] = {}
            for strategy in strategies:
                settings = settings_for(root, strategy, args.seed, args.quick)
                stopping = settings.active_learning.stopping.model_copy(update={"max_cycles": cycles})
                learning = settings.active_learning.model_copy(update={"stopping": stopping})
                started = time.perf_counter()
                runs[strategy] = stack.enter_context(
                    open_run(settings.model_copy(update={"active_learning": learning}), f"{strategy}-speed")
                )
                setup[strategy] = time.perf_counter() - started
                started = time.perf_counter()
                runs[strategy].run(max_cycles=0)  # cycle 0: the initial model, the same for every strategy
                initial[strategy] = time.perf_counter() - started
            for cycle in range(1, cycles + 1):
                for strategy, manager in runs.items():
                    started = time.perf_counter()
                    history = manager.run(max_cycles=cycle)
                    seconds = time.perf_counter() - started
                    wall[strategy].append(seconds)
                    profile = history.cycles[cycle].step_seconds
                    for step, spent in profile.items():
                        profiles[strategy][step] = profiles[strategy].get(step, 0.0) + spent
                    profiles[strategy][OUTSIDE] += seconds - sum(profile.values())
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)

    print(f"## Loop speed ({'quick' if args.quick else 'full'} settings, seed {args.seed}, {cycles} cycles)")
    print(f"load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    header = f"{'step (s per cycle)':26s}" + "".join(f"{s:>13s}" for s in strategies)
    print(header)
    for step in STEPS:
        if any(profiles[s].get(step, 0.0) > 0 for s in strategies):
            print(f"{step:26s}" + "".join(f"{profiles[s].get(step, 0.0) / cycles:13.2f}" for s in strategies))
    per_cycle = {s: sum(wall[s]) / cycles for s in strategies}
    print(f"{'wall per cycle':26s}" + "".join(f"{per_cycle[s]:13.2f}" for s in strategies))
    shares = {s: sum(profiles[s][step] for step in BOOKKEEPING) / sum(wall[s]) for s in strategies}
    print(f"{'bookkeeping share':26s}" + "".join(f"{shares[s]:13.1%}" for s in strategies))
    print(f"{'set-up (shared data)':26s}" + "".join(f"{setup[s]:13.2f}" for s in strategies))
    print(f"{'cycle 0 (initial)':26s}" + "".join(f"{initial[s]:13.2f}" for s in strategies))
    if "alm" in per_cycle and "random" in per_cycle:
        print(f"alm / random wall per cycle (target <= 1.3): {per_cycle['alm'] / per_cycle['random']:.2f}")
    print(f"largest bookkeeping share (target <= 5 %)  : {max(shares.values()):.1%}")
    if args.json is not None:
        figures = {"cycles": cycles, "wall": wall, "profiles": profiles, "setup": setup, "initial": initial}
        args.json.write_text(json.dumps(figures, indent=2))
    if not args.quick and set(strategies) >= {"alm", "random", "pool-margin"}:
        # The benchmark runs 5 cycles per strategy and seed; its set-up (one initial set per seed and the
        # shared evaluation sets) is bounded by the first strategy's set-up here, which generated both.
        per_seed = sum(initial[s] + 5 * per_cycle[s] for s in strategies) + max(setup.values())
        print(f"projected 10-seed x 3-strategy sample-efficiency benchmark: <= {10 * per_seed / 60:.0f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
