"""The current readers still read a file written with every released schema version (Avro resolution)."""

from __future__ import annotations

from pathlib import Path

import fastavro
import pytest

from envirosense.schemas import MLDataSample, Record, ScenarioDefinition
from envirosense.schemas.avro import parsed_schema

DATA = Path(__file__).parent / "data"
MODELS: dict[str, type[Record]] = {"MLDataSample": MLDataSample, "ScenarioDefinition": ScenarioDefinition}
FIXTURES = sorted(DATA.glob("*.avro"))


def test_there_is_a_fixture_per_top_level_schema() -> None:
    assert {path.name.split("-")[0] for path in FIXTURES} == set(MODELS)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_current_schema_reads_released_file(path: Path) -> None:
    name = path.name.split("-")[0]
    with path.open("rb") as stream:
        rows = list(fastavro.reader(stream, reader_schema=parsed_schema(name)))
    assert rows
    for row in rows:
        MODELS[name].model_validate(row)
