"""Suggestions: what the loop proposes to simulate for a weak spot, reviewed before it is applied."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SuggestionAction(StrEnum):
    """How a suggestion makes scenarios, in the order the loop tries them for a spot."""

    VARIATION = "variation"
    CRAFT = "craft"
    CLASS_KNOWN = "class_known"
    EXPLORATION = "exploration"
    RANDOM = "random"
    POOL = "pool"
    PROBE = "probe"


class Suggestion(BaseModel):
    """One proposal: ``samples`` new samples by ``action`` for ``weak_spot_id`` (none for exploration)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suggestion_id: str
    weak_spot_id: str | None = None
    action: SuggestionAction
    samples: int = Field(ge=1)
    base_scenario_id: str | None = None
    target_class: str | None = None
    sensor_id: str | None = None
    param_modifications: list[dict[str, Any]] = Field(
        default_factory=list, description="Variation: one set of dotted-path changes per scenario run."
    )
    rationale: str = ""
    draw_key: str = Field(
        "", description="What the suggestion's random draws are seeded from (cycle, spot content, action); no run id."
    )

    @property
    def stream(self) -> str:
        """The key of the suggestion's random streams: ``draw_key`` (its id for suggestions stored before it)."""
        return self.draw_key or self.suggestion_id

    @staticmethod
    def make_id(run_id: str, cycle_index: int, weak_spot_id: str | None, action: SuggestionAction) -> str:
        """The suggestion's name: unique across runs, so never a source of randomness."""
        digest = hashlib.sha256(f"{run_id}|{cycle_index}|{weak_spot_id}|{action.value}".encode()).hexdigest()
        return f"sg-{digest[:14]}"

    @staticmethod
    def make_draw_key(cycle_index: int, spot_key: str | None, action: SuggestionAction) -> str:
        """The seed material of a suggestion: the cycle, the content of its weak spot and its action."""
        digest = hashlib.sha256(f"{cycle_index}|{spot_key}|{action.value}".encode()).hexdigest()
        return f"dk-{digest[:14]}"
