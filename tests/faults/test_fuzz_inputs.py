"""Property-based fuzzing (Hypothesis) of everything the system reads from outside: scenario definitions,
updates and variations sent to the repository (SQLite), and Avro package files (truncated, bit-flipped,
written with another schema). Every bad input is rejected with an error naming what is wrong, and the
database and the dataset are byte-for-byte unchanged afterwards."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envirosense.generation import CorruptPackageError, MLDataGenerator, iter_samples
from envirosense.generation.writer import RUN_PACKAGE_KEY
from envirosense.repository import RepositoryValidationError, SQLiteScenarioRepository, make_engine, upgrade_database
from envirosense.simulation.registry import scenario_class

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE_ID = "fuzz-base"


# --- the repository ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteScenarioRepository]:
    path = tmp_path_factory.mktemp("fuzz-db") / "envirosense.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine, None)
    engine.dispose()
    with SQLiteScenarioRepository(path, max_attempts=1) as opened:
        opened.save_scenario_definition(_base_definition())
        yield opened


def _base_definition() -> dict[str, Any]:
    scenario = scenario_class("baseline_operation")()
    definition = scenario.to_definition(scenario_definition_id=BASE_ID, scenario_instance_id=BASE_ID)
    return definition.model_dump(mode="json")


def _database(repository: SQLiteScenarioRepository) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table, read directly with sqlite3."""
    database = repository.engine.url.database
    assert database is not None
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [
            (table, sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)) for table in tables
        ]


not_a_list = st.one_of(st.integers(), st.floats(allow_nan=False), st.dictionaries(st.text(max_size=3), st.integers()))
bad_fields: dict[str, st.SearchStrategy[Any]] = {
    "scenario_definition_id": st.one_of(st.just(""), st.text(min_size=201, max_size=240), st.integers(), st.none()),
    "scenario_class_name": st.text(min_size=1, max_size=30)
    .filter(lambda name: name.strip() and name.isidentifier())
    .map(lambda name: f"no_such_{name}"),
    "difficulty_level": st.text(max_size=12).filter(
        lambda level: level not in {"VERY_LOW", "LOW", "MEDIUM", "HIGH", "VERY_HIGH", "CUSTOM"}
    ),
    "expected_duration_seconds": st.one_of(
        st.floats(max_value=0),
        st.just(math.nan),
        st.text(min_size=1, max_size=5).filter(lambda text: not text.strip().replace(".", "", 1).isdigit()),
    ),
    "version": st.integers(max_value=0),
    "tags": not_a_list,
    "creation_timestamp_utc": st.sampled_from(["yesterday", "2026-13-45T00:00:00Z", "", "noon"]),
    "specific_params_json": st.one_of(
        st.text(max_size=20).filter(lambda text: not _is_json_object(text)),
        st.dictionaries(
            st.text(min_size=1, max_size=8).map(lambda key: f"unknown_{key}"), st.integers(), min_size=1
        ).map(json.dumps),
    ),
    "related_scenario_ids": not_a_list,
}


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


@st.composite
def bad_definitions(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    field = draw(st.sampled_from(sorted(bad_fields)))
    definition = _base_definition()
    definition["scenario_definition_id"] = f"fuzz-{draw(st.integers(0, 10**6))}"
    definition[field] = draw(bad_fields[field])
    return field, definition


@FUZZ
@given(case=bad_definitions())
def test_bad_definitions_are_rejected_naming_the_field(
    repository: SQLiteScenarioRepository, case: tuple[str, dict[str, Any]]
) -> None:
    field, definition = case
    before = _database(repository)
    with pytest.raises(RepositoryValidationError) as raised:
        repository.save_scenario_definition(definition)
    assert raised.value.field.split(".")[0] == field, str(raised.value)
    assert _database(repository) == before


updatable_bad = {
    key: bad_fields[key] for key in ("difficulty_level", "expected_duration_seconds", "tags", "scenario_class_name")
}


@FUZZ
@given(
    key=st.one_of(
        st.sampled_from(sorted(updatable_bad)),
        st.text(min_size=1, max_size=12).map(lambda key: f"not_a_field_{key}"),
        st.just("version"),
    ),
    data=st.data(),
)
def test_bad_updates_are_rejected_naming_the_field(
    repository: SQLiteScenarioRepository, key: str, data: st.DataObject
) -> None:
    value = data.draw(updatable_bad.get(key, st.integers(max_value=0) if key == "version" else st.integers()))
    before = _database(repository)
    with pytest.raises(RepositoryValidationError) as raised:
        repository.update_scenario_definition(BASE_ID, {key: value})
    assert key in raised.value.field, str(raised.value)
    assert _database(repository) == before


BOUNDED = {"environment.relative_humidity_pct": (0.0, 100.0), "device.dropout_probability": (0.0, 1.0)}


@FUZZ
@given(
    modifications=st.one_of(
        st.sampled_from(sorted(BOUNDED)).flatmap(
            lambda path: st.one_of(
                st.floats(min_value=BOUNDED[path][1], exclude_min=True),
                st.floats(max_value=BOUNDED[path][0], exclude_max=True),
                st.just(math.nan),
                st.text(max_size=5).filter(lambda text: not text.strip().lstrip("-").replace(".", "", 1).isdigit()),
            ).map(lambda value: {path: value})
        ),
        st.dictionaries(st.text(min_size=1, max_size=10).map(lambda key: f"no_such.{key}"), st.floats(), min_size=1),
    ),
    suffix=st.text(min_size=1, max_size=10),
)
def test_bad_variations_are_rejected_naming_the_parameter(
    repository: SQLiteScenarioRepository, modifications: dict[str, Any], suffix: str
) -> None:
    before = _database(repository)
    with pytest.raises(RepositoryValidationError) as raised:
        repository.create_scenario_variation(BASE_ID, suffix, modifications)
    assert raised.value.field.startswith("param_modifications."), str(raised.value)
    assert raised.value.field.removeprefix("param_modifications.") in modifications
    assert _database(repository) == before


# --- Avro package files -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, list[dict[str, Any]]]:
    """A real one-file dataset: (its package file, the file's bytes, its samples)."""
    folder = tmp_path_factory.mktemp("fuzz-dataset")
    definition = scenario_class("arcing_event")().to_definition(scenario_definition_id="fuzz-arc")
    MLDataGenerator(workers=1).generate([definition], folder, seed=3, samples_per_run=30, spread_over_duration=True)
    (path,) = sorted(folder.glob("*.avro"))
    return path, path.read_bytes(), list(iter_samples(path))


def _damaged(tmp_path_factory: pytest.TempPathFactory, name: str, data: bytes) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("damaged", numbered=True) / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


@FUZZ
@given(cut=st.data())
def test_truncated_files_are_rejected_before_any_sample(
    package: tuple[Path, bytes, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory, cut: st.DataObject
) -> None:
    original, data, _ = package
    length = cut.draw(st.integers(0, len(data) - 1))
    path, digest = _damaged(tmp_path_factory, original.name, data[:length])
    yielded: list[dict[str, Any]] = []
    with pytest.raises(CorruptPackageError) as raised:
        yielded.extend(iter_samples(path))
    assert yielded == [] and raised.value.path == path and path.name in str(raised.value)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


@FUZZ
@given(where=st.data())
def test_bit_flips_are_rejected_or_change_no_sample(
    package: tuple[Path, bytes, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory, where: st.DataObject
) -> None:
    """Avro has no checksum of its header, so a flip inside free text there (a doc string) can pass; what
    must never pass is a changed sample: ``verify=True`` re-hashes the content against the file's id."""
    original, data, samples = package
    offset = where.draw(st.integers(0, len(data) - 1))
    bit = where.draw(st.integers(0, 7))
    flipped = bytearray(data)
    flipped[offset] ^= 1 << bit
    path, digest = _damaged(tmp_path_factory, original.name, bytes(flipped))
    try:
        read = list(iter_samples(path, verify=True))
    except CorruptPackageError as exc:
        assert exc.path == path and path.name in str(exc)
    else:
        assert read == samples, f"a flip of bit {bit} at byte {offset} changed samples without an error"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


@FUZZ
@given(
    fields=st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True), st.sampled_from(["int", "string", "double"]), min_size=1
    ),
    rows=st.integers(1, 5),
)
def test_files_of_another_schema_are_rejected(
    package: tuple[Path, bytes, list[dict[str, Any]]],
    tmp_path_factory: pytest.TempPathFactory,
    fields: dict[str, str],
    rows: int,
) -> None:
    original, _, _ = package
    with original.open("rb") as handle:
        header = fastavro.reader(handle).metadata[RUN_PACKAGE_KEY]
    schema = {"type": "record", "name": "Other", "fields": [{"name": n, "type": t} for n, t in fields.items()]}
    value = {"int": 1, "string": "x", "double": 1.5}
    path = tmp_path_factory.mktemp("other-schema") / original.name
    with path.open("wb") as handle:
        records = [{name: value[kind] for name, kind in fields.items()} for _ in range(rows)]
        fastavro.writer(handle, fastavro.parse_schema(schema), records, metadata={RUN_PACKAGE_KEY: header})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(CorruptPackageError) as raised:
        list(iter_samples(path))
    assert path.name in str(raised.value) and ("sample" in raised.value.reason or "decode" in raised.value.reason)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
