"""The active-learning loop: weak spots → targeted scenarios → new data → a better model, cycle by cycle.

``build_manager`` (``learning.assembly``) builds everything a run needs from its settings;
``ActiveLearningManager`` drives the cycles, ``CycleRunner`` runs one, an ``AcquisitionPolicy`` decides
what a cycle simulates and keeps (``register_policy`` adds one). The names below are imported on first
use, so ``import envirosense.learning.config`` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envirosense.learning.assembly import Workspace, build_manager
    from envirosense.learning.config import ActiveLearningConfig
    from envirosense.learning.context import CycleContext
    from envirosense.learning.history import CycleSummary, RunHistory
    from envirosense.learning.manager import ActiveLearningManager
    from envirosense.learning.policies import Acquired, AcquisitionPolicy, PoolMarginPolicy, RandomPolicy
    from envirosense.learning.policy_registry import PolicyParts, register_policy
    from envirosense.learning.runner import CycleRunner, load_history
    from envirosense.learning.settings import RunSettings
    from envirosense.learning.state import CycleState, CycleStep, DatasetSlice, RunRecord, RunStatus
    from envirosense.learning.stopping import stop_reason
    from envirosense.learning.store import RunStore
    from envirosense.learning.targeted import TargetedPolicy

_EXPORTS = {
    "Acquired": "policies",
    "AcquisitionPolicy": "policies",
    "ActiveLearningConfig": "config",
    "ActiveLearningManager": "manager",
    "CycleContext": "context",
    "CycleRunner": "runner",
    "CycleState": "state",
    "CycleStep": "state",
    "CycleSummary": "history",
    "DatasetSlice": "state",
    "PolicyParts": "policy_registry",
    "PoolMarginPolicy": "policies",
    "RandomPolicy": "policies",
    "RunHistory": "history",
    "RunRecord": "state",
    "RunSettings": "settings",
    "RunStatus": "state",
    "RunStore": "store",
    "TargetedPolicy": "targeted",
    "Workspace": "assembly",
    "build_manager": "assembly",
    "load_history": "runner",
    "register_policy": "policy_registry",
    "stop_reason": "stopping",
}

__all__ = [
    "Acquired",
    "AcquisitionPolicy",
    "ActiveLearningConfig",
    "ActiveLearningManager",
    "CycleContext",
    "CycleRunner",
    "CycleState",
    "CycleStep",
    "CycleSummary",
    "DatasetSlice",
    "PolicyParts",
    "PoolMarginPolicy",
    "RandomPolicy",
    "RunHistory",
    "RunRecord",
    "RunSettings",
    "RunStatus",
    "RunStore",
    "TargetedPolicy",
    "Workspace",
    "build_manager",
    "load_history",
    "register_policy",
    "stop_reason",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
