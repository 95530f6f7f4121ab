"""Model interfaces: the full evaluation against its irreducible work, and a model server against local.

    python benchmarks/model_interface.py [--quick]

1. ``LocalModelInterface.get_model_performance_feedback`` on N = 100,000 samples streamed from an Avro
   dataset, divided by the baseline measured in the same run: reading the same files, extracting features
   and calling ``predict_proba`` alone (goal ≤ 1.5). The baseline prefetches the next batch in a thread,
   as the interface does, so the ratio is the cost of everything the evaluation adds; the plain sequential
   loop is printed too.
2. ``ApiBasedModelInterface`` through a real MLServer (Open Inference Protocol V2, sklearn runtime, in its
   own virtualenv) serving the same model: throughput relative to the local interface, per request batch
   size (goal ≥ 0.5).

The dataset (every catalogue scenario, many runs) and the MLServer venv are cached under ``.cache/``
(the dataset is regenerated when the scenario catalogue has changed).
The model is a default random forest (100 trees) trained on a separate, smaller dataset. Each timing is the
best of ``--repeats`` runs. ``--quick``: 10,000 samples, 1 repeat, two batch sizes.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from envirosense.generation import MLDataGenerator
from envirosense.generation.errors import DatasetConflictError
from envirosense.generation.reader import iter_samples
from envirosense.models.api import ApiBasedModelInterface
from envirosense.models.evaluation import EvaluationConfig
from envirosense.models.features import FeatureExtractor
from envirosense.models.local import LocalModelInterface
from envirosense.models.registry import ModelRegistry
from envirosense.models.serving import SERVING_SPEC_FILE, MLServerProcess, export_for_mlserver
from envirosense.models.training import ModelTrainer, TrainingConfig
from envirosense.ops.logging import configure_logging
from envirosense.simulation import scenario_classes

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "benchmarks"
SAMPLES_PER_RUN = 60


def dataset(name: str, samples: int, seed: int) -> Path:
    """A cached Avro dataset of about ``samples`` samples over every catalogue scenario."""
    scenarios = [cls() for cls in scenario_classes()]
    runs = math.ceil(samples / (len(scenarios) * SAMPLES_PER_RUN))
    folder = CACHE / f"{name}-{len(scenarios)}x{runs}x{SAMPLES_PER_RUN}-seed{seed}"

    def generate() -> None:
        MLDataGenerator(workers=2).generate(
            scenarios,
            folder,
            seed=seed,
            samples_per_run=SAMPLES_PER_RUN,
            runs_per_scenario=runs,
            interval_seconds=30.0,
        )

    try:
        generate()
    except DatasetConflictError:
        shutil.rmtree(folder)
        generate()
    return folder


def mlserver_executable() -> Path:
    script = REPO / "scripts" / "setup_mlserver_venv.sh"
    completed = subprocess.run(["bash", str(script)], check=True, capture_output=True, text=True)
    return Path(completed.stdout.strip().splitlines()[-1])


def best_of(repeats: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 samples, 1 repeat, two batch sizes.")
    parser.add_argument("--repeats", type=int, default=None, help="Timed runs per figure (best is kept).")
    parser.add_argument("--concurrency", type=int, default=2, help="Requests in flight for the API interface.")
    args = parser.parse_args()
    configure_logging("WARNING")
    n_samples = 10_000 if args.quick else 100_000
    repeats = args.repeats or (1 if args.quick else 3)
    batch_sizes = [512, 4096] if args.quick else [256, 1024, 4096]

    evaluation = dataset("model-eval", n_samples, seed=101)
    training = dataset("model-train", 20_000 if not args.quick else 5_000, seed=202)
    count = sum(1 for _ in iter_samples(evaluation, validate=False))
    print(f"evaluation set: {count:,} samples ({evaluation.name}); load average {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory() as scratch:
        registry = ModelRegistry(workspace=Path(scratch) / "ws")
        model = ModelTrainer(TrainingConfig(n_jobs=2)).fit([training])
        info = registry.register(model, aliases=("champion",))
        loaded = registry.load("champion")
        extractor = FeatureExtractor.from_params(loaded.extractor_params)
        config = EvaluationConfig()

        def baseline(prefetch: bool) -> None:
            samples = iter_samples(evaluation, validate=False)
            for batch in extractor.iter_batches(samples, config.batch_size, prefetch=prefetch):
                loaded.estimator.predict_proba(extractor.model_input(batch.values))

        def read_only() -> None:
            for _ in iter_samples(evaluation, validate=False):
                pass

        local = LocalModelInterface(registry, config)
        local.load("champion")
        t_read = best_of(repeats, read_only)
        t_sequential = best_of(repeats, lambda: baseline(prefetch=False))
        t_base = best_of(repeats, lambda: baseline(prefetch=True))
        t_local = best_of(repeats, lambda: local.get_model_performance_feedback(evaluation, "champion"))
        print(f"model: {info.tag}, {len(loaded.estimator.estimators_)} trees, {extractor.n_features} features")
        print(f"read Avro only:                             {t_read:7.2f} s")
        rate = count / t_sequential
        print(f"read + features + predict_proba, in turn:   {t_sequential:7.2f} s  {rate:10,.0f} samples/s")
        print(f"baseline: the same, next batch prefetched:  {t_base:7.2f} s  {count / t_base:10,.0f} samples/s")
        print(f"LocalModelInterface (full feedback):        {t_local:7.2f} s  {count / t_local:10,.0f} samples/s")
        print(f"local / baseline time ratio: {t_local / t_base:.2f}  (goal <= 1.5)")

        repository = Path(scratch) / "mlserver"
        repository.mkdir()
        folder = export_for_mlserver(registry, "champion", repository)
        with MLServerProcess(mlserver_executable(), repository) as server:
            server.wait_model_ready(registry.model_name, str(info.version))
            print(f"MLServer at {server.base_url}, concurrency {args.concurrency}")
            for batch_size in batch_sizes:
                with ApiBasedModelInterface.from_serving_spec(
                    folder / SERVING_SPEC_FILE,
                    server.base_url,
                    config,
                    batch_size=batch_size,
                    max_concurrency=args.concurrency,
                    read_timeout_s=120,
                ) as api:
                    t_api = best_of(repeats, lambda api=api: api.get_model_performance_feedback(evaluation, "1"))  # type: ignore[misc]
                print(
                    f"  batch {batch_size:5d}: {t_api:7.2f} s  {count / t_api:10,.0f} samples/s  "
                    f"throughput vs local {t_local / t_api:.2f}  (goal >= 0.5)"
                )


if __name__ == "__main__":
    main()
