from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_recall_fscore_support

from envirosense.models.metrics import LOG_LOSS_EPS, ConfusionAccumulator


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streamed_metrics_equal_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c", "d"]
    n = 500
    proba = rng.dirichlet(np.ones(3) * 0.7, size=n)
    y_true = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    y_pred = proba.argmax(axis=1)
    accumulator = ConfusionAccumulator(labels)
    for start in range(0, n, 64):
        part = slice(start, start + 64)
        accumulator.update(y_true[part], y_pred[part], proba[part][np.arange(len(y_true[part])), y_true[part]])
    overall = accumulator.overall()
    assert overall.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    present = np.unique(y_true)
    assert overall.macro_f1_score == pytest.approx(f1_score(y_true, y_pred, labels=present, average="macro"))
    assert overall.weighted_f1_score == pytest.approx(f1_score(y_true, y_pred, average="weighted"))
    assert overall.log_loss == pytest.approx(log_loss(y_true, proba, labels=[0, 1, 2]))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=[0, 1, 2, 3], zero_division=0
    )
    per_class = accumulator.per_class()
    for i, label in enumerate(labels):
        assert per_class[label].precision == pytest.approx(precision[i])
        assert per_class[label].recall == pytest.approx(recall[i])
        assert per_class[label].f1_score == pytest.approx(f1[i])
        assert per_class[label].support == support[i]


def test_a_true_class_the_model_never_gave_probability_is_clipped_not_infinite() -> None:
    accumulator = ConfusionAccumulator(["a", "b"])
    accumulator.update(np.array([1]), np.array([0]), np.array([0.0]))
    assert accumulator.overall().log_loss == pytest.approx(-np.log(LOG_LOSS_EPS))
    assert np.isfinite(accumulator.overall().log_loss)


def test_macro_f1_leaves_out_classes_without_evaluation_samples() -> None:
    """A class that is predicted but never true has no recall: it must not pull macro-F1 down as an F1 of 0."""
    accumulator = ConfusionAccumulator(["a", "b", "c"])
    y_true = np.array([0, 0, 0, 1, 1, 1])
    y_pred = np.array([0, 0, 2, 1, 1, 2])  # c is predicted twice but has no true sample
    accumulator.update(y_true, y_pred)
    assert accumulator.absent_labels() == ["c"]
    macro = accumulator.overall().macro_f1_score
    assert macro == pytest.approx(f1_score(y_true, y_pred, labels=[0, 1], average="macro"))
    assert macro > f1_score(y_true, y_pred, average="macro")  # what counting c as 0 would report
    assert accumulator.per_class()["c"].support == 0
