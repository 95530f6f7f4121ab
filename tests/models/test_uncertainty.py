from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from envirosense.models.uncertainty import (
    UncertaintyMeasure,
    UncertaintyScores,
    aleatoric_uncertainty,
    disagreement,
    entropy,
    epistemic_uncertainty,
    least_confidence,
    margin_uncertainty,
    mean_member_proba,
)


def test_measures_on_hand_computed_distributions() -> None:
    proba = np.array([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(least_confidence(proba), [0.3, 2 / 3, 0.0])
    np.testing.assert_allclose(margin_uncertainty(proba), [0.5, 1.0, 0.0])
    expected = -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1))
    np.testing.assert_allclose(entropy(proba), [expected, math.log(3), 0.0])


def test_members_that_agree_have_no_epistemic_uncertainty() -> None:
    member = np.array([[0.5, 0.5], [0.9, 0.1]])
    members = np.stack([member, member, member])
    np.testing.assert_allclose(epistemic_uncertainty(members), [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(aleatoric_uncertainty(members), entropy(member))
    np.testing.assert_allclose(disagreement(members), [0.0, 0.0])


def test_confident_members_that_disagree_are_all_epistemic() -> None:
    members = np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 0.0]], [[0.0, 1.0]]])
    np.testing.assert_allclose(aleatoric_uncertainty(members), [0.0])
    np.testing.assert_allclose(epistemic_uncertainty(members), [math.log(2)])
    np.testing.assert_allclose(disagreement(members), [0.5])


def test_disagreement_is_the_share_against_the_plurality() -> None:
    votes = [0, 0, 0, 1, 2]
    members = np.zeros((5, 1, 3))
    for m, vote in enumerate(votes):
        members[m, 0, vote] = 1.0
    np.testing.assert_allclose(disagreement(members), [0.4])


def test_mean_member_proba_is_sequential_like_sklearn() -> None:
    rng = np.random.default_rng(0)
    members = rng.dirichlet(np.ones(4), size=(7, 5))
    expected = np.zeros((5, 4))
    for member in members:
        expected += member
    expected /= 7
    assert np.array_equal(mean_member_proba(members), expected)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (5, 6, 4), elements=st.floats(0.01, 1.0)),
)
def test_total_entropy_splits_into_aleatoric_plus_epistemic(raw: np.ndarray) -> None:
    members = raw / raw.sum(axis=2, keepdims=True)
    proba = mean_member_proba(members)
    scores = UncertaintyScores(proba, members)
    np.testing.assert_allclose(scores.aleatoric + scores.epistemic, scores.entropy, atol=1e-9)
    assert (scores.epistemic >= 0).all() and (scores.aleatoric >= 0).all()
    assert ((scores.disagreement >= 0) & (scores.disagreement <= 1)).all()
    assert scores.decomposed


def test_without_members_nothing_is_attributed_to_epistemic() -> None:
    proba = np.array([[0.6, 0.4], [0.5, 0.5]])
    scores = UncertaintyScores(proba)
    assert not scores.decomposed
    np.testing.assert_allclose(scores.aleatoric, scores.entropy)
    np.testing.assert_allclose(scores.epistemic, 0.0)
    np.testing.assert_allclose(scores.score(UncertaintyMeasure.MARGIN), [0.8, 1.0])
