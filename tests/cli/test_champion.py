"""The end of ``envirosense run``: the champion, its metrics, and commands that work as printed."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.cli.champion import champion_lines
from envirosense.learning.history import CycleSummary, RunHistory
from envirosense.learning.settings import RunSettings
from envirosense.ops.tracking import ui_command
from envirosense.schemas import ConfusionMatrix

runner = CliRunner(env={"COLUMNS": "250"})

SMALL_RUN = """
workspace = "{workspace}"
[model]
n_estimators = 16
[generation]
workers = 1
[datasets]
initial_samples = 120
evaluation_samples = 120
[active_learning]
strategy = "random"
seed = 3
[active_learning.budget]
samples_per_cycle = 60
samples_per_scenario_run = 10
probe_samples = 60
[active_learning.stopping]
max_cycles = 1
target_macro_f1 = 0.999
"""


def _cycle(index: int, f1: float, promoted: bool, counts: list[list[int]] | None = None) -> CycleSummary:
    matrix = ConfusionMatrix(labels=["normal", "arcing"], counts=counts) if counts else None
    return CycleSummary(
        cycle_index=index,
        samples_total=100 * (index + 1),
        macro_f1=f1,
        accuracy=f1 + 0.1,
        per_class_f1={},
        model_version=str(index + 1),
        promoted=promoted,
        confusion_matrix=matrix,
    )


def test_the_champion_is_the_last_promoted_model(tmp_path: Path) -> None:
    history = RunHistory(
        run_id="alm-x",
        strategy="alm",
        status="completed",
        cycles=[_cycle(0, 0.5, True), _cycle(1, 0.7, True, [[5, 1], [0, 0]]), _cycle(2, 0.6, False)],
    )
    lines = champion_lines(history, RunSettings(workspace=tmp_path / "ws"))
    assert lines[0].startswith("Champion: envirosense-hazard-classifier-alm-x/2 (cycle 1, 200 training samples)")
    assert "macro-F1 0.700, accuracy 0.800" in lines[0]
    assert "no evaluation samples of: arcing" in lines[1]
    assert f"mlflow ui --backend-store-uri sqlite:///{(tmp_path / 'ws' / 'mlflow.db').resolve()}" in lines[-1]
    empty = RunHistory(run_id="r", strategy="alm", status="running", cycles=[])
    assert champion_lines(empty, RunSettings(workspace=tmp_path)) == []


def test_the_ui_command_never_prints_a_password() -> None:
    assert ui_command("postgresql://ml:hunter2@db:5432/mlflow") == (
        "mlflow ui --backend-store-uri postgresql://ml:PASSWORD@db:5432/mlflow"
    )
    assert ui_command("http://mlflow.internal:5000") == "open http://mlflow.internal:5000 in a browser"
    import click
    from mlflow.cli import cli

    ui = cli.get_command(click.Context(cli), "ui")  # type: ignore[no-untyped-call]
    assert ui is not None and "--backend-store-uri" in {option for param in ui.params for option in param.opts}


@pytest.mark.slow
def test_a_run_ends_with_commands_that_work(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    config = tmp_path / "run.toml"
    config.write_text(SMALL_RUN.format(workspace=workspace), encoding="utf-8")
    result = runner.invoke(app, ["run", "--config", str(config), "--run-id", "random-e2e"])
    assert result.exit_code == 0, result.output
    assert "Champion: envirosense-hazard-classifier-random-e2e/" in result.stdout
    export = next(line for line in result.stdout.splitlines() if line.startswith("Export it:"))
    command = shlex.split(export.split(":", 1)[1].replace("mlserver-repo", str(tmp_path / "repo")))
    assert command[0] == "envirosense"
    exported = runner.invoke(app, command[1:])
    assert exported.exit_code == 0, exported.output
    assert list((tmp_path / "repo").glob("envirosense-hazard-classifier-random-e2e-*/model.joblib"))
    report = (workspace / "reports" / "random-e2e.html").read_text(encoding="utf-8")
    assert "<h2>Next steps" in report and "export-mlserver mlserver-repo --run random-e2e" in report

    from envirosense.models.registry import DEFAULT_EXPERIMENT, ModelRegistry

    registry = ModelRegistry.for_run("random-e2e", workspace=workspace)
    experiment = registry.client.get_experiment_by_name(DEFAULT_EXPERIMENT)
    assert experiment is not None
    runs = registry.client.search_runs([experiment.experiment_id])
    assert sorted(run.info.run_name for run in runs) == [
        "random-e2e cycle-0 random_forest",
        "random-e2e cycle-1 random_forest",
    ]
