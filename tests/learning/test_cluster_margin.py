from __future__ import annotations

import numpy as np
import pytest

from envirosense.learning.cluster_margin import ClusterMargin


def _blobs(rng: np.random.Generator, sizes: list[int], margins: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Tight blobs far apart in 3-D, blob ``b`` with ``sizes[b]`` points of margin ``margins[b]`` (+ jitter)."""
    features = np.vstack([rng.normal(10.0 * b, 0.01, size=(size, 3)) for b, size in enumerate(sizes)])
    margin = np.concatenate([m + rng.uniform(0, 0.01, size) for m, size in zip(margins, sizes, strict=True)])
    return features, margin


def test_the_batch_spreads_over_clusters_smallest_first_lowest_margin_within() -> None:
    features, margins = _blobs(np.random.default_rng(0), [12, 4, 4], [0.05, 0.30, 0.20])
    selector = ClusterMargin(slice_factor=10, samples_per_cluster=20 / 3)
    chosen, utilities = selector.select(features, margins, 6)
    blob = np.repeat([0, 1, 2], [12, 4, 4])
    # plain margin sampling would take six points of blob 0; round-robin takes two of each blob
    assert sorted(blob[chosen].tolist()) == [0, 0, 1, 1, 2, 2]
    # the two small blobs (ties broken by their first index) come before the large one in each round
    assert blob[chosen].tolist() == [1, 2, 0, 1, 2, 0]
    for b in range(3):
        members = np.flatnonzero(blob == b)
        lowest = members[np.argsort(margins[members])[:2]]
        assert chosen[blob[chosen] == b].tolist() == lowest.tolist()
    assert utilities == pytest.approx(1.0 - margins[chosen])


def test_only_the_least_separated_slice_is_clustered() -> None:
    features, margins = _blobs(np.random.default_rng(1), [10, 10], [0.1, 0.9])
    chosen, _ = ClusterMargin(slice_factor=2, samples_per_cluster=2).select(features, margins, 5)
    assert set(chosen.tolist()) <= set(range(10))  # the confident blob is outside the 10-sample slice
    assert len(set(chosen.tolist())) == 5


def test_a_batch_larger_than_the_pool_takes_the_whole_pool_once() -> None:
    features, margins = _blobs(np.random.default_rng(2), [3, 2], [0.2, 0.1])
    chosen, _ = ClusterMargin().select(features, margins, 50)
    assert sorted(chosen.tolist()) == list(range(5))


def test_constant_features_make_one_cluster_in_margin_order() -> None:
    margins = np.array([0.4, 0.1, 0.3, 0.2])
    chosen, _ = ClusterMargin(samples_per_cluster=1).select(np.ones((4, 2)), margins, 3)
    assert chosen.tolist() == [1, 3, 2]


def test_mismatched_shapes_and_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="3 rows for 4 margins"):
        ClusterMargin().select(np.zeros((3, 2)), np.zeros(4), 2)
    with pytest.raises(ValueError, match="at least 1"):
        ClusterMargin(slice_factor=0.5)
