"""``ModelInterface``: how the active-learning loop asks a model where it is weak, and what it predicts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from envirosense.models.datasets import EvaluationDataset
from envirosense.models.errors import ModelError
from envirosense.models.uncertainty import UncertaintyMeasure, UncertaintyScores, top_two_margin
from envirosense.schemas import ModelPerformanceData

MEMBER_MEASURES = frozenset({UncertaintyMeasure.EPISTEMIC, UncertaintyMeasure.DISAGREEMENT})
"""Measures that need ensemble members; a model server returns only the mean distribution."""


class MembersUnavailableError(ModelError):
    """A measure needs ensemble members and this model interface sees only the mean distribution."""

    def __init__(self, measure: UncertaintyMeasure) -> None:
        super().__init__(
            f"uncertainty measure {measure.value!r} needs ensemble members, and a model server returns only the "
            "mean distribution (it would rank every sample 0); use entropy, margin or least_confidence"
        )


@dataclass(frozen=True)
class Predictions:
    """Class probabilities of a dataset's samples, in the dataset's order.

    ``proba`` is ``(n_samples, n_classes)``, column ``j`` for ``class_labels[j]``; ``labels`` are the
    samples' true ``extracted_class_label`` values.
    """

    sample_ids: list[str]
    labels: list[str]
    class_labels: list[str]
    proba: NDArray[np.float64]

    def margins(self) -> NDArray[np.float64]:
        """Top-two probability margin per sample ``(n_samples,)``: small means the model barely separates it."""
        return top_two_margin(self.proba)

    def true_class_error(self) -> NDArray[np.float64]:
        """``1 − p(true label)`` per sample ``(n_samples,)``; 1 for a label the model has no column for."""
        column = {label: j for j, label in enumerate(self.class_labels)}
        known = np.array([label in column for label in self.labels], dtype=bool)
        columns = np.array([column.get(label, 0) for label in self.labels], dtype=np.int64)
        error: NDArray[np.float64] = np.where(known, 1.0 - self.proba[np.arange(len(self.labels)), columns], 1.0)
        return error

    def wrong(self) -> NDArray[np.bool_]:
        """Whether the most probable class differs from the true label, per sample ``(n_samples,)``."""
        predicted = np.asarray(self.class_labels)[self.proba.argmax(axis=1)]
        wrong: NDArray[np.bool_] = predicted != np.asarray(self.labels)
        return wrong


class ModelInterface(ABC):
    """Evaluates a model version on labelled samples and reports the full ``ModelPerformanceData``;
    predicts class probabilities of samples.

    Every method may raise ``models.errors.ModelUnavailableError`` (or a subclass) when the model cannot
    answer now (a server down, a breaker open, a model loading, an answer that does not validate) and
    another ``ModelError`` when the model refused the request; invalid samples raise ``ValueError``
    subclasses (``InvalidSampleError``, ``FeatureExtractionError``).
    """

    @abstractmethod
    def get_model_performance_feedback(
        self, evaluation_dataset: EvaluationDataset, model_version_tag: str | None = None
    ) -> ModelPerformanceData:
        """Evaluate ``model_version_tag`` (a version number or an alias; None: the default version).

        ``evaluation_dataset`` is a list of ``MLDataSample`` dicts or a path to an Avro file or a folder of
        them. The result is validated; samples must carry ``extracted_class_label``.
        """

    def deploy(self, model_version_tag: str | None) -> None:  # noqa: B027 - a no-op is right for local models
        """Make ``model_version_tag`` available to this interface (a model server loads it); local models
        need nothing."""

    @abstractmethod
    def predict_proba(self, samples: EvaluationDataset, model_version_tag: str | None = None) -> Predictions:
        """Class probabilities of ``model_version_tag`` for every sample of ``samples`` (as for
        ``get_model_performance_feedback``), streamed in batches."""

    def predict_uncertainty(
        self, samples: EvaluationDataset, measure: UncertaintyMeasure, model_version_tag: str | None = None
    ) -> tuple[Predictions, NDArray[np.float64]]:
        """``predict_proba`` and the per-sample ``measure`` ``(n_samples,)`` (higher = less sure).

        This default sees only the mean distribution, so it refuses ``MEMBER_MEASURES`` with
        ``MembersUnavailableError``; an interface that has the ensemble's members overrides it.
        """
        if measure in MEMBER_MEASURES:
            raise MembersUnavailableError(measure)
        predictions = self.predict_proba(samples, model_version_tag)
        return predictions, UncertaintyScores(predictions.proba).score(measure)
