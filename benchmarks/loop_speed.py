"""Loop speed: wall time per cycle of ``alm`` against ``random`` on the same budget, and where it goes.

    python benchmarks/loop_speed.py [--quick] [--cycles N] [--strategies alm,random,pool-margin]

Builds one run per strategy in one workspace, on the settings of the sample-efficiency benchmark (the same
budget for every strategy; ``--quick``: its CI-sized settings), and runs their cycles *interleaved*:
cycle 1 of every strategy, then cycle 2 of every strategy, …, so each ratio compares cycles that ran on
this machine at the same moment, under the same load.

Every call a cycle makes to the loop's collaborators is timed into named steps with
``envirosense.ops.timing.StepTimer`` (exclusive: a registry call inside training counts as bookkeeping,
not twice):

- ``probe generation``, ``generation``: the generator, for the probe and for the cycle's new data;
- ``probe evaluation``, ``candidate evaluation``: the champion's feedback on the probe; deploying and
  scoring the candidate;
- ``crafting``: the scenario repository's crafting, with the model calls that score its candidates;
- ``selection``: the model's margins when a strategy keeps the least-separated samples;
- ``training``: fitting the candidate;
- bookkeeping: ``run store`` and ``repository`` (the database: cycle records, weak spots, suggestions,
  scenario definitions), ``model registry`` (MLflow: registering, resolving and loading models, their
  files) and ``tracking`` (MLflow runs, metrics, artifacts);
- ``other``: the rest of the cycle's wall time (weak-spot identification, prioritisation, small files).

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
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from envirosense.learning.assembly import open_run
from envirosense.learning.manager import ActiveLearningManager
from envirosense.ops.logging import configure_logging
from envirosense.ops.timing import StepTimer
from sample_efficiency import settings_for

BOOKKEEPING = ("run store", "repository", "model registry", "tracking")
"""The bookkeeping steps: database (run store, scenario repository), files and MLflow (registry, tracking)."""
STEPS = (
    "probe generation",
    "probe evaluation",
    "crafting",
    "generation",
    "selection",
    "training",
    "candidate evaluation",
    *BOOKKEEPING,
    "other",
)


StepOf = Callable[[str, tuple[Any, ...], dict[str, Any]], str]
"""``step(method name, args, kwargs) -> step name`` for one call."""


def _timed(timer: StepTimer, name: str, step: StepOf, call: Callable[..., Any]) -> Callable[..., Any]:
    def timed_call(*args: Any, **kwargs: Any) -> Any:
        with timer.step(step(name, args, kwargs)):
            return call(*args, **kwargs)

    return timed_call


def _time_methods(obj: Any, timer: StepTimer, step: str | StepOf, names: tuple[str, ...] | None = None) -> None:
    """Replace the public methods of ``obj`` (all, or ``names``), on the instance, by ones timed as ``step``."""
    cls = type(obj)
    for name in names or tuple(dir(cls)):
        method = getattr(cls, name, None)
        if name.startswith("_") or not callable(method) or isinstance(method, type):
            continue
        step_of: StepOf = (lambda _n, _a, _k, fixed=step: fixed) if isinstance(step, str) else step
        setattr(obj, name, _timed(timer, name, step_of, getattr(obj, name)))


def instrument(manager: ActiveLearningManager, timer: StepTimer) -> None:
    """Time every call the manager makes to its collaborators into ``timer``'s steps."""

    def generation(_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        output_dir = kwargs["output_dir"] if "output_dir" in kwargs else args[1]
        return "probe generation" if "probe" in Path(output_dir).parts else "generation"

    def model(name: str, *, feedback: str) -> str:
        if name == "predict_proba":
            return "crafting" if timer.current == "crafting" else "selection"
        if name == "deploy":
            return "candidate evaluation"
        return feedback

    def repository(name: str, _args: tuple[Any, ...], _kwargs: dict[str, Any]) -> str:
        return "crafting" if name.startswith("craft") else "repository"

    _time_methods(manager.maker.generator, timer, generation, names=("generate",))
    _time_methods(manager.repository, timer, repository)
    _time_methods(manager.store, timer, "run store")
    for listener in manager.runner.listeners:
        tracker = getattr(listener, "tracker", None)
        if tracker is not None:
            _time_methods(tracker, timer, "tracking")
    _time_methods(manager.trainer.registry, timer, "model registry")
    _time_methods(manager.trainer, timer, "training")
    if manager.scoring_interface is not manager.model_interface:
        _time_methods(manager.scoring_interface, timer, lambda n, _a, _k: model(n, feedback="candidate evaluation"))
        _time_methods(manager.model_interface, timer, lambda n, _a, _k: model(n, feedback="probe evaluation"))
    else:
        _time_methods(manager.model_interface, timer, lambda n, _a, _k: model(n, feedback="model feedback"))


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
            runs: dict[str, tuple[ActiveLearningManager, StepTimer]] = {}
            for strategy in strategies:
                settings = settings_for(root, strategy, args.seed, args.quick)
                stopping = settings.active_learning.stopping.model_copy(update={"max_cycles": cycles})
                learning = settings.active_learning.model_copy(update={"stopping": stopping})
                started = time.perf_counter()
                manager = stack.enter_context(
                    open_run(settings.model_copy(update={"active_learning": learning}), f"{strategy}-speed")
                )
                setup[strategy] = time.perf_counter() - started
                runs[strategy] = (manager, StepTimer())
                instrument(manager, runs[strategy][1])
                started = time.perf_counter()
                manager.run(max_cycles=0)  # cycle 0: the initial model, the same for every strategy
                initial[strategy] = time.perf_counter() - started
            for cycle in range(1, cycles + 1):
                for strategy, (manager, timer) in runs.items():
                    timer.reset()
                    started = time.perf_counter()
                    manager.run(max_cycles=cycle)
                    seconds = time.perf_counter() - started
                    wall[strategy].append(seconds)
                    for step, spent in timer.profile().items():
                        profiles[strategy][step] = profiles[strategy].get(step, 0.0) + spent
                    profiles[strategy]["other"] += seconds - timer.total
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)

    print(f"## Loop speed ({'quick' if args.quick else 'full'} settings, seed {args.seed}, {cycles} cycles)")
    print(f"load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    header = f"{'step (s per cycle)':22s}" + "".join(f"{s:>13s}" for s in strategies)
    print(header)
    for step in STEPS:
        if any(profiles[s].get(step, 0.0) > 0 for s in strategies):
            print(f"{step:22s}" + "".join(f"{profiles[s].get(step, 0.0) / cycles:13.2f}" for s in strategies))
    per_cycle = {s: sum(wall[s]) / cycles for s in strategies}
    print(f"{'wall per cycle':22s}" + "".join(f"{per_cycle[s]:13.2f}" for s in strategies))
    shares = {s: sum(profiles[s][step] for step in BOOKKEEPING) / sum(wall[s]) for s in strategies}
    print(f"{'bookkeeping share':22s}" + "".join(f"{shares[s]:13.1%}" for s in strategies))
    print(f"{'set-up (shared data)':22s}" + "".join(f"{setup[s]:13.2f}" for s in strategies))
    print(f"{'cycle 0 (initial)':22s}" + "".join(f"{initial[s]:13.2f}" for s in strategies))
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
