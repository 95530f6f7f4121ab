"""Selection as pure functions: keep the samples the model separates least, or a batch of uncertain
samples that are unlike each other."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from envirosense.learning.state import DatasetSlice
from envirosense.models.uncertainty import top_two_margin

Ranked = tuple[float, str, int]
"""(top-two probability margin, sample id, position of its dataset folder among the candidates)."""


def keep_first(candidates: Sequence[str], ordered: Sequence[Ranked], keep: int) -> list[DatasetSlice]:
    """The first ``keep`` samples of ``ordered`` as slices of the ``candidates`` dataset folders: one slice
    per folder that keeps any, in candidate order, listing its kept ids sorted."""
    kept: dict[int, list[str]] = {}
    for _, sample_id, position in ordered[:keep]:
        kept.setdefault(position, []).append(sample_id)
    return [
        DatasetSlice(path=candidates[position], samples=len(ids), sample_ids=tuple(sorted(ids)))
        for position, ids in sorted(kept.items())
    ]


def least_separated(candidates: Sequence[str], ranked: Sequence[Ranked], keep: int) -> list[DatasetSlice]:
    """The ``keep`` samples of smallest top-two margin (ties broken by sample id, then folder position)."""
    return keep_first(candidates, sorted(ranked), keep)


def run_of(sample_id: str) -> str:
    """The scenario run a sample comes from: its id without the trailing ``-<position>``."""
    return sample_id.rsplit("-", 1)[0]


def diverse_uncertain(
    proba: NDArray[np.float64],
    sample_ids: Sequence[str],
    keep: int,
    rng: np.random.Generator,
    *,
    max_per_run: int | None = None,
    diversity: bool = True,
    shortlist: int | None = None,
    uncertainty: NDArray[np.float64] | None = None,
) -> list[int]:
    """Positions of ``keep`` samples that are uncertain and unlike each other (the BADGE idea on a forest).

    ``proba`` is ``(n_samples, n_classes)``. Each sample is embedded as ``p − onehot(argmax p)``, the
    class part of the log-loss gradient: its norm grows with the model's uncertainty, its direction says
    between which classes it hesitates. The first pick is the largest embedding (ties by sample id), every
    next one is drawn with probability ∝ its squared distance to the nearest pick (k-means++ seeding) times
    its uncertainty ``1 − margin``, so a batch spreads over different confusions instead of piling onto
    one, and a sample the model separates fully is never drawn while another is left. Without ``diversity`` the picks
    are simply the smallest top-two margins. With ``shortlist`` only that many samples of smallest margin
    are candidates (cluster-margin's filter: diversity among the informative, never instead of it).
    ``max_per_run`` caps the picks from one scenario run (its
    samples are alike); when the caps leave too few candidates, the cap is lifted for the rest.
    ``uncertainty`` ``(n_samples,)``, higher = less sure (e.g. epistemic mutual information), replaces
    ``1 − margin`` in the shortlist, the draw weights and the picks without diversity.
    """
    n = len(sample_ids)
    keep = min(keep, n)
    embedding = proba.copy()
    embedding[np.arange(n), proba.argmax(axis=1)] -= 1.0
    norms = np.einsum("ij,ij->i", embedding, embedding)
    margins = top_two_margin(proba)
    # `surest` orders candidates (small = less sure); `weight` scales the k-means++ draw.
    surest = margins if uncertainty is None else -uncertainty
    weight = 1.0 - margins if uncertainty is None else uncertainty
    by_id = np.argsort(np.asarray(sample_ids, dtype=object), kind="stable")
    run_numbers: dict[str, int] = {}
    run_index = np.array([run_numbers.setdefault(run_of(s), len(run_numbers)) for s in sample_ids], dtype=np.int64)
    taken = np.zeros(len(run_numbers), dtype=np.int64)  # picks per run
    chosen: list[int] = []
    open_ = np.ones(n, dtype=bool)
    if shortlist is not None and shortlist < n:
        open_[:] = False
        open_[np.lexsort((by_id.argsort(), surest))[: max(shortlist, keep)]] = True

    def allowed() -> np.ndarray[tuple[int], np.dtype[np.bool_]]:
        if max_per_run is None:
            return open_
        capped = open_ & (taken[run_index] < max_per_run)
        return capped if capped.any() else open_

    nearest = norms.copy()
    while len(chosen) < keep:
        mask = allowed()
        if not diversity or not chosen:
            score = -surest if not diversity else norms
            candidates = by_id[mask[by_id]]
            pick = int(candidates[np.argmax(score[candidates])])
        else:
            weights = np.where(mask, nearest * weight, 0.0)
            if weights.sum() <= 0:
                candidates = by_id[mask[by_id]]
                pick = int(candidates[np.argmin(surest[candidates])])
            else:
                pick = int(rng.choice(n, p=weights / weights.sum()))
        chosen.append(pick)
        open_[pick] = False
        taken[run_index[pick]] += 1
        gap = embedding - embedding[pick]
        nearest = np.minimum(nearest, np.einsum("ij,ij->i", gap, gap))
    return chosen
