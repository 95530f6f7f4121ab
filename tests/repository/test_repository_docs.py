"""docs/repository.md stays true: its JSON examples validate, its Python runs, its CLI session happens."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.repository import SensorContext, SQLiteScenarioRepository, make_engine, upgrade_database
from envirosense.schemas import SampleFeaturesSummary

DOC = Path(__file__).parents[2] / "docs" / "repository.md"
EXAMPLE = re.compile(r"<!-- example: (?P<kind>[\w-]+) -->\n```\w+\n(?P<body>.*?)\n```", re.DOTALL)


def _examples(kind: str) -> list[str]:
    found = [match["body"] for match in EXAMPLE.finditer(DOC.read_text(encoding="utf-8")) if match["kind"] == kind]
    assert found, f"docs/repository.md has no {kind} example"
    return found


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ENVIROSENSE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_definition_example_is_accepted_and_runnable(tmp_path: Path) -> None:
    (body,) = _examples("definition")
    engine = make_engine(f"sqlite:///{tmp_path / 'doc.db'}")
    upgrade_database(engine, None)
    with SQLiteScenarioRepository(engine) as repository:
        definition_id = repository.save_scenario_definition(json.loads(body))
        scenario = repository.get_scenario_by_id(definition_id)
    assert scenario.params.environment.relative_humidity_pct == 92.0
    engine.dispose()


def test_sensor_context_and_summary_examples_validate() -> None:
    (context,) = _examples("sensor-context")
    assert SensorContext.model_validate_json(context).sensor_id == "U20_SPS30"
    (summary,) = _examples("features-summary")
    assert SampleFeaturesSummary.model_validate_json(summary).top_n_features[0].raw_value == 12.5


def test_python_example_runs(workspace: Path) -> None:
    (code,) = _examples("python")
    exec(compile(code, str(DOC), "exec"), {})
    assert (workspace / "envirosense-workspace" / "envirosense.db").is_file()


def test_cli_session_happens_as_shown(workspace: Path) -> None:
    (session,) = _examples("cli")
    runner = CliRunner()
    steps: list[tuple[str, list[str]]] = []
    for line in session.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            steps[-1][1].append(line)
    for command, expected in steps:
        arguments = shlex.split(command)
        assert arguments[0] == "envirosense"
        result = runner.invoke(app, arguments[1:])
        for line in expected:
            pattern = ".*".join(re.escape(part.strip()) for part in line.split("…"))
            assert re.search(pattern, result.output), f"{command!r} printed:\n{result.output}\nnot matching {line!r}"


@pytest.mark.slow
def test_batch_example_crafts_the_same_scenario_on_the_pool() -> None:
    (code,) = _examples("batch")
    namespace: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    assert namespace["on_pool"] is not None
