"""Tracing samples of a real small run: a targeted cycle's sample and an initial-set sample, on the SQLite
run store and (the same records copied through the real ``RunStore``) on PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.generation.reader import iter_samples
from envirosense.learning.assembly import Workspace, build_manager
from envirosense.learning.lineage import SampleLineage, UnknownSampleError, trace
from envirosense.learning.settings import RunSettings
from envirosense.learning.state import DatasetSlice
from envirosense.learning.store import RunStore
from envirosense.repository.database import make_engine
from envirosense.repository.migrate import upgrade_database
from tests.learning.loop_helpers import write_small_config

pytestmark = pytest.mark.slow

POSTGRES_URL = os.environ.get("ENVIROSENSE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = "traced"
DOCS = Path(__file__).parents[2] / "docs"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding one finished alm run: the initial model and one targeted cycle."""
    root = tmp_path_factory.mktemp("lineage")
    settings = RunSettings.from_file(write_small_config(root, root / "ws"))
    history = build_manager(settings, RUN_ID).run(max_cycles=1)
    assert [cycle.cycle_index for cycle in history.cycles] == [0, 1]
    return root / "ws"


def _sqlite_store(workspace: Path) -> RunStore:
    return RunStore(make_engine(Workspace.from_settings(RunSettings(workspace=workspace)).database_url))


def _copied_to_postgres(source: RunStore, schema: str) -> RunStore:
    engine = make_engine(POSTGRES_URL, pool_size=2)
    upgrade_database(engine, schema)
    target = RunStore(engine, schema)
    for run in source.runs():
        target.create_run(run.run_id, run.strategy, run.config)
        for record in source.cycles(run.run_id):
            target.record_step(run.run_id, record.cycle_index, record.step, record.state)
            spots = source.weak_spots(run.run_id, record.cycle_index)
            target.save_weak_spots(run.run_id, record.cycle_index, spots)
            rows = source.suggestions(run.run_id, record.cycle_index)
            keep = ("suggestion_id", "weak_spot_id", "action", "samples", "payload", "status")
            target.save_suggestions(run.run_id, record.cycle_index, [{k: row[k] for k in keep} for row in rows])
    return target


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, workspace: Path) -> Iterator[RunStore]:
    sqlite = _sqlite_store(workspace)
    if request.param == "sqlite":
        yield sqlite
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    store = _copied_to_postgres(sqlite, schema)
    yield store
    with store.engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _only(records: list[SampleLineage]) -> SampleLineage:
    assert len(records) == 1, records
    return records[0]


def _targeted(store: RunStore) -> tuple[DatasetSlice, str]:
    """A slice cycle 1 acquired for a weak spot, and its first sample id."""
    spotted = {row["suggestion_id"] for row in store.suggestions(RUN_ID, 1) if row["weak_spot_id"] is not None}
    acquired = [s for s in store.cycles(RUN_ID)[1].state.datasets or [] if spotted & set(Path(s.path).parts)]
    assert acquired, "the targeted cycle acquired nothing for a weak spot"
    return acquired[0], acquired[0].ids()[0]


def test_a_targeted_sample_leads_to_its_spot_suggestion_cycle_champion_and_models(
    store: RunStore, workspace: Path
) -> None:
    cycles = store.cycles(RUN_ID)
    acquired, sample_id = _targeted(store)

    record = _only(trace(store, sample_id, workspace=workspace))

    assert Path(record.dataset).resolve() == Path(acquired.path).resolve()
    in_file = [s for s in iter_samples(Path(record.file), validate=False) if s["sample_id"] == sample_id]
    assert len(in_file) == 1
    meta = in_file[0]["sample_metadata"]
    assert (record.scenario_definition_id, record.scenario_definition_version) == (
        meta["scenario_definition_id"],
        meta["scenario_definition_version"],
    )
    assert (record.run_id, record.cycle_index) == (RUN_ID, 1)
    suggestion = record.suggestion
    assert suggestion is not None and suggestion.suggestion_id in Path(acquired.path).parts
    stored = {row["suggestion_id"]: row for row in store.suggestions(RUN_ID, 1)}[suggestion.suggestion_id]
    assert (suggestion.action, suggestion.status) == (stored["action"], "applied")
    recorded_spots = {row["weak_spot_id"] for row in store.weak_spots(RUN_ID, 1)}
    assert [spot.weak_spot_id for spot in record.weak_spots] == list(meta["weak_spot_ids"])
    assert suggestion.weak_spot_id == stored["weak_spot_id"]
    assert stored["weak_spot_id"] in {spot.weak_spot_id for spot in record.weak_spots} <= recorded_spots
    assert all(spot.weak_spot_type is not None for spot in record.weak_spots)
    assert record.answered_model is not None
    assert (record.answered_model.version, record.answered_model.cycle_index) == (cycles[0].state.candidate_version, 0)
    model_name = RunSettings().model.registered_model_name
    assert record.answered_model.registered_model == f"{model_name}-{RUN_ID}"
    assert [(m.run_id, m.cycle_index, m.version) for m in record.trained_by] == [
        (RUN_ID, 1, cycles[1].state.candidate_version)
    ]


def test_an_initial_sample_has_no_cycle_and_every_candidate_trained_on_it(
    store: RunStore, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    initial = store.cycles(RUN_ID)[0].state.datasets
    assert initial is not None
    sample_id = initial[0].ids()[-1]
    monkeypatch.chdir(workspace.parent)

    record = _only(trace(store, sample_id, workspace=Path(workspace.name)))  # relative: the same folder once

    assert record.run_id is None and record.suggestion is None and record.answered_model is None
    assert Path(record.dataset).name.startswith("initial-")
    versions = [record.state.candidate_version for record in store.cycles(RUN_ID)]
    assert [(m.cycle_index, m.version) for m in record.trained_by] == [(0, versions[0]), (1, versions[1])]


def test_an_evaluation_sample_was_trained_on_by_no_model(store: RunStore, workspace: Path) -> None:
    (evaluation,) = (workspace / "datasets").glob("evaluation-*")
    sample_id = next(iter_samples(evaluation, validate=False))["sample_id"]

    record = _only(trace(store, sample_id, workspace=workspace))

    assert Path(record.dataset) == evaluation.resolve()
    assert record.run_id is None and record.trained_by == []


def test_an_unknown_sample_id_names_the_problem_and_an_example(store: RunStore, workspace: Path) -> None:
    with pytest.raises(UnknownSampleError, match=r"no sample 'nope-1'.*e\.g\. '[0-9a-f]{24}-0'"):
        trace(store, "nope-1", workspace=workspace)


def _shapes(lines: list[str]) -> list[str]:
    """Each tree line's branch drawing and first word, without the optional ``derived from`` line: what the
    documented example must share with a real one."""
    shapes = []
    for line in lines:
        prefix = re.match(r"[│├└─ ]*", line)
        assert prefix is not None
        shapes.append(prefix.group() + line[prefix.end() :].split(" ")[0])
    return [shape for shape in shapes if not shape.endswith("derived")]


def test_the_command_prints_the_documented_tree_and_json(workspace: Path) -> None:
    store = _sqlite_store(workspace)
    _, sample_id = _targeted(store)
    runner = CliRunner()

    printed = runner.invoke(app, ["lineage", sample_id, "--workspace", str(workspace)])
    as_json = runner.invoke(app, ["lineage", sample_id, "--workspace", str(workspace), "--json"])

    assert printed.exit_code == 0, printed.output
    documented = re.search(
        r"<!-- example: lineage-tree -->\n```text\n(.*?)\n```", (DOCS / "cli.md").read_text("utf-8"), re.S
    )
    assert documented is not None
    shown = documented.group(1).splitlines()
    real = printed.output.strip().splitlines()
    assert _shapes(real) == _shapes(shown), printed.output
    assert real[-2] == shown[-2] == "└── trained on it: 1 model version"
    assert json.loads(as_json.stdout) == [
        r.model_dump(mode="json") for r in trace(store, sample_id, workspace=workspace)
    ]


def test_the_documented_python_example_runs(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _sqlite_store(workspace)
    _, sample_id = _targeted(store)
    (block,) = re.findall(r"```python lineage\n(.*?)```", (DOCS / "learning.md").read_text("utf-8"), re.S)

    exec(compile(block, "docs/learning.md", "exec"), {"store": store, "sample_id": sample_id, "workspace": workspace})

    assert f"{RUN_ID} 1" in capsys.readouterr().out


def test_the_command_refuses_an_unknown_id_with_exit_status_2(workspace: Path) -> None:
    result = CliRunner().invoke(app, ["lineage", "0123-4", "--workspace", str(workspace)])

    assert result.exit_code == 2
    assert "Traceback" not in result.output and "no sample '0123-4'" in result.output


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding two runs of one seed (the initial model and one targeted cycle each)."""
    root = tmp_path_factory.mktemp("twins")
    settings = RunSettings.from_file(write_small_config(root, root / "ws"))
    for run_id in ("twin-a", "twin-b"):
        build_manager(settings, run_id).run(max_cycles=1)
    return root / "ws"


def _cycle_samples(store: RunStore, run_id: str) -> dict[str, set[Path]]:
    """Each sample id of a run's cycle 1 training slices → the (resolved) folders holding it."""
    held: dict[str, set[Path]] = {}
    for entry in store.cycles(run_id)[1].state.datasets or []:
        for sample_id in entry.ids():
            held.setdefault(sample_id, set()).add(Path(entry.path).resolve())
    return held


def test_a_sample_id_in_the_folders_of_two_runs_gives_one_record_per_run(twins: Path) -> None:
    """One seed, one scenario content: the same sample ids in each run's cycle folders. Each folder gives a
    record naming its own run and cycle, and the model of that run trained on it, not the other run's."""
    store = _sqlite_store(twins)
    held = {run_id: _cycle_samples(store, run_id) for run_id in ("twin-a", "twin-b")}
    shared = sorted(held["twin-a"].keys() & held["twin-b"].keys())
    assert shared, "two runs of one seed made no common sample id"
    sample_id = shared[0]

    records = trace(store, sample_id, workspace=twins)

    assert {(record.run_id, Path(record.dataset)) for record in records} == {
        (run_id, folder) for run_id in held for folder in held[run_id][sample_id]
    }
    assert len(records) == len({record.dataset for record in records}) >= 2
    assert {record.run_id for record in records} == {"twin-a", "twin-b"}
    for record in records:
        assert record.run_id is not None and record.cycle_index == 1
        assert Path(record.dataset).is_relative_to(twins.resolve() / "runs" / record.run_id)
        candidate = store.cycles(record.run_id)[1].state.candidate_version
        assert [(model.run_id, model.cycle_index, model.version) for model in record.trained_by] == [
            (record.run_id, 1, candidate)
        ]
    assert len({(record.scenario_class_name, record.unit_seed) for record in records}) == 1  # one unit, twice

    printed = CliRunner().invoke(app, ["lineage", sample_id, "--workspace", str(twins), "--json"])
    assert printed.exit_code == 0, printed.output
    assert [row["run_id"] for row in json.loads(printed.stdout)] == [record.run_id for record in records]
