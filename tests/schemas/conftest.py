from __future__ import annotations

from typing import Any

import pytest

from tests.schemas.sample_factory import baseline_samples


@pytest.fixture(scope="session")
def valid_sample() -> dict[str, Any]:
    """One real MLDataSample dict from the simulator."""
    return baseline_samples(3, 7)[1]
