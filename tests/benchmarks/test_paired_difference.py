"""The paired-difference report: per-seed AUBC differences, their mean and wins, and a clear message for a
label the results file does not hold."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import paired_difference


def _record(seed: int, uniform: list[float], low: list[float]) -> dict[str, object]:
    return {"seed": seed, "samples": [100, 200], "uniform": uniform, "low-intensity": low}


def test_differences_are_paired_by_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.json"
    runs = {
        "alm": [_record(1, [0.2, 0.4], [0.1, 0.1]), _record(2, [0.2, 0.6], [0.1, 0.3])],
        "pool-margin": [
            _record(2, [0.2, 0.4], [0.1, 0.1]),
            _record(1, [0.2, 0.4], [0.1, 0.3]),
            _record(3, [0, 0], [0, 0]),
        ],
    }
    results.write_text(json.dumps({"runs": runs}), encoding="utf-8")
    assert paired_difference.main([str(results), "alm", "pool-margin"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "alm − pool-margin: AUBC over 100–200 samples, 2 paired seeds"
    assert lines[1].split()[:2] == ["uniform", "+0.0500"] and "wins 1/2" in lines[1]
    assert lines[1].endswith("per seed +0.000 +0.100")
    assert lines[2].endswith("per seed -0.100 +0.100")


def test_an_unknown_label_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"runs": {"alm": []}}), encoding="utf-8")
    assert paired_difference.main([str(results), "alm", "nope"]) == 2
    assert "no runs labelled nope" in capsys.readouterr().err
