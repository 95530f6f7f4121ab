"""Shared data, a trained and registered model, and a real MLServer serving it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"

import numpy as np
import pytest

from envirosense.models.registry import ModelRegistry, ModelVersionInfo
from envirosense.models.serving import MLServerProcess, export_for_mlserver
from envirosense.models.training import ModelTrainer, TrainedModel, TrainingConfig
from envirosense.simulation import scenario_classes
from tests.models.mlserver_venv import mlserver_executable

REPO = Path(__file__).resolve().parents[2]
SampleFactory = Callable[..., list[dict[str, Any]]]


def catalogue_samples(seed: int, runs: int, per_run: int, interval_s: float = 30.0) -> list[dict[str, Any]]:
    """``runs`` simulations of every scenario class of the catalogue, ``per_run`` samples each."""
    rng = np.random.default_rng(seed)
    samples: list[dict[str, Any]] = []
    for cls in scenario_classes():
        for run in range(runs):
            scenario = cls()
            result = scenario.simulate(scenario.sample_times(interval_s, per_run), rng)
            run_id = f"{scenario.scenario_id}-s{seed}r{run}"
            samples += result.to_unsaved_samples(run_id, scenario.scenario_id, seed * 1000 + run)
    return samples


@pytest.fixture(scope="session")
def make_samples() -> SampleFactory:
    return catalogue_samples


@pytest.fixture(scope="session")
def train_samples() -> list[dict[str, Any]]:
    return catalogue_samples(seed=1, runs=2, per_run=40)


@pytest.fixture(scope="session")
def eval_samples() -> list[dict[str, Any]]:
    return catalogue_samples(seed=2, runs=1, per_run=30)


@pytest.fixture(scope="session")
def trained_model(train_samples: list[dict[str, Any]]) -> TrainedModel:
    return ModelTrainer(TrainingConfig(n_estimators=40, random_state=3)).fit([train_samples])


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, trained_model: TrainedModel) -> ModelRegistry:
    """A registry holding the trained model as version 1, alias champion."""
    registry = ModelRegistry(workspace=tmp_path_factory.mktemp("model-workspace"))
    registry.register(trained_model, aliases=("champion",))
    return registry


@pytest.fixture(scope="session")
def champion(registry: ModelRegistry) -> ModelVersionInfo:
    return registry.resolve("champion")


@pytest.fixture(scope="session")
def mlserver(
    tmp_path_factory: pytest.TempPathFactory, registry: ModelRegistry, champion: ModelVersionInfo
) -> Iterator[tuple[MLServerProcess, Path]]:
    """A real MLServer serving the champion; yields the process and the exported model folder."""
    repository = tmp_path_factory.mktemp("mlserver-repository")
    folder = export_for_mlserver(registry, "champion", repository)
    with MLServerProcess(mlserver_executable(), repository) as server:
        server.wait_model_ready(registry.model_name, str(champion.version))
        yield server, folder


def generate_dataset(directory: Path, seed: int, samples_per_run: int, runs_per_scenario: int = 1) -> Path:
    """An Avro dataset folder of every catalogue scenario, written by the real generator."""
    from envirosense.generation.generator import MLDataGenerator

    scenarios = [cls() for cls in scenario_classes()]
    MLDataGenerator(workers=0).generate(
        scenarios,
        directory,
        seed=seed,
        samples_per_run=samples_per_run,
        runs_per_scenario=runs_per_scenario,
        interval_seconds=30.0,
    )
    return directory


@pytest.fixture(scope="session")
def dataset_factory() -> Callable[..., Path]:
    return generate_dataset


@pytest.fixture(scope="session")
def avro_eval_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_dataset(tmp_path_factory.mktemp("avro") / "eval-set", seed=7, samples_per_run=30)
