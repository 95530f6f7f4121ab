"""``envirosense run`` protects stored runs: no new run under an existing id, no resume under another
strategy or configuration. Every refusal comes before any generation, as one short message."""

from __future__ import annotations

from pathlib import Path

from envirosense.learning.assembly import Workspace, prepare_database
from envirosense.learning.run_config import StoredRunConfig
from envirosense.learning.settings import RunSettings
from envirosense.learning.state import RunStatus
from envirosense.learning.store import RunStore
from envirosense.repository import make_engine
from tests.cli.cli_helpers import invoke, workspace_with_runs


def _short(output: str) -> None:
    assert "Traceback" not in output, output
    assert len(output.strip().splitlines()) <= 3, output


def _workspace_with_recorded_run(root: Path, run_id: str, config: Path) -> None:
    settings = RunSettings.from_file(config, workspace=root)
    workspace = Workspace.from_settings(settings)
    prepare_database(workspace).close()
    engine = make_engine(workspace.database_url)
    record = StoredRunConfig.of(settings, settings.active_learning).model_dump(mode="json")
    RunStore(engine).create_run(run_id, "random", record, status=RunStatus.CREATED)
    engine.dispose()


def _config(path: Path, trees: int, cycles: int = 2) -> Path:
    path.write_text(
        f'[model]\nn_estimators = {trees}\n\n[active_learning]\nstrategy = "random"\n\n'
        f"[active_learning.stopping]\nmax_cycles = {cycles}\n",
        encoding="utf-8",
    )
    return path


def test_a_new_run_may_not_take_an_existing_id(tmp_path: Path) -> None:
    workspace = workspace_with_runs(tmp_path / "ws", ("random-1",))
    result = invoke("run", "--run-id", "random-1", "--strategy", "alm", "--workspace", str(workspace))
    assert result.exit_code == 2, result.output
    _short(result.output)
    assert "run random-1 exists (alm, running); continue it with `envirosense run --resume random-1`" in result.output


def test_a_resume_under_another_strategy_or_seed_is_refused(tmp_path: Path) -> None:
    workspace = workspace_with_runs(tmp_path / "ws", ("alm-1",))
    for option, message in (
        (("--strategy", "random"), "run alm-1 is a alm run, not random"),
        (("--seed", "7"), "run alm-1 has seed 0, not 7"),
    ):
        result = invoke("run", "--resume", "alm-1", *option, "--workspace", str(workspace))
        assert result.exit_code == 2, result.output
        _short(result.output)
        assert message in result.output
        assert "`envirosense run --resume alm-1` alone uses the configuration the run was started with" in result.output


def test_a_resume_with_a_differing_config_lists_the_keys(tmp_path: Path) -> None:
    started = _config(tmp_path / "started.toml", trees=24)
    _workspace_with_recorded_run(tmp_path / "ws", "random-1", started)
    edited = _config(tmp_path / "edited.toml", trees=60, cycles=5)
    result = invoke("run", "--resume", "random-1", "--config", str(edited), "--workspace", str(tmp_path / "ws"))
    assert result.exit_code == 2, result.output
    _short(result.output)
    assert "differs from the configuration run random-1 was started with (model.n_estimators)" in result.output
    assert "max_cycles)" not in result.output.split("(model.n_estimators)")[0]
