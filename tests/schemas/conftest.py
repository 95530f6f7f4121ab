from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from envirosense.simulation import scenario_class


@pytest.fixture(scope="session")
def valid_sample() -> dict[str, Any]:
    """One real MLDataSample dict from the simulator."""
    scenario = scenario_class("baseline_operation")()
    result = scenario.simulate(scenario.sample_times(10.0, count=3), np.random.default_rng(7))
    samples = result.to_sample_dicts(
        scenario_id=scenario.scenario_id,
        sample_ids=[f"s{i}" for i in range(3)],
        metadata=[
            {
                "scenario_definition_id": scenario.scenario_id,
                "scenario_definition_version": 1,
                "seed": 7,
                "sample_index": i,
            }
            for i in range(3)
        ],
        generation_timestamp_utc=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return samples[1]
