"""The loop-speed benchmark runs in its quick mode and reads the loop's own profile, which accounts for every
cycle's time: each step's seconds are its own (never negative, which double counting would make
``other``), the steps each strategy performs are the ones that show time, and with the loop's time around
the cycle they add up to the wall time measured outside."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import loop_speed
from envirosense.ops.timing import (
    BOOKKEEPING,
    CANDIDATE_EVALUATION,
    OTHER,
    PRIORITISATION,
    PROBE_EVALUATION,
    PROBE_GENERATION,
    TARGETED_GENERATION,
    TRAINING,
    WEAK_SPOT_IDENTIFICATION,
)

pytestmark = pytest.mark.slow


def test_quick_mode_profiles_alm_and_random(tmp_path: Path) -> None:
    figures = tmp_path / "loop_speed.json"
    assert loop_speed.main(["--quick", "--strategies", "alm,random", "--json", str(figures)]) == 0
    result = json.loads(figures.read_text())
    for strategy in ("alm", "random"):
        profile, wall = result["profiles"][strategy], sum(result["wall"][strategy])
        assert set(profile) == set(loop_speed.STEPS)
        assert all(seconds >= 0 for seconds in profile.values()), profile
        assert sum(profile.values()) == pytest.approx(wall)
        for step in (PRIORITISATION, TARGETED_GENERATION, TRAINING, CANDIDATE_EVALUATION, *BOOKKEEPING, OTHER):
            assert profile[step] > 0, (strategy, step)
    for step in (PROBE_GENERATION, PROBE_EVALUATION, WEAK_SPOT_IDENTIFICATION):
        assert result["profiles"]["alm"][step] > 0, step
        assert result["profiles"]["random"][step] == 0, step
