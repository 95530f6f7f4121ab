"""Package files: one encoding pass, a content hash blind to the wall clock, readable by fastavro and Apache avro."""

from __future__ import annotations

import copy
import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import avro.datafile
import avro.io
import fastavro
import pytest

from envirosense.generation.units import UnitOutput, build_samples, run_unit
from envirosense.generation.writer import (
    RUN_PACKAGE_KEY,
    SYNC_MARKER,
    content_hash,
    encode_samples,
    package_bytes,
    temp_path,
    timestamp_free_schema,
    write_atomic,
)
from envirosense.schemas import ScenarioRunPackage
from tests.generation.generation_helpers import as_records, make_unit, without_timestamps


@pytest.fixture(scope="module")
def output() -> UnitOutput:
    return run_unit(make_unit(timesteps=150))


@pytest.fixture(scope="module")
def data(output: UnitOutput) -> bytes:
    """The bytes of ``output``'s file (a unit that keeps samples has one)."""
    assert output.data is not None
    return output.data


def test_fastavro_reads_back_every_sample_and_the_run_package(output: UnitOutput, data: bytes) -> None:
    reader = fastavro.reader(io.BytesIO(data))
    samples = as_records(reader)
    assert len(samples) == 150 == output.package.sample_count
    prefix = output.package.run_metadata["unit_key"][:24]
    assert [sample["sample_id"] for sample in samples] == [f"{prefix}-{i}" for i in range(150)]
    package = ScenarioRunPackage.model_validate_json(reader.metadata[RUN_PACKAGE_KEY])
    assert package == output.package
    assert reader.metadata["avro.codec"] == "deflate"
    assert data.endswith(SYNC_MARKER)


def test_apache_avro_reads_the_same_samples(output: UnitOutput, data: bytes) -> None:
    expected = as_records(fastavro.reader(io.BytesIO(data)))
    reader = avro.datafile.DataFileReader(io.BytesIO(data), avro.io.DatumReader())
    try:
        got = as_records(reader)
        header = reader.get_meta(RUN_PACKAGE_KEY)
        assert header is not None
        package = ScenarioRunPackage.model_validate_json(header)
    finally:
        reader.close()
    assert package.package_id == output.package.package_id
    assert without_timestamps(got) == without_timestamps(expected)
    assert [sample["generation_timestamp_utc"] for sample in got] == [
        sample["generation_timestamp_utc"] for sample in expected
    ]


def test_file_holds_several_blocks_so_block_framing_is_exercised(data: bytes) -> None:
    blocks = list(fastavro.block_reader(io.BytesIO(data)))
    assert len(blocks) >= 2
    assert sum(block.num_records for block in blocks) == 150


def test_content_hash_is_the_timestamp_free_encoding_of_the_samples(output: UnitOutput, data: bytes) -> None:
    samples = as_records(fastavro.reader(io.BytesIO(data)))
    digest = hashlib.sha256()
    schema = timestamp_free_schema()
    for sample in samples:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, schema, {k: v for k, v in sample.items() if k != "generation_timestamp_utc"})
        digest.update(buffer.getvalue())
    assert digest.hexdigest() == output.package.package_id == content_hash(samples)
    assert encode_samples(samples).content_hash == output.package.package_id


def test_wall_clock_changes_bytes_but_not_the_hash() -> None:
    _, samples, _ = build_samples(make_unit())
    later = copy.deepcopy(samples)
    for sample in later:
        sample["generation_timestamp_utc"] = sample["generation_timestamp_utc"] + timedelta(days=400)
    first, second = encode_samples(samples), encode_samples(later)
    assert first.content_hash == second.content_hash
    assert first.blocks != second.blocks


def test_any_content_change_changes_the_hash() -> None:
    _, samples, _ = build_samples(make_unit())
    changed = copy.deepcopy(samples)
    reading = changed[7]["sensor_readings_map"]["U23_BMP388"]
    reading["pressure_hpa"] = (reading["pressure_hpa"] or 1000.0) + 1e-9
    assert content_hash(changed) != content_hash(samples)


def test_same_samples_and_header_give_identical_bytes() -> None:
    unit = make_unit()
    _, samples, _ = build_samples(unit)
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    for sample in samples:
        sample["generation_timestamp_utc"] = stamp
    encoded = encode_samples(samples)
    package = run_unit(unit).package.model_copy(update={"package_id": encoded.content_hash})
    assert package_bytes(package, encoded) == package_bytes(package, encode_samples(copy.deepcopy(samples)))
    assert fastavro.is_avro(io.BytesIO(package_bytes(package, encoded, "null")))


def test_header_must_describe_the_samples(output: UnitOutput) -> None:
    _, samples, _ = build_samples(make_unit(timesteps=5))
    with pytest.raises(ValueError, match="does not describe"):
        package_bytes(output.package, encode_samples(samples))


def test_write_atomic_leaves_only_the_final_file(tmp_path: Path) -> None:
    final = tmp_path / "abc.avro"
    write_atomic(final, b"payload")
    assert final.read_bytes() == b"payload"
    assert not temp_path(final).exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["abc.avro"]
