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

    @staticmethod
    def make_id(run_id: str, cycle_index: int, weak_spot_id: str | None, action: SuggestionAction) -> str:
        digest = hashlib.sha256(f"{run_id}|{cycle_index}|{weak_spot_id}|{action.value}".encode()).hexdigest()
        return f"sg-{digest[:14]}"
