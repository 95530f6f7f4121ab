"""Cluster-margin batch selection (Citovsky et al., 2021, "Batch Active Learning at Scale" [S81]).

Margin sampling alone fills a batch with near-duplicates from the one region the model is least sure
about. Cluster-margin keeps the uncertainty but spreads the batch: take the pool's least-separated
samples (a margin-ranked slice a few times the batch), cluster them in the model's feature space
(standardised, average-linkage agglomerative clustering), then pick round-robin across the clusters,
smallest cluster first, lowest margin first within each.

``ClusterMargin`` is the selection (arrays in, indices out); ``ClusterMarginPolicy`` runs it on a random
pool the way ``PoolMarginPolicy`` runs plain margin sampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import AgglomerativeClustering

from envirosense.learning.context import CycleContext
from envirosense.learning.degradation import StepSkippedError
from envirosense.learning.policies import Acquired, PoolMarginPolicy, simulate_pool
from envirosense.learning.sampling import SampleMaker
from envirosense.learning.selection import Ranked, keep_first
from envirosense.learning.suggestions import Suggestion
from envirosense.models.datasets import iter_dataset
from envirosense.models.features import FeatureExtractor


class ClusterMargin:
    """Pick a batch that is uncertain and spread out.

    Parameters
    ----------
    slice_factor:
        The least-separated ``slice_factor`` × batch samples are clustered (all, when the pool is smaller).
    samples_per_cluster:
        Mean cluster size asked of the clustering: the slice makes ``len(slice) / samples_per_cluster``
        clusters, so the round-robin visits every cluster about ``samples_per_cluster / slice_factor`` times.
    """

    def __init__(self, slice_factor: float = 2.0, samples_per_cluster: float = 4.0) -> None:
        if slice_factor < 1 or samples_per_cluster < 1:
            raise ValueError("slice_factor and samples_per_cluster must be at least 1")
        self.slice_factor = slice_factor
        self.samples_per_cluster = samples_per_cluster

    def select(
        self, features: NDArray[np.float64], margins: NDArray[np.float64], batch: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Indices (into the pool, in pick order) of the ``batch`` samples picked, and their utility
        1 − margin.

        ``features`` is ``(n_pool, n_features)`` without NaN; ``margins`` ``(n_pool,)`` top-two probability
        margins in [0, 1]. Deterministic: ties in margin go to the lower index.
        """
        n = len(margins)
        if features.shape[0] != n:
            raise ValueError(f"features has {features.shape[0]} rows for {n} margins")
        batch = min(batch, n)
        if batch <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ranked = np.lexsort((np.arange(n), margins))
        top = ranked[: max(batch, min(n, int(np.ceil(self.slice_factor * batch))))]
        clusters = self.clusters(features[top])
        queues = [top[clusters == c] for c in np.unique(clusters)]  # each already in margin order
        queues.sort(key=lambda queue: (len(queue), int(queue[0])))
        picked: list[int] = []
        depth = 0
        while len(picked) < batch:
            picked.extend(int(queue[depth]) for queue in queues if depth < len(queue))
            depth += 1
        chosen = np.asarray(picked[:batch], dtype=np.int64)
        return chosen, 1.0 - margins[chosen]

    def clusters(self, features: NDArray[np.float64]) -> NDArray[np.int64]:
        """Cluster label per row of ``features`` ``(n, n_features)``, after scaling each column to zero mean
        and unit spread (constant columns are dropped)."""
        n = features.shape[0]
        count = max(1, min(n, round(n / self.samples_per_cluster)))
        if count == 1 or n < 2:
            return np.zeros(n, dtype=np.int64)
        spread = features.std(axis=0)
        varying = spread > 0
        if not varying.any():
            return np.zeros(n, dtype=np.int64)
        scaled = (features[:, varying] - features[:, varying].mean(axis=0)) / spread[varying]
        labels = AgglomerativeClustering(n_clusters=count, linkage="average").fit_predict(scaled)
        return np.asarray(labels, dtype=np.int64)


class ClusterMarginPolicy(PoolMarginPolicy):
    """Baseline: a random pool of ``pool_factor`` × the budget, from which ``ClusterMargin`` keeps the
    budget (features: the trainer's default ``FeatureExtractor`` columns, the champion's inputs). Without
    the model (server down, ``on_service_down = "skip"``) it keeps what plain selection keeps then."""

    def __init__(self, maker: SampleMaker, pool_factor: int, selector: ClusterMargin | None = None) -> None:
        super().__init__(maker, pool_factor, name="cluster-margin")
        self.selector = selector or ClusterMargin()

    def apply(self, context: CycleContext, suggestion: Suggestion) -> Acquired:
        candidates, scenarios = simulate_pool(self.maker, context, suggestion, self.pool_size(suggestion.samples))
        folders = [entry.path for entry in candidates]
        try:
            ordered = self.maker.guard.call(
                "selection", lambda: self.ranked(context, folders, suggestion.samples), skippable=True
            )
        except StepSkippedError:
            kept, degraded = self.maker.select(context, candidates, suggestion.samples, key=suggestion.stream)
            return Acquired(kept, scenarios, [degraded] if degraded else [])
        return Acquired(keep_first(folders, ordered, suggestion.samples), scenarios)

    def ranked(self, context: CycleContext, folders: Sequence[str], keep: int) -> list[Ranked]:
        """The ``keep`` samples ``ClusterMargin`` picks from ``folders``, in pick order."""
        extractor = FeatureExtractor()
        rows: list[NDArray[np.float64]] = []
        margins: list[float] = []
        where: list[tuple[str, int]] = []
        for position, folder in enumerate(folders):
            predictions = self.maker.model_interface.predict_proba(Path(folder), context.champion)
            margin_of = dict(zip(predictions.sample_ids, predictions.margins().tolist(), strict=True))
            for batch in extractor.iter_batches(iter_dataset(Path(folder))):
                rows.append(extractor.model_input(batch.values))
                margins.extend(margin_of[sample_id] for sample_id in batch.sample_ids)
                where.extend((sample_id, position) for sample_id in batch.sample_ids)
        if not where:
            return []
        chosen, _ = self.selector.select(np.vstack(rows), np.asarray(margins), keep)
        return [(margins[i], *where[i]) for i in chosen.tolist()]
