"""The loop-speed benchmark runs in its quick mode and its profile accounts for every cycle's time: each
step's seconds are its own (never negative, which double counting would make ``other``), the steps each
strategy performs are the ones that show time, and they add up to the cycle's wall time."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import loop_speed

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
        for step in ("generation", "training", "candidate evaluation", "run store", "model registry"):
            assert profile[step] > 0, (strategy, step)
    assert result["profiles"]["alm"]["probe generation"] > 0
    assert result["profiles"]["alm"]["probe evaluation"] > 0
    assert result["profiles"]["random"]["probe generation"] == 0
