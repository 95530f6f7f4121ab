"""The explicit context of one cycle, handed to every step and to the acquisition policy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from envirosense.generation import Lineage
from envirosense.learning.config import ActiveLearningConfig
from envirosense.schemas import WeakSpot

EventCallback = Callable[[str, Mapping[str, Any]], None]
"""``(event, fields)``: progress for displays and trackers (``cycle_step``, ``cycle_done``, …)."""


def derived_rng(*parts: object) -> np.random.Generator:
    """A generator seeded from ``parts`` (run seed, cycle, purpose…): independent streams per purpose."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def derived_seed(*parts: object) -> int:
    """An integer seed in [0, 2**62) drawn from ``derived_rng(*parts)``."""
    return int(derived_rng(*parts).integers(0, 2**62))


def _ignore(event: str, fields: Mapping[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class CycleContext:
    """Who and where a cycle is: run, index, the champion it starts from, the run's config and folder.

    ``probe_dataset`` and ``weak_spots`` are the cycle's probe set and prioritised spots once identified.
    ``rng(*purpose)`` is the seeded generator of one purpose of this run (the same parts give the same
    stream on a resume); ``emit`` reports progress events.
    """

    run_id: str
    index: int
    champion: str | None
    config: ActiveLearningConfig
    folder: Path
    emit: EventCallback = _ignore
    probe_dataset: str | None = None
    weak_spots: tuple[WeakSpot, ...] = ()

    @property
    def cycle_id(self) -> str:
        return f"{self.run_id}:cycle-{self.index}"

    @property
    def seed(self) -> int:
        return self.config.seed

    def rng(self, *purpose: object) -> np.random.Generator:
        return derived_rng(self.config.seed, *purpose)

    def lineage(self, weak_spot_id: str | None = None) -> Lineage:
        return Lineage(
            weak_spot_ids=(weak_spot_id,) if weak_spot_id else (),
            cycle_id=self.cycle_id,
            triggering_model_version=self.champion,
        )
