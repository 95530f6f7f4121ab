"""Splitting a cycle's sample budget over weak spots by priority, keeping a share for exploration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BudgetSplit:
    """``per_spot[i]`` samples for the i-th spot (in the order given) and ``exploration`` for random scenarios."""

    per_spot: tuple[int, ...]
    exploration: int

    @property
    def total(self) -> int:
        return sum(self.per_spot) + self.exploration


def split_budget(
    utilities: Sequence[float],
    total: int,
    *,
    exploration_share: float,
    min_per_spot: int,
    max_spots: int,
) -> BudgetSplit:
    """Split ``total`` samples: ``exploration_share`` of it to exploration, the rest over the spots in
    proportion to their ``utilities`` (largest-remainder rounding).

    Only the best ``max_spots`` spots are funded, and a spot whose share would fall below
    ``min_per_spot`` gets nothing (its share goes to the others), so no spot gets a useless trickle.
    With no spot to fund, the whole budget goes to exploration. The split always sums to ``total``.
    """
    if total < 0 or not 0 <= exploration_share <= 1 or min_per_spot < 1 or max_spots < 0:
        raise ValueError("total ≥ 0, 0 ≤ exploration_share ≤ 1, min_per_spot ≥ 1 and max_spots ≥ 0 required")
    weights = np.clip(np.asarray(utilities, dtype=np.float64), 0.0, None)
    exploration = round(total * exploration_share)
    targeted = total - exploration
    order = np.lexsort((np.arange(weights.size), -weights))
    funded = [int(i) for i in order[:max_spots] if weights[i] > 0]
    while funded:
        shares = weights[funded] / weights[funded].sum() * targeted
        if shares.min() >= min_per_spot or len(funded) == 1:
            break
        funded.pop()
    per_spot = np.zeros(weights.size, dtype=np.int64)
    if not funded or targeted < min_per_spot:
        return BudgetSplit(tuple(per_spot.tolist()), total - int(per_spot.sum()))
    shares = weights[funded] / weights[funded].sum() * targeted
    floors = np.floor(shares).astype(np.int64)
    remainder = targeted - int(floors.sum())
    for position in np.lexsort((np.arange(len(funded)), -(shares - floors)))[:remainder]:
        floors[position] += 1
    per_spot[funded] = floors
    return BudgetSplit(tuple(int(n) for n in per_spot), exploration)
