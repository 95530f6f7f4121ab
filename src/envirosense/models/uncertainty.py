"""Per-sample uncertainty from class probabilities, and its split into aleatoric and epistemic parts.

Shapes: ``proba`` is ``(n_samples, n_classes)``; ``member_proba`` is ``(n_members, n_samples, n_classes)``,
one predictive distribution per ensemble member. Entropies are in nats.

With members, total predictive entropy ``H[mean_m p_m]`` = aleatoric ``mean_m H[p_m]`` (noise every member
sees) + epistemic ``I`` (mutual information between the prediction and the member: how much the members
disagree, which more data can reduce).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy.special import entr

FloatArray = NDArray[np.float64]


class UncertaintyMeasure(StrEnum):
    """Which per-sample score ranks ``uncertain_samples`` (higher = less sure)."""

    LEAST_CONFIDENCE = "least_confidence"
    MARGIN = "margin"
    ENTROPY = "entropy"
    EPISTEMIC = "epistemic"
    ALEATORIC = "aleatoric"
    DISAGREEMENT = "disagreement"


def least_confidence(proba: FloatArray) -> FloatArray:
    """``1 − max_c p_c``, in [0, 1 − 1/C]."""
    return np.asarray(1.0 - proba.max(axis=1), dtype=np.float64)


def top_two_margin(proba: FloatArray) -> FloatArray:
    """``p_first − p_second`` per row of ``proba`` ``(n_samples, n_classes)``: small means barely separated
    (0 for a single class)."""
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0])
    ordered = np.sort(proba, axis=1)
    return np.asarray(ordered[:, -1] - ordered[:, -2], dtype=np.float64)


def margin_uncertainty(proba: FloatArray) -> FloatArray:
    """``1 − (p_first − p_second)``, in [0, 1]; 1 when the top two classes tie."""
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0])
    top2 = np.partition(proba, -2, axis=1)[:, -2:]
    return np.asarray(1.0 - (top2[:, 1] - top2[:, 0]), dtype=np.float64)


def entropy(proba: FloatArray, axis: int = -1) -> FloatArray:
    """Shannon entropy ``−Σ p log p`` in nats along ``axis`` (0 log 0 = 0)."""
    return np.asarray(np.maximum(entr(proba).sum(axis=axis), 0.0), dtype=np.float64)


def mean_member_proba(member_proba: FloatArray) -> FloatArray:
    """The ensemble's distribution, members summed in order then divided by their count.

    The summation order is the one scikit-learn's forests use (sequential), so the result is bitwise equal
    to their ``predict_proba`` and ties break the same way.
    """
    total = np.zeros(member_proba.shape[1:], dtype=np.float64)
    for member in member_proba:
        total += member
    total /= member_proba.shape[0]
    return total


def aleatoric_uncertainty(member_proba: FloatArray) -> FloatArray:
    """Expected member entropy ``mean_m H[p_m]`` (nats)."""
    return np.asarray(entropy(member_proba, axis=-1).mean(axis=0), dtype=np.float64)


def epistemic_uncertainty(member_proba: FloatArray, proba: FloatArray | None = None) -> FloatArray:
    """Mutual information ``H[mean p] − mean H[p_m]`` (nats, ≥ 0); ``proba`` is the mean if known."""
    mean = mean_member_proba(member_proba) if proba is None else proba
    return np.asarray(np.maximum(entropy(mean) - aleatoric_uncertainty(member_proba), 0.0), dtype=np.float64)


def disagreement(member_proba: FloatArray) -> FloatArray:
    """Share of members whose vote differs from the plurality vote, in [0, 1 − 1/M]."""
    n_members, n_samples, n_classes = member_proba.shape
    votes = member_proba.argmax(axis=2)
    counts = np.zeros((n_samples, n_classes), dtype=np.int64)
    for member_votes in votes:
        counts[np.arange(n_samples), member_votes] += 1
    return np.asarray(1.0 - counts.max(axis=1) / n_members, dtype=np.float64)


class UncertaintyScores:
    """Every per-sample measure for one batch (each an ``(n_samples,)`` array).

    Built from member distributions when the model has members; from the mean distribution alone
    otherwise, in which case the split cannot be made: ``epistemic`` and ``disagreement`` are 0 and
    ``aleatoric`` carries the whole entropy (``decomposed`` is False).
    """

    def __init__(self, proba: FloatArray, member_proba: FloatArray | None = None) -> None:
        self.decomposed = member_proba is not None
        self.least_confidence = least_confidence(proba)
        self.margin = margin_uncertainty(proba)
        self.entropy = entropy(proba)
        if member_proba is not None:
            self.aleatoric = aleatoric_uncertainty(member_proba)
            self.epistemic = np.maximum(self.entropy - self.aleatoric, 0.0)
            self.disagreement = disagreement(member_proba)
        else:
            self.aleatoric = self.entropy.copy()
            self.epistemic = np.zeros_like(self.entropy)
            self.disagreement = np.zeros_like(self.entropy)

    def score(self, measure: UncertaintyMeasure) -> FloatArray:
        return {
            UncertaintyMeasure.LEAST_CONFIDENCE: self.least_confidence,
            UncertaintyMeasure.MARGIN: self.margin,
            UncertaintyMeasure.ENTROPY: self.entropy,
            UncertaintyMeasure.EPISTEMIC: self.epistemic,
            UncertaintyMeasure.ALEATORIC: self.aleatoric,
            UncertaintyMeasure.DISAGREEMENT: self.disagreement,
        }[measure]
