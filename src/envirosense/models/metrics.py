"""Classification metrics accumulated batch by batch (constant memory in the number of samples).

Everything is derived from a confusion matrix plus a running sum of log losses, so a dataset of any size
is scored in one pass. Definitions match scikit-learn's with ``zero_division=0``. Macro-F1 averages over the
classes *present in the evaluation set* (support > 0), i.e. scikit-learn's ``f1_score(..., labels=present,
average="macro")``: a class without evaluation samples has no defined recall, and counting it as F1 0 would
understate every model by ``1 / n_classes`` per missing class. ``absent_labels`` names the classes left out,
so callers can warn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from envirosense.schemas import ClassMetrics, ModelPerformanceData, OverallMetrics

LOG_LOSS_EPS = float(np.finfo(np.float64).eps)
"""Probabilities of the true class are clipped to [eps, 1 − eps] before the log, as scikit-learn does."""


class ConfusionAccumulator:
    """Confusion matrix over ``labels`` (rows true, columns predicted) and the log-loss sum.

    ``update`` takes integer class indices into ``labels`` (shape ``(n,)``) and, for log loss, the
    probability the model gave to the true class (shape ``(n,)``).
    """

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        self.matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
        self.log_loss_sum = 0.0

    @property
    def count(self) -> int:
        return int(self.matrix.sum())

    def update(
        self,
        y_true: NDArray[np.int64],
        y_pred: NDArray[np.int64],
        true_class_proba: NDArray[np.float64] | None = None,
    ) -> None:
        np.add.at(self.matrix, (y_true, y_pred), 1)
        if true_class_proba is not None:
            self.log_loss_sum += float(-np.log(np.clip(true_class_proba, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)).sum())

    def accuracy(self) -> float:
        total = self.count
        return float(np.trace(self.matrix) / total) if total else 0.0

    def per_class(self) -> dict[str, ClassMetrics]:
        """Precision, recall, F1 and support of every label (0 where undefined)."""
        tp = np.diag(self.matrix).astype(np.float64)
        predicted = self.matrix.sum(axis=0).astype(np.float64)
        support = self.matrix.sum(axis=1)
        precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
        recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
        denom = precision + recall
        f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
        return {
            label: ClassMetrics(
                precision=float(precision[i]), recall=float(recall[i]), f1_score=float(f1[i]), support=int(support[i])
            )
            for i, label in enumerate(self.labels)
        }

    def absent_labels(self) -> list[str]:
        """Labels without a single true sample: left out of macro-F1 (in label order)."""
        support = self.matrix.sum(axis=1)
        return [label for label, count in zip(self.labels, support.tolist(), strict=True) if count == 0]

    def overall(self) -> OverallMetrics:
        """Accuracy, macro F1 (over labels with support), support-weighted F1, mean log loss."""
        per_class = self.per_class()
        present = self.matrix.sum(axis=1) > 0
        f1 = np.array([m.f1_score for m in per_class.values()])
        support = np.array([m.support for m in per_class.values()], dtype=np.float64)
        total = self.count
        return OverallMetrics(
            accuracy=self.accuracy(),
            macro_f1_score=float(f1[present].mean()) if present.any() else 0.0,
            weighted_f1_score=float((f1 * support).sum() / support.sum()) if support.sum() else 0.0,
            log_loss=self.log_loss_sum / total if total else 0.0,
        )


def absent_classes(performance: ModelPerformanceData) -> list[str]:
    """The model's classes without a single sample in the evaluation set of ``performance``: left out of its
    macro-F1 (their per-class metrics are reported with support 0)."""
    return [label for label, metrics in performance.per_class_metrics.items() if metrics.support == 0]


def absent_classes_warning(missing: Sequence[str], n_present: int) -> str:
    """One line telling a reader which classes macro-F1 leaves out, e.g. for a CLI or a report."""
    return (
        f"macro-F1 is over the {n_present} classes present in the evaluation set; "
        f"no evaluation samples of: {', '.join(missing)}"
    )
