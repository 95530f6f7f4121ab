"""Every user mistake ends with a short ``error:`` message and a non-zero exit, and writes nothing."""

from __future__ import annotations

import math
from pathlib import Path

import fastavro
import pytest

from envirosense.cli.errors import CommandError, describe
from tests.cli.cli_helpers import invoke, workspace_with_runs

MAX_LINES = 6


def _short_error(output: str) -> None:
    assert "Traceback" not in output and "╭" not in output, output
    assert len(output.strip().splitlines()) <= MAX_LINES, output


def test_unknown_run_names_the_known_runs_and_the_database(tmp_path: Path) -> None:
    workspace = workspace_with_runs(tmp_path / "ws", ("alm-20260101", "random-20260101"))
    for command in (
        ("run", "--resume", "alm-2026", "--workspace", str(workspace)),
        ("report", "alm-2026", "--workspace", str(workspace)),
        ("suggestions", "list", "--run", "alm-2026", "--workspace", str(workspace)),
    ):
        result = invoke(*command)
        assert result.exit_code == 1, result.output
        _short_error(result.output)
        assert "no run 'alm-2026' in sqlite:///" in result.output
        assert str(workspace / "envirosense.db") in result.output
        assert "known runs: alm-20260101, random-20260101" in result.output
        assert "did you mean 'alm-20260101'?" in result.output


def test_unknown_run_in_an_empty_workspace_says_there_are_none(tmp_path: Path) -> None:
    workspace = workspace_with_runs(tmp_path / "ws", ("alm-1",))
    result = invoke("report", "nope", "--compare", "alm-1", "--workspace", str(workspace))
    assert result.exit_code == 1 and "known runs: alm-1" in result.output


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("typo.toml", "[active_learning.budget]\nsamples_per_cycl = 3\n", "did you mean 'samples_per_cycle'?"),
        ("type.toml", '[model]\nn_estimators = "many"\n', "model.n_estimators: expected a whole number, got 'many'"),
        ("range.toml", "[active_learning.budget]\nexploration_share = 2.0\n", "must be ≤ 1.0, got 2.0"),
        ("nan.toml", "[active_learning.stopping]\nplateau_min_gain = nan\n", "must be a finite number, got nan"),
        ("broken.toml", "[active_learning\n", "not valid TOML"),
        ("list.yaml", "- strategy: alm\n", "the file holds a list, not a mapping"),
        ("toml-as.yaml", '[active_learning]\nstrategy = "random"\n', "not valid YAML (line 2"),
        ("text.yml", "just words\n", "the file holds a string, not a mapping"),
        ("run.json", "{}", "must end in .toml, .yaml or .yml"),
        ("budget.toml", "[active_learning.budget]\nsamples_per_cycle = 10\nexploration_share = 0.5\n", "cover"),
    ],
)
def test_config_errors_name_the_key_and_start_nothing(tmp_path: Path, name: str, text: str, expected: str) -> None:
    config = tmp_path / name
    config.write_text(text, encoding="utf-8")
    workspace = tmp_path / "ws"
    result = invoke("run", "--config", str(config), "--workspace", str(workspace))
    assert result.exit_code == 2, result.output
    _short_error(result.output)
    assert f"error: invalid configuration in {config}" in result.output
    assert expected in result.output
    assert not workspace.exists()


def test_environment_override_of_the_wrong_type_names_the_variable(tmp_path: Path) -> None:
    result = invoke("run", "--workspace", str(tmp_path / "ws"), env={"ENVIROSENSE_ACTIVE_LEARNING__SEED": "abc"})
    assert result.exit_code == 2
    _short_error(result.output)
    assert "active_learning.seed: expected a whole number, got 'abc'" in result.output
    assert "(from the environment variable ENVIROSENSE_ACTIVE_LEARNING__SEED)" in result.output
    assert not (tmp_path / "ws").exists()


def test_choices_are_checked_by_the_command_line(tmp_path: Path) -> None:
    result = invoke("run", "--strategy", "alms", "--workspace", str(tmp_path / "ws"))
    assert result.exit_code == 2
    assert (
        "unknown strategy 'alms'; choose one of alm, cluster-margin, pool-margin, pool-margin-balanced, "
        in result.output
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "ws").exists()
    assert invoke("--log-level", "LOUD", "version").exit_code == 2


def test_unknown_scenario_class_suggests_the_closest() -> None:
    result = invoke("simulate", "-s", "arcing")
    assert result.exit_code == 2
    _short_error(result.output)
    assert "unknown scenario class 'arcing' (did you mean 'arcing_event'?)" in result.output


def test_debug_shows_the_traceback() -> None:
    result = invoke("--debug", "simulate", "-s", "arcing")
    assert isinstance(result.exception, CommandError)


def test_a_bug_is_not_dressed_up_as_a_user_error() -> None:
    assert describe(ZeroDivisionError("division by zero")) is None
    assert describe(KeyError("x")) is None
    assert describe(FileNotFoundError(2, "No such file or directory", "x.toml")) == (
        "x.toml: No such file or directory",
        1,
    )


def test_read_only_commands_do_not_create_a_missing_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIROSENSE_DATABASE_URL", raising=False)
    missing = tmp_path / "no-such-workspace"
    for command in (
        ("scenarios", "list"),
        ("scenarios", "show", "arcing_event"),
        ("scenarios", "search", "arc"),
        ("runs",),
        ("report", "alm-1"),
        ("suggestions", "list"),
    ):
        result = invoke(*command, "--workspace", str(missing))
        assert result.exit_code == 2, (command, result.output)
        _short_error(result.output)
        assert f"workspace {missing} does not exist" in result.output
        assert not missing.exists()


def test_unreachable_database_is_one_message(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    result = invoke(
        "runs", "--workspace", str(tmp_path / "ws"), env={"ENVIROSENSE_DATABASE_URL": "postgresql://u@127.0.0.1:1/db"}
    )
    assert result.exit_code == 1
    _short_error(result.output)
    assert "cannot reach the database" in result.output and "envirosense db current" in result.output


@pytest.mark.parametrize("content", ["", "# a readme\n"])
def test_a_folder_that_is_not_a_dataset_is_refused(tmp_path: Path, content: str) -> None:
    folder = tmp_path / "not-a-dataset"
    folder.mkdir()
    if content:
        (folder / "README.md").write_text(content)
    for command in ("verify", "stats"):
        result = invoke("dataset", command, str(folder))
        assert result.exit_code == 1
        _short_error(result.output)
        assert "is not a dataset" in result.output
    assert invoke("dataset", "stats", str(tmp_path / "missing")).exit_code == 1


def _broken_files(dataset: Path, tmp_path: Path) -> dict[str, Path]:
    package = next(dataset.glob("*.avro"))
    data = package.read_bytes()
    files = {"zero-byte": tmp_path / "zero.avro", "truncated": tmp_path / "truncated.avro"}
    files["zero-byte"].write_bytes(b"")
    files["truncated"].write_bytes(data[: math.floor(len(data) * 0.7)])
    foreign = tmp_path / "foreign.avro"
    schema = fastavro.parse_schema({"type": "record", "name": "Other", "fields": [{"name": "x", "type": "int"}]})
    with foreign.open("wb") as handle:
        fastavro.writer(handle, schema, [{"x": 1}, {"x": 2}])
    files["foreign-schema"] = foreign
    return files


def test_corrupt_avro_files_are_named_by_train_evaluate_and_verify(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    dataset = tmp_path / "data"
    made = invoke("generate", str(dataset), "-s", "baseline_operation", "-s", "arcing_event", "--samples-per-run", "8")
    assert made.exit_code == 0, made.output
    trained = invoke("train", "--data", str(dataset), "--workspace", str(workspace), "--n-estimators", "10")
    assert trained.exit_code == 0, trained.output
    for kind, path in _broken_files(dataset, tmp_path).items():
        for command in (
            ("train", "--data", str(path), "--workspace", str(workspace)),
            ("evaluate", "--data", str(path), "--workspace", str(workspace)),
            ("dataset", "verify", str(path)),
        ):
            result = invoke(*command)
            assert result.exit_code == 1, (kind, command, result.output)
            _short_error(result.output)
            assert f"error: {path}" in result.output, (kind, result.output)
