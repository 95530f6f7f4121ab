"""Crafting scenarios from feature summaries: a pluggable ``Crafter`` chosen when a repository is built."""

from envirosense.repository.crafting.base import (
    Crafter,
    CraftRequest,
    CraftResult,
    FeatureTarget,
    choose_class,
    feature_targets,
)
from envirosense.repository.crafting.failure_seeking import FailureSeekingCrafter, ScoreFunction
from envirosense.repository.crafting.forward import ForwardModel
from envirosense.repository.crafting.inverse import RuleBasedInverseCrafter

__all__ = [
    "CraftRequest",
    "CraftResult",
    "Crafter",
    "FailureSeekingCrafter",
    "FeatureTarget",
    "ForwardModel",
    "RuleBasedInverseCrafter",
    "ScoreFunction",
    "choose_class",
    "feature_targets",
]
