"""Reading package files and datasets back: streamed, bounded in memory, validated, never half-read.

Before the first sample of a file is yielded, every data block of the file is walked (decompressed,
not decoded) and the record count is checked against the header's ``sample_count``: a truncated or
corrupt file raises ``CorruptPackageError`` naming the file and the byte offset and sample index of
the first bad block, and yields nothing. Memory is bounded by one data block (about 64 KiB raw).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import fastavro
from pydantic import ValidationError

from envirosense.generation.dataset import dataset_files
from envirosense.generation.errors import CorruptPackageError, GenerationError
from envirosense.generation.writer import PACKAGE_SUFFIX, RUN_PACKAGE_KEY, content_hash
from envirosense.schemas import MLDataSample, ScenarioRunPackage
from envirosense.schemas.avro import parsed_schema


def _header(path: Path, handle: IO[bytes]) -> tuple[Any, ScenarioRunPackage]:
    try:
        reader = fastavro.reader(handle)
    except Exception as exc:
        raise CorruptPackageError(path, f"not a readable Avro file ({exc})", byte_offset=0) from exc
    raw = reader.metadata.get(RUN_PACKAGE_KEY)
    if raw is None:
        raise CorruptPackageError(path, f"no {RUN_PACKAGE_KEY!r} in the Avro header", byte_offset=0)
    try:
        package = ScenarioRunPackage.model_validate_json(raw)
    except ValidationError as exc:
        raise CorruptPackageError(path, f"invalid run package in the header: {exc}", byte_offset=0) from exc
    return reader, package


def read_run_package(path: Path) -> ScenarioRunPackage:
    """The ``ScenarioRunPackage`` in the file's header (only the header is read)."""
    with path.open("rb") as handle:
        return _header(path, handle)[1]


def check_package(path: Path) -> ScenarioRunPackage:
    """Walk every data block of ``path`` without decoding records; raise ``CorruptPackageError`` if a
    block is truncated, fails to decompress, lacks its sync marker, or the record count differs from
    the header's ``sample_count``. Returns the header.
    """
    with path.open("rb") as handle:
        _, package = _header(path, handle)
        handle.seek(0)
        blocks = fastavro.block_reader(handle)
        samples = 0
        block_index = 0
        while True:
            start = handle.tell()
            try:
                block = next(blocks)
            except StopIteration:
                break
            except Exception as exc:
                raise CorruptPackageError(
                    path,
                    f"truncated or corrupt data block {block_index} ({type(exc).__name__}: {exc}); "
                    f"the header promises {package.sample_count} samples",
                    byte_offset=start,
                    sample_index=samples,
                ) from exc
            samples += block.num_records
            block_index += 1
        if samples != package.sample_count:
            raise CorruptPackageError(
                path,
                f"truncated: the header promises {package.sample_count} samples, the file holds {samples}",
                byte_offset=handle.tell(),
                sample_index=samples,
            )
    return package


def iter_package_samples(path: Path, *, validate: bool = True) -> Iterator[dict[str, Any]]:
    """Stream the samples of one package file, after ``check_package`` has passed.

    With ``validate`` every sample is checked against ``MLDataSample`` (ranges and types); a sample that
    fails raises ``CorruptPackageError`` naming its index.
    """
    return _records(path, check_package(path), validate)


def _records(path: Path, package: ScenarioRunPackage, validate: bool) -> Iterator[dict[str, Any]]:
    reader_schema = None
    if package.data_schema_versions.get("MLDataSample") != MLDataSample.schema_version:
        reader_schema = parsed_schema("MLDataSample")
    with path.open("rb") as handle:
        index = 0
        try:
            for record in fastavro.reader(handle, reader_schema=reader_schema):
                assert isinstance(record, dict)
                if validate:
                    MLDataSample.model_validate(record)
                yield record
                index += 1
        except ValidationError as exc:
            raise CorruptPackageError(path, f"invalid sample: {exc}", sample_index=index) from exc
        except GenerationError:
            raise
        except Exception as exc:
            raise CorruptPackageError(
                path, f"cannot decode ({type(exc).__name__}: {exc})", byte_offset=handle.tell(), sample_index=index
            ) from exc


def verify_package(path: Path, *, validate: bool = True) -> ScenarioRunPackage:
    """Full check of one package: blocks, every sample decodable (and valid, with ``validate``), and the
    content hash equal to the header's ``package_id`` and to the file name. Returns the header.
    """
    package = check_package(path)
    digest = content_hash(_records(path, package, validate=validate))
    if digest != package.package_id:
        raise CorruptPackageError(
            path, f"content hash {digest} differs from the header's package id {package.package_id}"
        )
    if path.name != f"{package.package_id}{PACKAGE_SUFFIX}":
        raise CorruptPackageError(path, f"file name does not match its package id {package.package_id}")
    return package


def iter_samples(path: Path, *, validate: bool = True, verify: bool = False) -> Iterator[dict[str, Any]]:
    """Stream ``MLDataSample`` dicts from a package file or a dataset folder, one at a time.

    A folder with a manifest yields its packages in manifest order (and refuses an unfinished
    generation); a folder without one yields every ``*.avro`` file in name order. Every file is
    checked (``check_package``) before the first sample is yielded. Avro's deflate codec has no
    checksum, so a flipped bit inside compressed data can decode to wrong values: ``verify`` also checks
    every file's content hash first (``verify_package``), at the cost of one extra decoding pass.
    """
    path = Path(path)
    files = dataset_files(path) if path.is_dir() else [path]
    check = verify_package if verify else check_package
    packages = [check(file) for file in files]
    for file, package in zip(files, packages, strict=True):
        yield from _records(file, package, validate)
