"""Generation progress events count real samples up to the planned total."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envirosense.generation import MLDataGenerator
from envirosense.learning.progress import generation_progress
from envirosense.simulation import scenario_class


def test_events_count_samples_done_out_of_planned(tmp_path: Path) -> None:
    events: list[Mapping[str, Any]] = []
    definitions = [scenario_class(name)().to_definition() for name in ("baseline_operation", "arcing_event")]
    report = MLDataGenerator(workers=0).generate(
        definitions,
        tmp_path / "d",
        seed=3,
        samples_per_run=5,
        spread_over_duration=True,
        runs_per_scenario=2,
        progress=generation_progress(lambda event, fields: events.append({"event": event, **fields}), "probe", 5),
    )
    assert [event["event"] for event in events] == ["generation_progress"] * 4
    assert {event["purpose"] for event in events} == {"probe"}
    assert [event["samples_done"] for event in events] == [5, 10, 15, 20]
    assert {event["samples_planned"] for event in events} == {20} == {report.total_samples}


def test_no_callback_without_a_listener() -> None:
    assert generation_progress(None, "probe", 5) is None
