"""Write one small Avro file per top-level schema at its current version into tests/schemas/data/.

Run once per released schema version (``python -m tests.schemas.write_release_fixtures`` from the repository
root) and commit the files; ``test_schema_evolution.py`` then proves every later reader still reads them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import fastavro

from envirosense.schemas.avro import parsed_schema, schema_versions
from envirosense.simulation import scenario_class
from tests.schemas.sample_factory import baseline_samples

DATA = Path(__file__).parent / "data"


def main() -> None:
    DATA.mkdir(exist_ok=True)
    samples = baseline_samples(4, 2026, include_thermal_image=True)
    scenario = scenario_class("baseline_operation")()
    definition = scenario.to_definition(creation_timestamp_utc=datetime(2026, 11, 27, tzinfo=UTC))
    versions = schema_versions()
    records = {
        "MLDataSample": samples,
        "ScenarioDefinition": [definition.model_dump(mode="python")],
    }
    for name, rows in records.items():
        path = DATA / f"{name}-{versions[name]}.avro"
        with path.open("wb") as out:
            fastavro.writer(out, parsed_schema(name), rows, codec="deflate", sync_marker=b"envirosense-fix!")
        print(path)


if __name__ == "__main__":
    main()
