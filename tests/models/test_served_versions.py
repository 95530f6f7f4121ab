"""Version tags through a model server that holds two versions: the champion (1) is not the server's default
(the newest, 2), so only resolving through the registry evaluates the right one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.models.api import ApiBasedModelInterface
from envirosense.models.local import LocalModelInterface
from envirosense.models.registry import ModelRegistry
from envirosense.models.serving import SERVING_SPEC_FILE, MLServerProcess, export_for_mlserver
from envirosense.models.training import ModelTrainer, TrainedModel, TrainingConfig
from envirosense.schemas import ModelPerformanceData
from tests.models.mlserver_venv import mlserver_executable

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def two_versions(
    tmp_path_factory: pytest.TempPathFactory, trained_model: TrainedModel, train_samples: list[dict[str, Any]]
) -> Iterator[tuple[ModelRegistry, MLServerProcess, Path]]:
    """Registry version 1 (champion) and 2 (newer, a different forest), both served by one MLServer."""
    workspace = tmp_path_factory.mktemp("two-versions")
    registry = ModelRegistry(workspace=workspace)
    registry.register(trained_model, aliases=("champion",))
    registry.register(ModelTrainer(TrainingConfig(n_estimators=5, min_samples_leaf=40)).fit([train_samples]))
    repository = workspace / "mlserver-repo"
    for version in ("1", "2"):
        export_for_mlserver(registry, version, repository)
    with MLServerProcess(mlserver_executable(), repository) as server:
        for version in ("1", "2"):
            server.wait_model_ready(registry.model_name, version)
        yield registry, server, repository


def spec(repository: Path, version: int) -> Path:
    return repository / f"envirosense-hazard-classifier-{version}" / SERVING_SPEC_FILE


def test_tags_resolve_through_the_registry_as_locally(
    two_versions: tuple[ModelRegistry, MLServerProcess, Path], eval_samples: list[dict[str, Any]]
) -> None:
    registry, server, repository = two_versions
    samples = eval_samples[:60]
    local = LocalModelInterface(registry)
    with ApiBasedModelInterface.from_serving_spec(spec(repository, 1), server.base_url, registry=registry) as api:
        for tag in (None, "champion", "1", "v1"):
            remote = api.get_model_performance_feedback(samples, tag)
            assert remote.model_version_evaluated.endswith("/1"), tag
            expected = local.get_model_performance_feedback(samples, tag).overall_metrics
            assert remote.overall_metrics.accuracy == expected.accuracy
        assert api.get_model_performance_feedback(samples, "2").model_version_evaluated.endswith("/2")
    with ApiBasedModelInterface.from_serving_spec(spec(repository, 1), server.base_url) as unresolved:
        default = unresolved.get_model_performance_feedback(samples, None).model_version_evaluated
    assert default.endswith("/2")  # what None meant before: the server's default, not the champion


def test_cli_evaluates_the_champion_through_the_server(
    two_versions: tuple[ModelRegistry, MLServerProcess, Path], avro_eval_dataset: Path
) -> None:
    registry, server, repository = two_versions
    common = ["--data", str(avro_eval_dataset), "--server-url", server.base_url, "--top-k", "2", "--json"]
    common += ["--serving-spec", str(spec(repository, 1)), "--workspace", str(registry.workspace)]
    for model in ([], ["--model", "champion"], ["--model", "v1"]):
        result = runner.invoke(app, ["evaluate", *common, *model])
        assert result.exit_code == 0, result.output
        performance = ModelPerformanceData.model_validate(json.loads(result.stdout))
        assert performance.model_version_evaluated == "envirosense-hazard-classifier/1", model
    unknown = runner.invoke(app, ["evaluate", *common, "--model", "staging"])
    assert unknown.exit_code == 1 and "no version or alias 'staging'" in unknown.output
    epistemic = runner.invoke(app, ["evaluate", *common, "--measure", "epistemic"])
    assert epistemic.exit_code == 1 and "needs ensemble members" in epistemic.output
    assert "Traceback" not in unknown.output + epistemic.output


def test_a_broken_serving_spec_is_a_short_error(tmp_path: Path, avro_eval_dataset: Path) -> None:
    spec_path = tmp_path / "envirosense-serving.json"
    for content, problem in (("{not json", "Invalid JSON"), ('{"model_name": "m"}', "class_labels: Field required")):
        spec_path.write_text(content)
        args = ["evaluate", "--data", str(avro_eval_dataset), "--server-url", "http://127.0.0.1:1"]
        result = runner.invoke(app, [*args, "--serving-spec", str(spec_path), "--workspace", str(tmp_path)])
        assert result.exit_code == 1 and "not a valid envirosense-serving.json" in result.output, result.output
        assert problem in result.output and "Traceback" not in result.output
