"""``ModelInterface``: how the active-learning loop asks a model where it is weak."""

from __future__ import annotations

from abc import ABC, abstractmethod

from envirosense.models.datasets import EvaluationDataset
from envirosense.schemas import ModelPerformanceData


class ModelInterface(ABC):
    """Evaluates a model version on labelled samples and reports the full ``ModelPerformanceData``."""

    @abstractmethod
    def get_model_performance_feedback(
        self, evaluation_dataset: EvaluationDataset, model_version_tag: str | None = None
    ) -> ModelPerformanceData:
        """Evaluate ``model_version_tag`` (a version number or an alias; None: the default version).

        ``evaluation_dataset`` is a list of ``MLDataSample`` dicts or a path to an Avro file or a folder of
        them. The result is validated; samples must carry ``extracted_class_label``.
        """
