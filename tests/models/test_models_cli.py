from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.schemas import ModelPerformanceData

runner = CliRunner(env={"COLUMNS": "250"})
DatasetFactory = Callable[..., Path]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-workspace")


@pytest.fixture(scope="module")
def train_dataset(tmp_path_factory: pytest.TempPathFactory, dataset_factory: DatasetFactory) -> Path:
    return dataset_factory(
        tmp_path_factory.mktemp("cli-data") / "train-set", seed=11, samples_per_run=30, runs_per_scenario=2
    )


def test_train_list_promote_evaluate(
    workspace: Path, train_dataset: Path, avro_eval_dataset: Path, tmp_path: Path
) -> None:
    common = ["--workspace", str(workspace)]
    trained = runner.invoke(
        app, ["train", "--data", str(train_dataset), "--alias", "candidate", "--n-estimators", "20", *common]
    )
    assert trained.exit_code == 0, trained.output
    assert "Registered envirosense-hazard-classifier/1 (candidate)" in trained.output
    assert "validation_accuracy" in trained.output and "train-set@" in trained.output

    listed = runner.invoke(app, ["models", "list", *common])
    assert listed.exit_code == 0, listed.output
    assert "candidate" in listed.output and "random_forest" in listed.output

    promoted = runner.invoke(app, ["models", "promote", "1", *common])
    assert promoted.exit_code == 0 and "champion -> 1" in promoted.output

    output = tmp_path / "feedback.json"
    evaluated = runner.invoke(
        app,
        [
            "evaluate",
            "--model",
            "champion",
            "--data",
            str(avro_eval_dataset),
            "--output",
            str(output),
            "--top-k",
            "5",
            *common,
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert "envirosense-hazard-classifier/1 on eval-set@" in evaluated.output
    assert "U20_SPS30" in evaluated.output and "normal" in evaluated.output
    performance = ModelPerformanceData.model_validate_json(output.read_text())
    assert len(performance.uncertain_samples) == 5

    to_stdout = runner.invoke(app, ["evaluate", "--data", str(avro_eval_dataset), "--top-k", "2", *common])
    assert to_stdout.exit_code == 0, to_stdout.output
    payload = to_stdout.stdout[to_stdout.stdout.index("\n{") + 1 :]
    assert ModelPerformanceData.model_validate(json.loads(payload)).overall_metrics == performance.overall_metrics


def test_cli_errors_are_clean(workspace: Path, avro_eval_dataset: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["train", "--data", str(tmp_path / "nope"), "--workspace", str(workspace)])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    bad = runner.invoke(
        app, ["train", "--data", str(avro_eval_dataset), "--n-estimators", "1", "--workspace", str(workspace)]
    )
    assert bad.exit_code == 1 and "--n-estimators" in bad.output
    unknown = runner.invoke(
        app, ["evaluate", "--model", "staging", "--data", str(avro_eval_dataset), "--workspace", str(workspace)]
    )
    assert unknown.exit_code == 1 and "no version or alias 'staging'" in unknown.output
    measure = runner.invoke(
        app, ["evaluate", "--measure", "vibes", "--data", str(avro_eval_dataset), "--workspace", str(workspace)]
    )
    assert measure.exit_code == 1 and "--measure: Input should be" in measure.output
