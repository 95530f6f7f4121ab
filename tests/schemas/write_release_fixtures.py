"""Write one small Avro file per top-level schema at its current version into tests/schemas/data/.

Run once per released schema version (``python tests/schemas/write_release_fixtures.py``) and commit the
files; ``test_schema_evolution.py`` then proves every later reader still reads them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import fastavro
import numpy as np

from envirosense.schemas.avro import parsed_schema, schema_versions
from envirosense.simulation import scenario_class

DATA = Path(__file__).parent / "data"


def main() -> None:
    DATA.mkdir(exist_ok=True)
    scenario = scenario_class("baseline_operation")()
    result = scenario.simulate(scenario.sample_times(10.0, count=4), np.random.default_rng(2026))
    samples = result.to_sample_dicts(
        scenario_id=scenario.scenario_id,
        sample_ids=[f"fixture-{i}" for i in range(4)],
        metadata=[
            {
                "scenario_definition_id": scenario.scenario_id,
                "scenario_definition_version": 1,
                "seed": 2026,
                "sample_index": i,
            }
            for i in range(4)
        ],
        generation_timestamp_utc=datetime(2026, 11, 27, tzinfo=UTC),
        include_thermal_image=True,
    )
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
