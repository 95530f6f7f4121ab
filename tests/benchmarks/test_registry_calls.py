"""The registry-calls benchmark runs (two calls per variant) and prints one row per call it compares."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import registry_calls


def test_registry_calls_prints_each_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    assert registry_calls.main(["--calls", "2", "--metrics", "5"]) == 0
    printed = capsys.readouterr().out
    for row in ("resolve champion", "load champion", "log 5 metrics"):
        assert row in printed
