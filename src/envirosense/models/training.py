"""Training: samples → features → a class-weighted scikit-learn ensemble whose members are exposed.

The default model is a random forest; extra trees and a bagged histogram gradient-boosting ensemble are the
alternatives. Every one of them is an ensemble, so ``member_predict_proba`` gives one distribution per
member and uncertainty splits into aleatoric and epistemic parts (see ``uncertainty``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from sklearn.ensemble import (
    BaggingClassifier,
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.model_selection import StratifiedGroupKFold
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from envirosense.models.datasets import DatasetFingerprint, EvaluationDataset, dataset_name, iter_dataset
from envirosense.models.features import FeatureExtractor
from envirosense.models.metrics import ConfusionAccumulator
from envirosense.ops.logging import get_logger
from envirosense.schemas import ClassLabel

log = get_logger(__name__)

Ensemble: TypeAlias = Any
"""A fitted ``RandomForestClassifier``, ``ExtraTreesClassifier`` or ``BaggingClassifier`` (sklearn is untyped)."""


class ModelType(StrEnum):
    RANDOM_FOREST = "random_forest"
    EXTRA_TREES = "extra_trees"
    BAGGED_HIST_GRADIENT_BOOSTING = "bagged_hist_gradient_boosting"


class TrainingConfig(BaseModel):
    """How to fit a model. Field units are counts unless said otherwise."""

    model_config = ConfigDict(extra="forbid")

    model_type: ModelType = Field(default=ModelType.RANDOM_FOREST, description="Which ensemble to fit.")
    n_estimators: int = Field(default=100, ge=2, le=2000, description="Ensemble members.")
    min_samples_leaf: int = Field(
        default=3, ge=1, description="Samples per leaf; > 1 keeps leaves soft so aleatoric uncertainty shows."
    )
    max_depth: int | None = Field(default=None, ge=1, description="Tree depth limit (None: unlimited).")
    max_iter: int = Field(default=100, ge=1, description="Boosting iterations per member (bagged HGB only).")
    class_weight: Literal["balanced", "balanced_subsample"] | None = Field(
        default="balanced", description="Class weighting against imbalance."
    )
    validation_fraction: float = Field(
        default=0.2, ge=0.0, le=0.5, description="Share of scenario runs held out to measure the metrics."
    )
    random_state: int = Field(default=0, ge=0, description="Seed of every random choice in training.")
    n_jobs: int = Field(
        default=1, description="Threads while fitting, -1 for all cores (prediction of members always uses 1)."
    )
    batch_size: int = Field(default=4096, ge=1, description="Samples per feature-extraction batch.")


@dataclass
class TrainedModel:
    """A fitted ensemble plus what is needed to use and describe it.

    ``class_labels[i]`` is the class of column ``i`` of ``predict_proba``; ``feature_names[j]`` the feature
    of input column ``j``; ``metrics`` the held-out scores (``validation_*``) and sample counts.
    """

    estimator: Ensemble
    feature_names: list[str]
    class_labels: list[str]
    training_dataset_ids: list[str]
    metrics: dict[str, float]
    config: TrainingConfig
    extractor_params: dict[str, Any]
    class_counts: dict[str, int] = field(default_factory=dict)

    def card(self) -> dict[str, Any]:
        """JSON-ready description stored with the model in the registry."""
        return {
            "feature_names": self.feature_names,
            "feature_extractor": self.extractor_params,
            "class_labels": self.class_labels,
            "training_dataset_ids": self.training_dataset_ids,
            "metrics": self.metrics,
            "class_counts": self.class_counts,
            "training_config": self.config.model_dump(mode="json"),
        }


def build_estimator(config: TrainingConfig) -> Ensemble:
    """An unfitted ensemble as ``config`` describes."""
    if config.model_type is ModelType.RANDOM_FOREST:
        return RandomForestClassifier(
            n_estimators=config.n_estimators,
            min_samples_leaf=config.min_samples_leaf,
            max_depth=config.max_depth,
            class_weight=config.class_weight,
            random_state=config.random_state,
            n_jobs=config.n_jobs,
        )
    if config.model_type is ModelType.EXTRA_TREES:
        return ExtraTreesClassifier(
            n_estimators=config.n_estimators,
            min_samples_leaf=config.min_samples_leaf,
            max_depth=config.max_depth,
            class_weight=config.class_weight,
            random_state=config.random_state,
            n_jobs=config.n_jobs,
        )
    member = HistGradientBoostingClassifier(
        max_iter=config.max_iter,
        max_depth=config.max_depth,
        min_samples_leaf=max(config.min_samples_leaf, 5),
        class_weight="balanced" if config.class_weight else None,
        early_stopping=False,
        random_state=config.random_state,
    )
    return BaggingClassifier(
        estimator=member,
        n_estimators=config.n_estimators,
        max_samples=0.8,
        random_state=config.random_state,
        n_jobs=config.n_jobs,
    )


def ensemble_size(estimator: Ensemble) -> int:
    return len(estimator.estimators_)


def member_predict_proba(estimator: Ensemble, features: NDArray[np.float64]) -> NDArray[np.float64]:
    """Every member's class distribution: ``(n_members, n_samples, n_classes)``, columns as ``classes_``.

    ``features`` is the model input ``(n_samples, n_features)`` (see ``FeatureExtractor.model_input``).
    """
    n_classes = len(estimator.classes_)
    if isinstance(estimator, RandomForestClassifier | ExtraTreesClassifier):
        x32 = np.ascontiguousarray(features, dtype=np.float32)
        return np.stack([tree.predict_proba(x32, check_input=False) for tree in estimator.estimators_])
    out = np.zeros((len(estimator.estimators_), features.shape[0], n_classes), dtype=np.float64)
    with threadpool_limits(limits=1):
        for m, (member, columns) in enumerate(zip(estimator.estimators_, estimator.estimators_features_, strict=True)):
            proba = member.predict_proba(features[:, columns])
            if proba.shape[1] == n_classes:
                out[m] = proba
            else:
                out[m][:, member.classes_] = proba
    return out


class ModelTrainer:
    """Fits a ``TrainedModel`` on one or several datasets.

    ``datasets`` are lists of ``MLDataSample`` dicts or Avro paths; ``dataset_ids`` name them in the
    registry (default: ``<name>@<content digest>``). When ``validation_fraction > 0`` and there are enough
    scenario runs, whole runs (scenario id + seed) are held out, a model fitted on the rest is scored on
    them, and the final model is refitted on everything.
    """

    def __init__(self, config: TrainingConfig | None = None, extractor: FeatureExtractor | None = None) -> None:
        self.config = config or TrainingConfig()
        self.extractor = extractor or FeatureExtractor(batch_size=self.config.batch_size)

    def load(
        self, datasets: Sequence[EvaluationDataset], on_batch: Callable[[int], None] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.str_], NDArray[np.str_], list[str]]:
        """Model input ``(n, n_features)``, labels ``(n,)``, run keys ``(n,)`` and one id per dataset."""
        blocks: list[NDArray[np.float64]] = []
        labels: list[str] = []
        runs: list[str] = []
        ids: list[str] = []
        for source in datasets:
            fingerprint = DatasetFingerprint()
            for batch in self.extractor.iter_batches(iter_dataset(source)):
                if batch.labels is None:
                    raise ValueError("training samples need extracted_class_label")
                blocks.append(self.extractor.model_input(batch.values))
                labels.extend(batch.labels)
                runs.extend(batch.run_keys)
                fingerprint.update(batch.sample_ids)
                if on_batch is not None:
                    on_batch(len(batch))
            ids.append(fingerprint.identifier(dataset_name(source)))
        if not blocks:
            raise ValueError("no training samples")
        return np.vstack(blocks), np.asarray(labels), np.asarray(runs), ids

    def fit(
        self,
        datasets: Sequence[EvaluationDataset],
        dataset_ids: Sequence[str] | None = None,
        *,
        on_batch: Callable[[int], None] | None = None,
    ) -> TrainedModel:
        """Fit on every sample of ``datasets``; ``on_batch`` gets the size of each extracted batch."""
        started = time.perf_counter()
        features, labels, runs, found_ids = self.load(datasets, on_batch)
        ids = list(dataset_ids) if dataset_ids is not None else found_ids
        if len(ids) != len(datasets):
            raise ValueError(f"need one dataset id per dataset ({len(datasets)}), got {len(ids)}")
        classes = sorted(set(labels.tolist()), key=_class_order)
        if len(classes) < 2:
            raise ValueError(f"training needs at least two classes, got {classes}")
        metrics: dict[str, float] = {"n_training_samples": float(len(labels))}
        split = self._validation_split(labels, runs)
        if split is not None:
            train_idx, val_idx = split
            with threadpool_limits(limits=self._threads()):
                held_out = build_estimator(self.config).fit(features[train_idx], labels[train_idx])
            metrics.update(_validation_metrics(held_out, features[val_idx], labels[val_idx]))
        with threadpool_limits(limits=self._threads()):
            estimator = build_estimator(self.config).fit(features, labels)
        estimator.set_params(n_jobs=1)
        metrics["training_seconds"] = time.perf_counter() - started
        counts = {str(c): int(n) for c, n in zip(*np.unique(labels, return_counts=True), strict=True)}
        log.info("model_trained", model_type=self.config.model_type.value, samples=len(labels), **counts)
        return TrainedModel(
            estimator=estimator,
            feature_names=list(self.extractor.feature_names),
            class_labels=[str(c) for c in estimator.classes_],
            training_dataset_ids=ids,
            metrics=metrics,
            config=self.config,
            extractor_params=self.extractor.params(),
            class_counts=counts,
        )

    def _threads(self) -> int | None:
        return None if self.config.n_jobs < 0 else max(self.config.n_jobs, 1)

    def _validation_split(
        self, labels: NDArray[np.str_], runs: NDArray[np.str_]
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]] | None:
        fraction = self.config.validation_fraction
        if fraction == 0:
            return None
        n_splits = max(2, round(1 / fraction))
        if len(np.unique(runs)) < n_splits:
            log.warning("validation_skipped", reason="fewer scenario runs than folds", runs=len(np.unique(runs)))
            return None
        folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=self.config.random_state)
        train_idx, val_idx = next(folds.split(np.zeros(len(labels)), labels, groups=runs))
        if len(np.unique(labels[train_idx])) < 2:
            return None
        return train_idx, val_idx


def _class_order(label: str) -> tuple[int, str]:
    order = [c.value for c in ClassLabel]
    return (order.index(label), label) if label in order else (len(order), label)


def _validation_metrics(
    estimator: Ensemble, features: NDArray[np.float64], labels: NDArray[np.str_]
) -> dict[str, float]:
    model_classes = [str(c) for c in estimator.classes_]
    all_labels = model_classes + sorted(set(labels.tolist()) - set(model_classes))
    index = {label: i for i, label in enumerate(all_labels)}
    proba = estimator.predict_proba(features)
    y_true = np.array([index[label] for label in labels.tolist()], dtype=np.int64)
    y_pred = proba.argmax(axis=1).astype(np.int64)
    padded = np.zeros((len(labels), len(all_labels)))
    padded[:, : len(model_classes)] = proba
    accumulator = ConfusionAccumulator(all_labels)
    accumulator.update(y_true, y_pred, padded[np.arange(len(labels)), y_true])
    overall = accumulator.overall()
    missing = [label for label in accumulator.absent_labels() if label in model_classes]
    if missing:
        log.warning("validation_macro_f1_classes_missing", missing=missing)
    return {
        "validation_accuracy": overall.accuracy,
        "validation_macro_f1_score": overall.macro_f1_score,
        "validation_weighted_f1_score": overall.weighted_f1_score,
        "validation_log_loss": overall.log_loss,
        "n_validation_samples": float(len(labels)),
    }
