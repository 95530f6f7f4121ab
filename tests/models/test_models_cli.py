from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.models.registry import ModelRegistry
from envirosense.models.training import TrainedModel
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
    bracketed = runner.invoke(
        app, ["evaluate", "--model", "[redacted]", "--data", str(avro_eval_dataset), "--workspace", str(workspace)]
    )
    assert "no version or alias '[redacted]'" in bracketed.output  # printed as is, not read as console markup
    measure = runner.invoke(
        app, ["evaluate", "--measure", "vibes", "--data", str(avro_eval_dataset), "--workspace", str(workspace)]
    )
    assert measure.exit_code == 1 and "--measure: Input should be" in measure.output


RUN_ID = "alm-20260101T000000000000Z"


@pytest.fixture(scope="module")
def run_workspace(tmp_path_factory: pytest.TempPathFactory, trained_model: TrainedModel) -> Path:
    """A workspace where an active-learning run registered its champion (and nothing else was trained)."""
    workspace = tmp_path_factory.mktemp("run-workspace")
    ModelRegistry(workspace=workspace, model_name=f"envirosense-hazard-classifier-{RUN_ID}").register(
        trained_model, aliases=("champion",)
    )
    return workspace


def test_run_selects_the_loops_model(run_workspace: Path, avro_eval_dataset: Path, tmp_path: Path) -> None:
    common = ["--workspace", str(run_workspace)]
    plain = runner.invoke(app, ["models", "list", *common])
    assert plain.exit_code == 0, plain.output
    assert f"models list --run {RUN_ID}" in plain.output  # where the models are

    listed = runner.invoke(app, ["models", "list", "--run", RUN_ID, "--json", *common])
    assert listed.exit_code == 0, listed.output
    [version] = json.loads(listed.stdout)
    assert version["name"] == f"envirosense-hazard-classifier-{RUN_ID}" and version["aliases"] == ["champion"]

    evaluated = runner.invoke(app, ["evaluate", "--run", RUN_ID, "--data", str(avro_eval_dataset), "--json", *common])
    assert evaluated.exit_code == 0, evaluated.output
    performance = ModelPerformanceData.model_validate(json.loads(evaluated.stdout))
    assert performance.model_version_evaluated == f"envirosense-hazard-classifier-{RUN_ID}/1"

    exported = runner.invoke(app, ["models", "export-mlserver", str(tmp_path / "repo"), "--run", RUN_ID, *common])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "repo" / f"envirosense-hazard-classifier-{RUN_ID}-1" / "model.joblib").is_file()


def test_unknown_runs_and_workspaces_are_short_errors(run_workspace: Path, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["models", "list", "--run", "alm-nope", "--workspace", str(run_workspace)])
    assert unknown.exit_code == 1
    assert "no registered model for run 'alm-nope'" in unknown.output and RUN_ID in unknown.output
    missing = tmp_path / "no-such-workspace"
    absent = runner.invoke(app, ["models", "list", "--workspace", str(missing)])
    assert absent.exit_code == 1 and "no model store in workspace" in absent.output
    assert not missing.exists()
    assert "Traceback" not in unknown.output + absent.output


def test_a_missing_class_is_named_when_macro_f1_leaves_it_out(workspace: Path, tmp_path: Path) -> None:
    """An evaluation set without arcing: macro-F1 is over the classes present, and the CLI names the missing."""
    from envirosense.generation.generator import MLDataGenerator
    from envirosense.simulation import scenario_classes

    scenarios = [cls() for cls in scenario_classes() if cls.class_label != "arcing"]
    data = tmp_path / "no-arcing"
    MLDataGenerator(workers=0).generate(scenarios, data, seed=5, samples_per_run=30, interval_seconds=30.0)
    result = runner.invoke(app, ["evaluate", "--data", str(data), "--json", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    performance = ModelPerformanceData.model_validate(json.loads(result.stdout))
    assert performance.per_class_metrics["arcing"].support == 0
    assert "macro-F1 is over the 6 classes present in the evaluation set; no evaluation samples of: arcing" in (
        result.stderr
    )
    f1 = [m.f1_score for label, m in performance.per_class_metrics.items() if label != "arcing"]
    assert performance.overall_metrics.macro_f1_score == pytest.approx(sum(f1) / len(f1))
