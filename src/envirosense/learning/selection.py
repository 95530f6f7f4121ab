"""Least-separated selection as pure functions: keep the samples the model separates least."""

from __future__ import annotations

from collections.abc import Sequence

from envirosense.learning.state import DatasetSlice

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
