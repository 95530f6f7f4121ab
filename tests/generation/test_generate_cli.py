"""The ``envirosense generate`` and ``envirosense dataset`` commands, and the examples in docs/generation.md."""

from __future__ import annotations

import json
import re
import shlex
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.cli.generate import load_definitions, parse_definitions
from envirosense.generation import DatasetManifest, iter_samples, load_manifest

DOC = Path(__file__).resolve().parents[2] / "docs" / "generation.md"
runner = CliRunner()


def _blocks(info: str) -> list[str]:
    return re.findall(rf"```{info}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def _commands() -> list[list[str]]:
    return [
        shlex.split(line.removeprefix("$ envirosense "))
        for block in _blocks("console")
        for line in block.splitlines()
        if line.startswith("$ envirosense ")
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_generate_then_stats_and_verify(tmp_path: Path) -> None:
    output = tmp_path / "ds"
    arguments = [
        "generate", str(output), "-s", "baseline_operation", "-s", "arcing_event", "--samples-per-run", "12",
        "--spread-over-duration", "--runs-per-scenario", "2", "--workers", "0",
        "--cycle-id", "c-1", "--weak-spot-id", "ws-1", "--model-version", "m@2",
    ]  # fmt: skip
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    manifest = load_manifest(output)
    assert manifest is not None and manifest.dataset_id is not None
    assert manifest.dataset_id[:16] in result.output
    assert "4 files written, 0 already present" in " ".join(result.output.split())
    samples = list(iter_samples(output))
    assert len(samples) == 48
    assert {sample["sample_metadata"]["cycle_id"] for sample in samples} == {"c-1"}

    again = runner.invoke(app, arguments)
    assert again.exit_code == 0
    assert "0 files written, 4 already present" in " ".join(again.output.split())

    stats = runner.invoke(app, ["dataset", "stats", str(output), "--sensor", "U20_SPS30"])
    assert stats.exit_code == 0, stats.output
    text = " ".join(stats.output.split())
    for expected in ("48", "ws-1", "c-1", "m@2", "U20_SPS30", "training"):
        assert expected in text
    assert set(manifest.class_counts) == {"normal", "arcing"}
    for label, count in manifest.class_counts.items():
        assert re.search(rf"│ {label}\s+│\s+{count} │", stats.output), label
    verify = runner.invoke(app, ["dataset", "verify", str(output)])
    assert verify.exit_code == 0 and "4 files verified" in verify.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-s", "no_such_scenario"], "unknown scenario class 'no_such_scenario'"),
        (["-s", "arcing_event", "--mode", "class_balanced", "--quota", "arcing=x"], "expected CLASS=COUNT"),
        (["-s", "arcing_event", "--mode", "class_balanced", "--quota", "corona_discharge=4"], "no scenario of class"),
        ([], "at least one --scenario"),
        (["--definitions", "missing.json"], "cannot read definitions file"),
        (["-s", "arcing_event", "--cycle-id", ""], "cycle_id"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    output = tmp_path / "out"
    result = runner.invoke(app, ["generate", str(output), "--workers", "0", *arguments])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not output.exists()


def test_invalid_definitions_file_names_the_field(tmp_path: Path) -> None:
    definitions = json.loads(_blocks("json scenario-definitions")[0])
    definitions[1]["specific_params_json"] = "[1, 2]"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(definitions))
    result = runner.invoke(app, ["generate", str(tmp_path / "out"), "--definitions", str(path)])
    assert result.exit_code == 2
    assert "1.specific_params_json" in result.output and "must be a JSON object" in result.output


def test_documented_json_examples_are_valid() -> None:
    definitions = parse_definitions(_blocks("json scenario-definitions")[0])
    assert [definition.scenario_definition_id for definition in definitions] == [
        "arcing-close-windy",
        "dust-confounder",
    ]
    manifest = DatasetManifest.model_validate_json(_blocks("json manifest")[0])
    assert sum(manifest.class_counts.values()) == manifest.total_samples


@pytest.mark.slow
def test_documented_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "definitions.json").write_text(_blocks("json scenario-definitions")[0])
    assert load_definitions(tmp_path / "definitions.json")
    python_examples = _blocks("python")
    assert len(python_examples) == 4
    for example in python_examples:
        exec(compile(example, str(DOC), "exec"), {})
    commands = _commands()
    assert len(commands) >= 7
    for command in commands:
        if "--dask-scheduler" in command:
            index = command.index("--dask-scheduler") + 1
            command = [*command[:index], f"tcp://127.0.0.1:{_free_port()}", *command[index + 1 :]]
            result = runner.invoke(app, [*command, "--scheduler-timeout", "1"])
            assert result.exit_code == 2 and "did not answer" in result.output, result.output
            continue
        result = runner.invoke(app, command)
        assert result.exit_code == 0, f"{shlex.join(command)}\n{result.output}"


def test_samples_per_run_alone_spreads_over_the_run_and_sees_the_hazard(tmp_path: Path) -> None:
    arguments = ["-s", "arcing_event", "--samples-per-run", "10", "--runs-per-scenario", "2"]
    spread = runner.invoke(app, ["generate", str(tmp_path / "spread"), *arguments])
    assert spread.exit_code == 0, spread.output
    assert "warning:" not in spread.output
    assert load_manifest(tmp_path / "spread").class_counts.get("arcing", 0) > 0  # type: ignore[union-attr]

    early = runner.invoke(app, ["generate", str(tmp_path / "early"), *arguments, "--interval", "10"])
    assert early.exit_code == 0, early.output
    assert load_manifest(tmp_path / "early").class_counts == {"normal": 20}  # type: ignore[union-attr]
    assert "warning: arcing_event-" in early.output and "no arcing sample, all 20 are normal" in early.output


def test_no_warning_for_normal_scenarios_or_mixed_labels(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", str(tmp_path / "d"), "-s", "baseline_operation", "--samples-per-run", "5", "--interval", "10"]
    )
    assert result.exit_code == 0 and "warning:" not in result.output
