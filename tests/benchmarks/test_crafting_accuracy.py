"""The crafting-accuracy benchmark's quick mode in CI: crafted thermal, acoustic and gas scenarios meet the
documented tolerance on simulation seeds the crafter never used (the script exits non-zero otherwise)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import crafting_accuracy

pytestmark = pytest.mark.slow


def test_quick_mode_meets_the_tolerance_on_fresh_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    crafting_accuracy.main(["--quick"])
    output = capsys.readouterr().out
    assert "within tolerance on fresh seeds: 100% of 3" in output
    for family in ("thermal", "acoustic", "gas"):
        assert f"  {family} " in output
