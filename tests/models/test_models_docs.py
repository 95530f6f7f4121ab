"""docs/models.md stays true: its Python quick start runs, and every command line it shows exists with
the options it uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_python_quick_start_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset_factory: Callable[..., Path]
) -> None:
    dataset_factory(tmp_path / "data" / "train", seed=21, samples_per_run=30)
    dataset_factory(tmp_path / "data" / "eval", seed=22, samples_per_run=20)
    quick_start = next(block for block in _blocks("python") if "LocalModelInterface" in block)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(quick_start, str(DOC), "exec"), namespace)
    feedback = namespace["feedback"]
    assert len(feedback.uncertain_samples) == 10  # type: ignore[attr-defined]
    assert (tmp_path / "envirosense-workspace" / "mlflow.db").exists()


def test_every_command_line_exists_with_its_options() -> None:
    runner = CliRunner(env={"COLUMNS": "250"})
    lines = [
        line.split("#")[0].split()
        for block in _blocks("bash")
        for line in block.splitlines()
        if line.startswith("envirosense ")
    ]
    assert len(lines) >= 6
    for tokens in lines:
        words = [t for t in tokens[1:] if not t.startswith("-")]
        for depth in (2, 1):
            result = runner.invoke(app, [*words[:depth], "--help"])
            if result.exit_code == 0 and "Usage" in result.output:
                break
        assert result.exit_code == 0, tokens
        for option in (t for t in tokens if t.startswith("--") and t != "--help"):
            assert option in result.output, (tokens, option)


def test_the_model_server_example_is_valid_settings() -> None:
    import tomllib

    from envirosense.learning.settings import RunSettings

    example = next(block for block in _blocks("toml") if 'kind = "api"' in block)
    settings = RunSettings(**tomllib.loads(example))
    assert settings.model.kind == "api" and settings.model.server is not None
    assert settings.model.server.model_repository == Path("/srv/mlserver/models")
    assert settings.active_learning.resilience.on_service_down == "wait"
