"""The fast set-up of a new local MLflow store: MLflow accepts it as up to date, and it is all-or-nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from envirosense.ops.tracking import ExperimentTracker, prepare_local_store


def test_a_prepared_store_is_one_mlflow_uses_without_migrating(tmp_path: Path) -> None:
    from mlflow.store.db.utils import _get_latest_schema_revision

    store = tmp_path / "new" / "mlflow.db"
    prepare_local_store(f"sqlite:///{store}")
    with sqlite3.connect(store) as connection:
        (revision,) = connection.execute("select version_num from alembic_version").fetchone()
    assert revision == _get_latest_schema_revision()  # type: ignore[no-untyped-call]
    assert [path.name for path in store.parent.iterdir()] == ["mlflow.db"]  # no partial file left behind
    tracker = ExperimentTracker(f"sqlite:///{store}", artifact_location=tmp_path / "artifacts")
    parent = tracker.parent_run("run-1", {"strategy": "alm"})
    assert tracker.parent_run("run-1", {"strategy": "alm"}) == parent


def test_an_existing_store_and_other_uris_are_left_alone(tmp_path: Path) -> None:
    store = tmp_path / "mlflow.db"
    store.write_bytes(b"not touched")
    prepare_local_store(f"sqlite:///{store}")
    assert store.read_bytes() == b"not touched"
    prepare_local_store("http://127.0.0.1:1")  # a tracking server: nothing to prepare, nothing contacted
    prepare_local_store(f"sqlite:///{tmp_path / 'other.db'}?timeout=5")
    assert not (tmp_path / "other.db").exists()
