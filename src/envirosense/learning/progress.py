"""Generation progress as loop events: how the loop tells a display how many samples are done."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from envirosense.generation.generator import UnitEvent

EventCallback = Callable[[str, Mapping[str, Any]], None]


def generation_progress(
    on_event: EventCallback | None, purpose: str, samples_per_run: int
) -> Callable[[UnitEvent], None] | None:
    """A ``progress`` callback for ``MLDataGenerator.generate`` that reports every finished work unit as the
    event ``generation_progress`` with ``purpose``, ``samples_done`` and ``samples_planned`` (work units
    planned × ``samples_per_run``); ``None`` when there is no ``on_event``."""
    if on_event is None:
        return None
    done = 0

    def report(event: UnitEvent) -> None:
        nonlocal done
        done += event.sample_count
        planned = max(event.units_planned * samples_per_run, done)
        on_event("generation_progress", {"purpose": purpose, "samples_done": done, "samples_planned": planned})

    return report
