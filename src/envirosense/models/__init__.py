"""Features from samples, training, the MLflow model registry, and evaluation into ``ModelPerformanceData``.

The interfaces are imported lazily, so ``envirosense.models.features`` does not pull in MLflow or httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envirosense.models.api import ApiBasedModelInterface, ApiSettings
    from envirosense.models.evaluation import EvaluationConfig
    from envirosense.models.features import FeatureExtractor
    from envirosense.models.interface import ModelInterface
    from envirosense.models.local import LocalModelInterface
    from envirosense.models.registry import ModelRegistry
    from envirosense.models.training import ModelTrainer, TrainingConfig

_EXPORTS = {
    "ApiBasedModelInterface": "envirosense.models.api",
    "ApiSettings": "envirosense.models.api",
    "EvaluationConfig": "envirosense.models.evaluation",
    "FeatureExtractor": "envirosense.models.features",
    "LocalModelInterface": "envirosense.models.local",
    "ModelInterface": "envirosense.models.interface",
    "ModelRegistry": "envirosense.models.registry",
    "ModelTrainer": "envirosense.models.training",
    "TrainingConfig": "envirosense.models.training",
}

__all__ = [
    "ApiBasedModelInterface",
    "ApiSettings",
    "EvaluationConfig",
    "FeatureExtractor",
    "LocalModelInterface",
    "ModelInterface",
    "ModelRegistry",
    "ModelTrainer",
    "TrainingConfig",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'envirosense.models' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
