"""Retraining for the loop: fit on every dataset so far, register the result as the ``candidate``."""

from __future__ import annotations

from collections.abc import Sequence

from envirosense.models.datasets import EvaluationDataset
from envirosense.models.registry import CANDIDATE, ModelRegistry
from envirosense.models.training import ModelTrainer, TrainingConfig

TAG_TRAINING_KEY = "envirosense.training_key"


class CandidateTrainer:
    """Fits and registers models; ``train`` is idempotent per ``key``.

    Parameters
    ----------
    registry:
        The model registry versions go to.
    config:
        Training configuration; ``random_state`` is overridden per call so each run is reproducible.
    """

    def __init__(self, registry: ModelRegistry, config: TrainingConfig | None = None) -> None:
        self.registry = registry
        self.config = config or TrainingConfig()

    def train(self, datasets: Sequence[EvaluationDataset], *, key: str, seed: int) -> int:
        """Fit on ``datasets`` and register as ``candidate``; returns the version number.

        ``key`` (e.g. ``run-x/cycle-3``) tags the MLflow training run (``envirosense.training_key``) and is the
        version's description: calling again with the same key returns the version registered from a run of
        that key instead of registering a duplicate (resume after a crash). The training run is named after it
        and the model type (``run-x cycle-3 random_forest``).
        """
        existing = self.registry.version_from_runs({TAG_TRAINING_KEY: key})
        if existing is not None:
            return existing
        trainer = ModelTrainer(self.config.model_copy(update={"random_state": seed}))
        model = trainer.fit(list(datasets))
        return self.registry.register(
            model,
            aliases=(CANDIDATE,),
            description=key,
            run_name=f"{key.replace('/', ' ')} {self.config.model_type.value}",
            tags={TAG_TRAINING_KEY: key},
        ).version

    def promote(self, version: int) -> None:
        self.registry.promote(version)
