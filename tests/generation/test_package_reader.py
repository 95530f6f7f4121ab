"""Reading back: streamed and validated; a truncated or corrupt file is reported with its position, never half-read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import fastavro
import pytest

from envirosense.generation import (
    CorruptPackageError,
    IncompleteDatasetError,
    check_package,
    iter_samples,
    read_run_package,
    verify_package,
)
from envirosense.generation.dataset import MANIFEST_NAME
from envirosense.generation.units import UnitOutput, run_unit
from tests.generation.generation_helpers import as_records, make_unit


@pytest.fixture(scope="module")
def output() -> UnitOutput:
    return run_unit(make_unit(timesteps=200))


def _write(directory: Path, output: UnitOutput, data: bytes | None = None) -> Path:
    assert output.file_name is not None and output.data is not None
    path = directory / output.file_name
    path.write_bytes(output.data if data is None else data)
    return path


def _block_ends(data: bytes) -> list[int]:
    """Byte offsets just after each data block's sync marker."""
    handle = io.BytesIO(data)
    blocks = fastavro.block_reader(handle)
    ends = []
    for _ in blocks:
        ends.append(handle.tell())
    return ends


def test_intact_file_streams_every_sample(tmp_path: Path, output: UnitOutput) -> None:
    path = _write(tmp_path, output)
    samples = list(iter_samples(path))
    assert len(samples) == 200
    assert verify_package(path).package_id == output.package.package_id
    assert read_run_package(path) == output.package


@pytest.mark.parametrize("where", ["mid_block", "block_boundary", "mid_sync_marker", "header"])
def test_truncated_file_is_reported_before_any_sample(tmp_path: Path, output: UnitOutput, where: str) -> None:
    assert output.data is not None
    ends = _block_ends(output.data)
    assert len(ends) >= 3
    cut = {
        "mid_block": (ends[0] + ends[1]) // 2,
        "block_boundary": ends[1],
        "mid_sync_marker": ends[1] - 5,
        "header": 40,
    }[where]
    path = _write(tmp_path, output, output.data[:cut])
    stream = iter_samples(path)
    with pytest.raises(CorruptPackageError) as caught:
        next(stream)
    error = caught.value
    assert error.path == path
    assert str(path) in str(error)
    if where == "header":
        assert error.byte_offset == 0
    else:
        assert error.byte_offset is not None and ends[0] <= error.byte_offset <= cut
        assert error.sample_index is not None and 0 < error.sample_index < 200
        assert f"byte {error.byte_offset}" in str(error)


def test_truncated_file_in_a_dataset_stops_the_dataset_before_its_first_sample(
    tmp_path: Path, output: UnitOutput
) -> None:
    assert output.data is not None
    _write(tmp_path, run_unit(make_unit(run_index=1)))
    bad = _write(tmp_path, output, output.data[: _block_ends(output.data)[0] + 10])
    stream = iter_samples(tmp_path)
    with pytest.raises(CorruptPackageError) as caught:
        next(stream)
    assert caught.value.path == bad


def test_flipped_byte_in_the_data_is_caught(tmp_path: Path, output: UnitOutput) -> None:
    assert output.data is not None
    ends = _block_ends(output.data)
    corrupted = bytearray(output.data)
    corrupted[(ends[0] + ends[1]) // 2] ^= 0x5A
    path = _write(tmp_path, output, bytes(corrupted))
    with pytest.raises(CorruptPackageError) as caught:
        verify_package(path)
    assert str(path) in str(caught.value)
    with pytest.raises(CorruptPackageError):
        next(iter_samples(path, verify=True))


def test_a_file_renamed_away_from_its_hash_fails_verification(tmp_path: Path, output: UnitOutput) -> None:
    path = _write(tmp_path, output)
    renamed = path.rename(tmp_path / ("0" * 64 + ".avro"))
    assert check_package(renamed).package_id == output.package.package_id
    with pytest.raises(CorruptPackageError, match="file name"):
        verify_package(renamed)


def test_sample_that_breaks_the_contract_is_named(tmp_path: Path, output: UnitOutput) -> None:
    reader = fastavro.reader(io.BytesIO(output.data or b""))
    samples = as_records(reader)
    samples[3]["ground_truth_labels"]["anomaly_severity_score"] = 7.5
    buffer = io.BytesIO()
    fastavro.writer(buffer, reader.writer_schema, samples, metadata=dict(reader.metadata))
    path = _write(tmp_path, output, buffer.getvalue())
    stream = iter_samples(path)
    assert len([next(stream) for _ in range(3)]) == 3
    with pytest.raises(CorruptPackageError) as caught:
        next(stream)
    assert caught.value.sample_index == 3
    assert "anomaly_severity_score" in str(caught.value)
    assert len(list(iter_samples(path, validate=False))) == 200


def test_dataset_whose_generation_did_not_finish_is_refused(tmp_path: Path, output: UnitOutput) -> None:
    _write(tmp_path, output)
    assert len(list(iter_samples(tmp_path))) == 200
    (tmp_path / MANIFEST_NAME).write_text(
        json.dumps(
            {
                "status": "in_progress",
                "request_fingerprint": "f" * 64,
                "request": {},
                "generator_version": "1.0.0",
                "simulation_engine_version": "1.0.0",
                "data_schema_versions": {},
            }
        )
    )
    with pytest.raises(IncompleteDatasetError, match="rerun"):
        next(iter_samples(tmp_path))
