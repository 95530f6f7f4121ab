"""Tracing samples of a real small run: a targeted cycle's sample and an initial-set sample, on the SQLite
run store and (the same records copied through the real ``RunStore``) on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from loop_helpers import write_small_config
from sqlalchemy import text

from envirosense.generation.reader import iter_samples
from envirosense.learning.assembly import Workspace, build_manager
from envirosense.learning.lineage import SampleLineage, UnknownSampleError, trace
from envirosense.learning.settings import RunSettings
from envirosense.learning.store import RunStore
from envirosense.repository.database import make_engine
from envirosense.repository.migrate import upgrade_database

pytestmark = pytest.mark.slow

POSTGRES_URL = os.environ.get("ENVIROSENSE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = "traced"


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


def test_a_targeted_sample_leads_to_its_spot_suggestion_cycle_champion_and_models(
    store: RunStore, workspace: Path
) -> None:
    cycles = store.cycles(RUN_ID)
    state = cycles[1].state
    assert state.datasets, "the targeted cycle acquired no data"
    acquired = state.datasets[0]
    sample_id = acquired.sample_ids[0] if acquired.sample_ids else acquired.ids()[0]

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
    if stored["weak_spot_id"] is not None:
        assert stored["weak_spot_id"] in {spot.weak_spot_id for spot in record.weak_spots} <= recorded_spots
        assert all(spot.weak_spot_type is not None for spot in record.weak_spots)
    assert record.answered_model is not None
    assert (record.answered_model.version, record.answered_model.cycle_index) == (cycles[0].state.candidate_version, 0)
    model_name = RunSettings().model.registered_model_name
    assert record.answered_model.registered_model == f"{model_name}-{RUN_ID}"
    assert [(m.run_id, m.cycle_index, m.version) for m in record.trained_by] == [
        (RUN_ID, 1, cycles[1].state.candidate_version)
    ]


def test_an_initial_sample_has_no_cycle_and_every_candidate_trained_on_it(store: RunStore, workspace: Path) -> None:
    initial = store.cycles(RUN_ID)[0].state.datasets
    assert initial is not None
    sample_id = initial[0].ids()[-1]

    record = _only(trace(store, sample_id, workspace=workspace))

    assert record.run_id is None and record.suggestion is None and record.answered_model is None
    assert Path(record.dataset).name.startswith("initial-")
    versions = [record.state.candidate_version for record in store.cycles(RUN_ID)]
    assert [(m.cycle_index, m.version) for m in record.trained_by] == [(0, versions[0]), (1, versions[1])]


def test_an_unknown_sample_id_names_the_problem_and_an_example(store: RunStore, workspace: Path) -> None:
    with pytest.raises(UnknownSampleError, match=r"no sample 'nope-1'.*e\.g\. '[0-9a-f]{24}-0'"):
        trace(store, "nope-1", workspace=workspace)
