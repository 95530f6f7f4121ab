"""Real MLDataSample dicts from the simulator, for the schema tests and the release fixtures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from envirosense.simulation import scenario_class


def baseline_samples(count: int, seed: int, *, include_thermal_image: bool = False) -> list[dict[str, Any]]:
    scenario = scenario_class("baseline_operation")()
    result = scenario.simulate(scenario.sample_times(10.0, count=count), np.random.default_rng(seed))
    return result.to_sample_dicts(
        scenario_id=scenario.scenario_id,
        sample_ids=[f"fixture-{i}" for i in range(count)],
        metadata=[
            {
                "scenario_definition_id": scenario.scenario_id,
                "scenario_definition_version": 1,
                "seed": seed,
                "sample_index": i,
            }
            for i in range(count)
        ],
        generation_timestamp_utc=datetime(2026, 11, 27, tzinfo=UTC),
        include_thermal_image=include_thermal_image,
    )
