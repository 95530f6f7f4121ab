"""One selection over a cycle's whole candidate pool: uncertain samples that are unlike each other."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from envirosense.learning.config import TargetingConfig
from envirosense.learning.context import CycleContext
from envirosense.learning.degradation import StepSkippedError
from envirosense.learning.sampling import SampleMaker
from envirosense.learning.selection import Ranked, diverse_uncertain, keep_first
from envirosense.learning.state import DatasetSlice
from envirosense.models.uncertainty import UncertaintyMeasure


class PoolSelector:
    """Keeps ``keep`` samples of a candidate pool by ``selection.diverse_uncertain`` under the champion.

    Parameters
    ----------
    maker:
        Its model interface scores the candidates; its seeded random fallback runs while the model is down.
    targeting:
        ``uncertainty``, ``diversity``, ``shortlist_factor`` and ``max_share_per_run`` of the run; with
        ``uncertainty = "epistemic"`` the candidates are ranked by the members' mutual information.
    """

    def __init__(self, maker: SampleMaker, targeting: TargetingConfig) -> None:
        self.maker = maker
        self.targeting = targeting

    def select(
        self, context: CycleContext, candidates: Sequence[DatasetSlice], keep: int
    ) -> tuple[list[DatasetSlice], str | None]:
        """The kept slices (one per folder that keeps any) and the reason when selection was degraded."""
        folders = [entry.path for entry in candidates]
        cap = max(1, math.floor(self.targeting.max_share_per_run * self.maker.samples_per_run))

        def pick() -> list[Ranked]:
            ids: list[str] = []
            positions: list[int] = []
            probas: list[np.ndarray[tuple[int, int], np.dtype[np.float64]]] = []
            scores: list[np.ndarray[tuple[int], np.dtype[np.float64]]] = []
            epistemic = self.targeting.uncertainty == "epistemic"
            columns: list[str] | None = None
            for position, folder in enumerate(folders):
                if epistemic:
                    predictions, score = self.maker.model_interface.predict_uncertainty(
                        Path(folder), UncertaintyMeasure.EPISTEMIC, context.champion
                    )
                    scores.append(score)
                else:
                    predictions = self.maker.model_interface.predict_proba(Path(folder), context.champion)
                    if self.targeting.uncertainty == "loss":
                        scores.append(predictions.true_class_error())  # the simulator labels every candidate
                columns = columns or predictions.class_labels
                order = [predictions.class_labels.index(label) for label in columns]
                probas.append(predictions.proba[:, order])
                ids.extend(predictions.sample_ids)
                positions.extend([position] * len(predictions.sample_ids))
            if not ids:
                return []
            chosen = diverse_uncertain(
                np.vstack(probas),
                ids,
                keep,
                context.rng(context.index, "pool-selection"),
                max_per_run=cap if self.targeting.max_share_per_run < 1 else None,
                diversity=self.targeting.diversity,
                shortlist=math.ceil(self.targeting.shortlist_factor * keep),
                uncertainty=np.concatenate(scores) if scores else None,
            )
            return [(float(rank), ids[i], positions[i]) for rank, i in enumerate(chosen)]

        try:
            ranked = self.maker.guard.call("selection", pick, skippable=True)
        except StepSkippedError:
            return self.maker.select(context, candidates, keep, key="cycle")
        return keep_first(folders, ranked, keep), None
