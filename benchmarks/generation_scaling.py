"""Parallel generation: 2 local worker processes against 1, and a 2-worker Dask LocalCluster against the pool.

    python benchmarks/generation_scaling.py [--quick]

Generates the same request (every catalogue scenario, several runs each, batched units of a few
hundred samples) with ``MLDataGenerator`` on a local process pool of 1 and of 2 workers, and on a Dask
``LocalCluster`` of 2 single-threaded worker processes reached through its scheduler address. Each
configuration first generates a small warm-up dataset (so process start-up and imports are not timed),
then the timed datasets, alternating configurations; wall time per run is the best of the repetitions.
On a shared machine other programs take CPU too, so the CPU time of the whole process tree (workers,
pool, Dask nannies and scheduler, the calling process) is shown as well: the cores the run actually got,
and the CPU cost per sample, whose ratio between configurations is the parallel overhead.
Prints samples/s, the speed-up of 2 workers over 1 (goal ≥ 1.8 on an idle machine: compare the load
average printed beside it), the CPU per sample of 2 workers over 1 (goal ≤ 1.05, which a loaded machine
cannot hide), Dask over the pool (goal ≥ 0.9), and checks that all three give the same dataset id.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from envirosense.generation import MLDataGenerator
from envirosense.ops.logging import configure_logging
from envirosense.simulation import BaseScenario, scenario_classes


class TreeCpu:
    """CPU seconds used by this process and all its descendants while the block runs, sampled every
    0.1 s with psutil (a process that ends between samples loses at most its last 0.1 s)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._seen: dict[int, float] = {}
        self._start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _sample(self, *, initial: bool = False) -> None:
        me = psutil.Process()
        for process in [me, *me.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            used = times.user + times.system
            self._start.setdefault(process.pid, used if initial else 0.0)
            self._seen[process.pid] = used

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            self._sample()

    def __enter__(self) -> TreeCpu:
        self._sample(initial=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.seconds = sum(used - self._start.get(pid, 0.0) for pid, used in self._seen.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A smaller request and fewer repetitions.")
    args = parser.parse_args()
    configure_logging("WARNING")
    import dask
    from distributed import LocalCluster

    runs, samples_per_run, repeats = (2, 200, 1) if args.quick else (4, 500, 3)
    scenarios: list[BaseScenario[Any]] = [cls() for cls in scenario_classes()]
    total = len(scenarios) * runs * samples_per_run
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory() as scratch, dask.config.set({"temporary-directory": scratch}):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            local_directory=str(Path(scratch) / "dask"),
        )
        try:
            configs: dict[str, Callable[[], MLDataGenerator]] = {
                "pool, 1 worker": lambda: MLDataGenerator(workers=1),
                "pool, 2 workers": lambda: MLDataGenerator(workers=2),
                "dask, 2 workers": lambda: MLDataGenerator(dask_scheduler=cluster.scheduler_address),
            }
            for name, make in configs.items():
                make().generate(scenarios[:4], Path(scratch) / f"warm-{name}", seed=1, samples_per_run=20)
            best: dict[str, float] = dict.fromkeys(configs, float("inf"))
            tree_cpu: dict[str, float] = dict.fromkeys(configs, float("inf"))
            dataset_ids: dict[str, str] = {}
            for repetition in range(repeats):
                for name, make in configs.items():
                    output = Path(scratch) / f"{name}-{repetition}"
                    started = time.perf_counter()
                    with TreeCpu() as cpu:
                        report = make().generate(
                            scenarios,
                            output,
                            seed=7,
                            samples_per_run=samples_per_run,
                            interval_seconds=2.0,
                            runs_per_scenario=runs,
                        )
                    wall = time.perf_counter() - started
                    if wall < best[name]:
                        best[name], tree_cpu[name] = wall, cpu.seconds
                    dataset_ids[name] = report.dataset_id
        finally:
            cluster.close()

    print(
        f"## Generation scaling ({len(scenarios)} scenarios × {runs} runs × {samples_per_run} samples = "
        f"{total:,} samples; best of {repeats})"
    )
    print(f"load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, seconds in best.items():
        print(
            f"{name:16s}: {seconds:6.2f} s wall {total / seconds:7,.0f} samples/s | CPU of the process tree "
            f"{tree_cpu[name]:6.2f} s = {tree_cpu[name] / seconds:4.2f} cores, "
            f"{1e6 * tree_cpu[name] / total:5.1f} ms per 1000 samples"
        )
    one, two, on_dask = (best[name] for name in configs)
    print(f"speed-up 2 workers / 1 (goal >= 1.8)         : {one / two:.2f}")
    print(f"dask / pool, 2 workers each (goal >= 0.9)    : {two / on_dask:.2f}")
    cpu_one, cpu_two, cpu_dask = (tree_cpu[name] for name in configs)
    print(f"CPU per sample, pool 2 workers / 1 (goal <= 1.05): {cpu_two / cpu_one:.2f} (1.00: no parallel overhead)")
    print(f"CPU per sample, dask / pool (2 workers each) : {cpu_dask / cpu_two:.2f}")
    print(f"same dataset id everywhere                  : {len(set(dataset_ids.values())) == 1}")


if __name__ == "__main__":
    main()
