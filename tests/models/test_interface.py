"""``Predictions``: the per-sample views the loop ranks candidates by."""

from __future__ import annotations

import numpy as np

from envirosense.models.interface import Predictions


def test_the_error_on_the_true_label_is_one_minus_its_probability_and_one_for_an_unknown_class() -> None:
    proba = np.array([[0.9, 0.1], [0.7, 0.3], [0.5, 0.5]])
    predictions = Predictions(["s-0", "s-1", "s-2"], ["x", "y", "z"], ["x", "y"], proba)
    np.testing.assert_allclose(predictions.true_class_error(), [0.1, 0.7, 1.0])
