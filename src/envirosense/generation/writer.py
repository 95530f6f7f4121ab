"""Avro package files: samples encoded once, hashed without their wall-clock timestamp, written atomically.

A package file is a standard Avro object container (readable by fastavro and by the Apache ``avro``
library) holding ``MLDataSample`` records. Its header carries the ``ScenarioRunPackage`` as JSON under
the metadata key ``envirosense.run_package``, and a fixed sync marker, so the same samples always give
the same bytes apart from the wall-clock ``generation_timestamp_utc``.

The content hash (the package id, and the file name) is the SHA-256 of every sample's Avro binary
encoding with ``generation_timestamp_utc`` left out, in file order: exactly the encoding of the samples
under the ``MLDataSample`` schema without that field. Avro encodes a record as the concatenation of
its fields, so the encoder serialises each record once with fastavro and hashes the bytes around the
timestamp; the data blocks are then framed per the Avro container specification (block count, byte
size, compressed bytes, sync marker) behind a header written by fastavro. This saves a second
serialisation pass, which would cost about as much as writing the file.
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import fastavro
from fastavro.write import Writer

from envirosense.schemas import ScenarioRunPackage
from envirosense.schemas.avro import parsed_schema, shipped_avsc

Codec = Literal["deflate", "null"]

RUN_PACKAGE_KEY = "envirosense.run_package"
"""Avro file metadata key holding the ``ScenarioRunPackage`` JSON."""

SYNC_MARKER = hashlib.sha256(b"envirosense.generation sync marker v1").digest()[:16]
"""The fixed 16-byte sync marker of every package file (fastavro picks a random one otherwise)."""

PACKAGE_SUFFIX = ".avro"
TIMESTAMP_FIELD = "generation_timestamp_utc"
BLOCK_TARGET_BYTES = 64 * 1024
"""Uncompressed size at which a data block is closed; it bounds the reader's memory per block."""


@cache
def _schemas() -> tuple[Any, Any, Any]:
    """Parsed schemas: the full sample, the sample without its timestamp, and the fields before it."""
    full = shipped_avsc("MLDataSample")
    names = [field["name"] for field in full["fields"]]
    cut = names.index(TIMESTAMP_FIELD)
    without = copy.deepcopy(full)
    without["fields"] = [field for field in without["fields"] if field["name"] != TIMESTAMP_FIELD]
    prefix = copy.deepcopy(full)
    prefix["name"] = "MLDataSamplePrefix"
    prefix["fields"] = prefix["fields"][:cut]
    return parsed_schema("MLDataSample"), fastavro.parse_schema(without), fastavro.parse_schema(prefix)


def timestamp_free_schema() -> Any:
    """The parsed ``MLDataSample`` schema without ``generation_timestamp_utc`` (defines the content hash)."""
    return _schemas()[1]


def _encode(schema: Any, record: Any) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, record)
    return buffer.getvalue()


_TIMESTAMP_SCHEMA = fastavro.parse_schema({"type": "long", "logicalType": "timestamp-micros"})


@lru_cache(maxsize=64)
def _timestamp_bytes(value: datetime) -> bytes:
    return _encode(_TIMESTAMP_SCHEMA, value)


def _long_size(value: int) -> int:
    """Bytes of ``value`` as an Avro long (zig-zag varint)."""
    zigzag = (value << 1) ^ (value >> 63)
    return max(1, -(-zigzag.bit_length() // 7))


def _string_size(value: str) -> int:
    length = len(value.encode())
    return _long_size(length) + length


_FIXED_SIZES: dict[str, Callable[[Any], int]] = {
    "string": _string_size,
    "double": lambda _: 8,
    "float": lambda _: 4,
    "boolean": lambda _: 1,
    "long": _long_size,
    "int": _long_size,
}


@cache
def _prefix_sizers() -> tuple[tuple[str, Callable[[Any], int]], ...] | None:
    """Per field before the timestamp, its name and a function giving its encoded size without encoding
    it; ``None`` if one of them is not a primitive (then the prefix is encoded to measure it)."""
    full = shipped_avsc("MLDataSample")
    names = [field["name"] for field in full["fields"]]
    sizers = []
    for field in full["fields"][: names.index(TIMESTAMP_FIELD)]:
        sizer = _FIXED_SIZES.get(field["type"]) if isinstance(field["type"], str) else None
        if sizer is None:
            return None
        sizers.append((field["name"], sizer))
    return tuple(sizers)


def _prefix_size(sample: Mapping[str, Any]) -> int:
    sizers = _prefix_sizers()
    if sizers is None:
        return len(_encode(_schemas()[2], sample))
    return sum(sizer(sample[name]) for name, sizer in sizers)


class SampleEncoder:
    """Encodes ``MLDataSample`` dicts to Avro binary and hashes them without their timestamp.

    ``add`` one sample at a time (in file order); ``blocks`` holds ``(record count, raw bytes)`` per
    data block and ``content_hash`` the hex SHA-256 of the timestamp-free encoding.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._buffer = io.BytesIO()
        self._cuts: list[tuple[int, int, bytes]] = []
        self.blocks: list[tuple[int, bytes]] = []
        self.count = 0

    def add(self, sample: Mapping[str, Any]) -> None:
        start = self._buffer.tell()
        fastavro.schemaless_writer(self._buffer, _schemas()[0], sample)
        self._cuts.append((start, start + _prefix_size(sample), _timestamp_bytes(sample[TIMESTAMP_FIELD])))
        self.count += 1
        if self._buffer.tell() >= BLOCK_TARGET_BYTES:
            self._close_block()

    def _close_block(self) -> None:
        if not self._cuts:
            return
        data = self._buffer.getvalue()
        view = memoryview(data)
        ends = [start for start, _, _ in self._cuts[1:]] + [len(data)]
        for (start, head, stamp), end in zip(self._cuts, ends, strict=True):
            tail = head + len(stamp)
            if view[head:tail] != stamp:
                raise ValueError("generation_timestamp_utc is not where the MLDataSample schema puts it")
            self._hash.update(view[start:head])
            self._hash.update(view[tail:end])
        self.blocks.append((len(self._cuts), data))
        self._cuts = []
        self._buffer = io.BytesIO()

    def finish(self) -> EncodedSamples:
        """Close the last block and return the encoding."""
        self._close_block()
        return EncodedSamples(blocks=tuple(self.blocks), content_hash=self._hash.hexdigest(), count=self.count)


@dataclass(frozen=True)
class EncodedSamples:
    """Samples encoded as Avro data blocks, with their content hash."""

    blocks: tuple[tuple[int, bytes], ...]
    content_hash: str
    count: int


def encode_samples(samples: Iterable[Mapping[str, Any]]) -> EncodedSamples:
    """Encode ``samples`` (``MLDataSample`` dicts) once; see ``SampleEncoder``."""
    encoder = SampleEncoder()
    for sample in samples:
        encoder.add(sample)
    return encoder.finish()


def content_hash(samples: Iterable[Mapping[str, Any]]) -> str:
    """Hex SHA-256 of the samples' Avro encoding without ``generation_timestamp_utc``."""
    digest = hashlib.sha256()
    schema = timestamp_free_schema()
    for sample in samples:
        digest.update(_encode(schema, sample))
    return digest.hexdigest()


def _compress(codec: Codec, raw: bytes) -> bytes:
    if codec == "null":
        return raw
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # raw deflate (RFC 1951)
    return compressor.compress(raw) + compressor.flush()


def package_bytes(package: ScenarioRunPackage, encoded: EncodedSamples, codec: Codec = "deflate") -> bytes:
    """The complete Avro file: header with ``package`` in its metadata, then the encoded blocks."""
    if package.sample_count != encoded.count or package.package_id != encoded.content_hash:
        raise ValueError("the run package does not describe these samples (count or content hash differs)")
    out = io.BytesIO()
    header = Writer(
        out,
        _schemas()[0],
        codec=codec,
        sync_marker=SYNC_MARKER,
        metadata={RUN_PACKAGE_KEY: package.model_dump_json()},
    )
    header.flush()
    for count, raw in encoded.blocks:
        data = _compress(codec, raw)
        fastavro.schemaless_writer(out, "long", count)
        fastavro.schemaless_writer(out, "long", len(data))
        out.write(data)
        out.write(SYNC_MARKER)
    return out.getvalue()


def package_file_name(package_id: str) -> str:
    """A package file is named by its content hash."""
    return f"{package_id}{PACKAGE_SUFFIX}"


def temp_path(final: Path) -> Path:
    """The hidden temporary path a file is written to before being renamed to ``final``."""
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def write_atomic(final: Path, data: bytes) -> None:
    """Write ``data`` to ``final`` so that ``final`` is either absent or complete: temporary file,
    fsync, rename. The caller fsyncs the folder once at the end (``fsync_directory``).
    """
    temporary = temp_path(final)
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(final)
    finally:
        temporary.unlink(missing_ok=True)


def fsync_directory(directory: Path) -> None:
    """Make renames inside ``directory`` durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
