"""``envirosense scenarios …`` and ``envirosense db …`` on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.repository.catalogue import catalogue_definitions
from envirosense.simulation import scenario_classes
from tests.repository.repo_helpers import Backend, baseline_definition


def _run(backend: Backend, *arguments: str, input_text: str | None = None) -> tuple[int, str]:
    options = ["--database-url", backend.url]
    if backend.kind == "postgres":
        options += ["--schema", backend.schema]
    result = CliRunner().invoke(app, [*arguments, *options], input=input_text)
    return result.exit_code, result.output


def test_seed_list_show_history_search_vary(backend: Backend, tmp_path: Path) -> None:
    code, output = _run(backend, "scenarios", "seed", "--variations", "2", "--seed", "3")
    expected = len(scenario_classes()) * 3
    assert code == 0, output
    assert f"{expected} created, 0 already present" in output
    code, output = _run(backend, "scenarios", "seed", "--variations", "2", "--seed", "3")
    assert f"0 created, {expected} already present" in output

    code, output = _run(backend, "scenarios", "list", "--category", "normal", "--limit", "50")
    assert code == 0, output
    assert "baseline_operation" in output
    assert "arcing_event" not in output

    code, output = _run(backend, "scenarios", "show", "baseline_operation", "--json")
    assert code == 0, output
    shown = json.loads(output)
    assert shown["scenario_class_name"] == "BaselineOperationScenario"
    assert shown["version"] == 1

    code, output = _run(
        backend,
        "scenarios",
        "vary",
        "baseline_operation",
        "gusty",
        "--set",
        "environment.wind_speed_m_s=11.5",
        "--set",
        "environment.turbulence_intensity=0.6",
        "--sensor",
        "U24_FT205",
        "--weak-spot",
        "ws-9",
    )
    assert code == 0, output
    assert "baseline_operation-gusty" in output
    code, output = _run(backend, "scenarios", "show", "baseline_operation-gusty", "--lineage", "--json")
    shown = json.loads(output)
    assert json.loads(shown["definition"]["specific_params_json"])["environment"]["wind_speed_m_s"] == 11.5
    assert shown["definition"]["parent_scenario_id"] == "baseline_operation"
    assert shown["lineage"]["sensor_context"]["weak_spot_ids"] == ["ws-9"]

    _run(backend, "scenarios", "vary", "baseline_operation", "gusty", "--set", "environment.wind_speed_m_s=11.5")
    code, output = _run(backend, "scenarios", "search", "baseline variation")
    assert code == 0
    assert "baseline_operation-v001" in output

    definition = baseline_definition("from-file", description="first")
    path = tmp_path / "definition.json"
    path.write_text(definition.model_dump_json())
    code, output = _run(backend, "scenarios", "add", str(path))
    assert code == 0, output
    assert "stored 1 definition" in output
    code, output = _run(backend, "scenarios", "history", "baseline_operation")
    assert code == 0
    assert "created" in output


def test_errors_are_clean_messages_with_exit_code_1(backend: Backend, tmp_path: Path) -> None:
    code, output = _run(backend, "scenarios", "show", "missing")
    assert code == 1
    assert "ScenarioNotFoundError" in output
    _run(backend, "scenarios", "add", "-", input_text=baseline_definition("base").model_dump_json())
    code, output = _run(backend, "scenarios", "vary", "base", "bad", "--set", "environment.wind_speed_m_s=400")
    assert code == 1
    assert "param_modifications.environment.wind_speed_m_s" in output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([baseline_definition("ok-1").model_dump(mode="json"), {"name": "no"}]))
    code, output = _run(backend, "scenarios", "add", str(bad))
    assert code == 1
    assert "definitions.1" in output
    code, output = _run(backend, "scenarios", "show", "ok-1")
    assert code == 1


def test_commands_refuse_an_unmigrated_database(empty_backend: Backend) -> None:
    code, output = _run(empty_backend, "scenarios", "list")
    assert code == 1
    assert "envirosense db upgrade" in output
    code, output = _run(empty_backend, "db", "current")
    assert code == 0
    assert "needs `envirosense db upgrade`" in output


def test_sqlite_workspace_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIROSENSE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (tmp_path / "envirosense-workspace" / "envirosense.db").is_file()
    result = runner.invoke(app, ["scenarios", "seed", "--variations", "0"])
    assert result.exit_code == 0, result.output
    assert f"{sum(1 for _ in catalogue_definitions(0))} created" in result.output
