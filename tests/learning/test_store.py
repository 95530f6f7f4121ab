"""The run store on both databases (SQLite file, PostgreSQL schema on the real server)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from envirosense.learning.state import CycleState, DatasetSlice
from envirosense.learning.store import CycleStep, RunStatus, RunStore, SuggestionStatus
from envirosense.ops.resilience import RetrySettings
from envirosense.repository.database import make_engine
from envirosense.repository.errors import SchemaTooOldError
from envirosense.repository.migrate import upgrade_database

POSTGRES_URL = os.environ.get("ENVIROSENSE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
        schema = None
    else:
        engine = make_engine(POSTGRES_URL, pool_size=2)
        schema = f"test_{uuid.uuid4().hex[:12]}"
    upgrade_database(engine, schema or "simulation")
    yield RunStore(engine, schema or "simulation")
    if schema is not None:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def test_store_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    with pytest.raises(SchemaTooOldError, match="envirosense db upgrade"):
        RunStore(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))


def test_runs_are_created_once(store: RunStore) -> None:
    assert store.create_run("r1", "alm", {"seed": 1})
    assert not store.create_run("r1", "random", {"seed": 2})
    run = store.run("r1")
    assert run.strategy == "alm" and run.config == {"seed": 1} and run.status == "running"
    store.set_run("r1", status=RunStatus.COMPLETED, champion_version="3")
    assert store.run("r1").status == "completed" and store.run("r1").champion_version == "3"
    assert [r.run_id for r in store.runs()] == ["r1"]
    with pytest.raises(LookupError):
        store.run("nope")


def test_cycle_steps_accumulate_outputs(store: RunStore) -> None:
    store.create_run("r", "alm", {})
    assert store.cycle("r", 1) is None
    store.record_step("r", 1, CycleStep.EVALUATED, CycleState(probe_dataset="p"))
    store.record_step("r", 1, CycleStep.IDENTIFIED, CycleState(weak_spot_ids=["a"], mean_uncertainty=None))
    record = store.cycle("r", 1)
    assert record is not None and record.step is CycleStep.IDENTIFIED
    assert record.state == CycleState(probe_dataset="p", weak_spot_ids=["a"], mean_uncertainty=None)
    assert CycleStep.IDENTIFIED.order > CycleStep.EVALUATED.order
    assert [c.cycle_index for c in store.cycles("r")] == [1]


def test_cycle_state_written_by_the_previous_release_loads(store: RunStore) -> None:
    """A cycle stored as the untyped JSON of the release before the typed records: the same keys, dataset
    entries without ``sample_ids`` (whole folders) or with them (selections)."""
    store.create_run("old", "alm", {})
    outputs = {
        "probe_dataset": "/ws/runs/old/cycle-1/probe",
        "probe_feedback": "/ws/runs/old/cycle-1/probe_feedback.json",
        "weak_spot_ids": ["w1"],
        "mean_uncertainty": 0.4,
        "suggestion_ids": ["sg-1"],
        "datasets": [
            {"path": "/ws/a", "samples": 20},
            {"path": "/ws/b", "samples": 2, "sample_ids": ["b-1", "b-7"]},
        ],
        "scenarios": [],
        "degraded_generate": [],
    }
    with store.engine.begin() as connection:
        connection.execute(
            store.tables.cycles.insert().values(
                run_id="old", cycle_index=1, step="generated", outputs=outputs, updated_utc=datetime.now(UTC)
            )
        )
    record = store.cycle("old", 1)
    assert record is not None and record.step is CycleStep.GENERATED
    whole, selected = record.state.datasets or []
    assert whole == DatasetSlice(path="/ws/a", samples=20) and whole.sample_ids is None
    assert selected.sample_ids == ("b-1", "b-7")
    assert record.state.to_json() == outputs | {
        "datasets": [
            {"path": "/ws/a", "samples": 20, "sample_ids": None},
            {"path": "/ws/b", "samples": 2, "sample_ids": ["b-1", "b-7"]},
        ]
    }
    store.record_step("old", 1, CycleStep.TRAINED, CycleState(candidate_version="2", samples_total=182))
    resumed = store.cycle("old", 1)
    assert resumed is not None and resumed.state.weak_spot_ids == ["w1"] and resumed.state.samples_total == 182


def test_a_schema_error_is_not_retried(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade_database(engine)
    store = RunStore(engine, retry=RetrySettings(timeout_s=30.0))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE al_suggestions")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="no such table"):
        store.suggestions("r")
    assert time.monotonic() - started < 5.0


def test_weak_spots_are_replaced_not_duplicated(store: RunStore) -> None:
    store.create_run("r", "alm", {})
    spot = {"weak_spot_id": "w1", "weak_spot_type": "low_recall_class", "sensor_id": None}
    for _ in range(2):
        store.save_weak_spots("r", 1, [{"spot": spot, "strategy": "heterogeneous", "utility": 0.4}])
    rows = store.weak_spots("r", 1)
    assert len(rows) == 1 and rows[0]["utility"] == 0.4 and rows[0]["spot"] == spot


def test_suggestions_are_idempotent_and_review_transitions_are_guarded(store: RunStore) -> None:
    store.create_run("r", "alm", {})
    suggestion = {
        "suggestion_id": "s1",
        "weak_spot_id": "w1",
        "action": "variation",
        "samples": 40,
        "payload": {"x": 1},
        "status": SuggestionStatus.PENDING.value,
    }
    store.save_suggestions("r", 1, [suggestion])
    store.save_suggestions("r", 1, [suggestion])
    assert len(store.suggestions("r")) == 1
    assert store.set_suggestion_status(
        "s1", SuggestionStatus.APPROVED, expected=[SuggestionStatus.PENDING], note="looks right"
    )
    assert not store.set_suggestion_status("s1", SuggestionStatus.REJECTED, expected=[SuggestionStatus.PENDING])
    assert not store.set_suggestion_status("missing", SuggestionStatus.APPROVED)
    row = store.suggestions(status=SuggestionStatus.APPROVED)[0]
    assert row["review_note"] == "looks right" and row["payload"] == {"x": 1}
