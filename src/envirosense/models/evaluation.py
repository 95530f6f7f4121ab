"""One pass over an evaluation set → a validated ``ModelPerformanceData``, in bounded memory.

The evaluator streams feature batches through a ``Predictor`` (a local ensemble or a remote model server)
and keeps only constant-size state: confusion matrices (overall and per sensor), the running log loss, the
top-k most uncertain and most confidently wrong samples, and a fixed-size random subset of samples for the
sensor-reliance test. The next batch is read and extracted in a background thread while the current one
is predicted. The reliance subset is a bottom-k sketch on a hash of ``sample_id``, so it is the same for
any order or batch size of the input, and the same for every interface.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from envirosense.models.datasets import (
    DatasetFingerprint,
    EvaluationDataset,
    InvalidSampleError,
    dataset_name,
    iter_dataset,
)
from envirosense.models.explain import Explainer, ExplanationMethod, OcclusionExplainer, no_explanation, summarise
from envirosense.models.features import FeatureBatch, FeatureExtractor
from envirosense.models.interface import Predictions
from envirosense.models.metrics import ConfusionAccumulator
from envirosense.models.uncertainty import UncertaintyMeasure, UncertaintyScores
from envirosense.ops.logging import get_logger
from envirosense.schemas import (
    ClassLabel,
    ClassMetrics,
    ConfusionMatrix,
    MisclassifiedSample,
    ModelPerformanceData,
    SampleFeaturesSummary,
    SensorMetrics,
    UncertainSample,
)

log = get_logger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class EvaluationConfig(BaseModel):
    """What an evaluation reports and how hard it works. Counts unless said otherwise."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(default=4096, ge=1, description="Samples per feature batch (bounds memory).")
    uncertainty_measure: UncertaintyMeasure = Field(
        default=UncertaintyMeasure.ENTROPY, description="Score that ranks uncertain_samples."
    )
    top_k_uncertain: int = Field(default=20, ge=0, description="How many uncertain_samples to report.")
    max_misclassified: int = Field(
        default=50, ge=0, description="Cap on misclassified_samples; the most confidently wrong are kept."
    )
    top_n_features: int = Field(default=5, ge=1, description="Features per sample_features_summary.")
    explanations: Literal["auto", "model", "occlusion", "none"] = Field(
        default="auto",
        description="auto: the model's own method (SHAP / tree paths) if it has one, else occlusion.",
    )
    reliance_subset_size: int = Field(
        default=2000, ge=0, description="Samples in the permutation test of sensor reliance (0: skip)."
    )
    reliance_repeats: int = Field(default=1, ge=1, description="Permutations per sensor, averaged.")
    random_state: int = Field(default=0, ge=0, description="Seed of the permutations.")
    validate_samples: bool | None = Field(
        default=None, description="Pydantic-validate every sample (default: lists yes, Avro files no)."
    )


class Predictor(Protocol):
    """What the evaluator needs from a model; ``features`` is model input ``(n, n_features)``."""

    class_labels: list[str]
    model_version: str

    def predict(self, features: FloatArray) -> tuple[FloatArray, FloatArray | None]:
        """Mean distribution ``(n, n_classes)`` and member distributions ``(members, n, n_classes)`` or None."""
        ...

    def predict_proba(self, features: FloatArray) -> FloatArray:
        """Mean distribution ``(n, n_classes)`` only."""
        ...

    def model_explainer(self) -> Explainer | None:
        """The model's own explainer (SHAP, tree paths), or None when only occlusion is possible."""
        ...


@dataclass
class _Rows:
    """Columns of kept samples; every array has the samples on axis 0."""

    key: FloatArray
    order: IntArray
    sample_ids: NDArray[np.object_]
    scenario_ids: NDArray[np.object_]
    timesteps: FloatArray
    y_true: IntArray
    proba: FloatArray
    uncertainty: FloatArray  # columns: configured score, epistemic, aleatoric, disagreement, confidence
    raw: FloatArray
    model_input: FloatArray

    @classmethod
    def empty(cls, n_classes: int, n_features: int) -> _Rows:
        return cls(
            np.zeros(0),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=object),
            np.zeros(0, dtype=object),
            np.zeros(0),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, n_classes)),
            np.zeros((0, 5)),
            np.zeros((0, n_features)),
            np.zeros((0, n_features)),
        )

    def take(self, index: NDArray[np.intp]) -> _Rows:
        return _Rows(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})

    def concat(self, other: _Rows) -> _Rows:
        return _Rows(
            **{name: np.concatenate([getattr(self, name), getattr(other, name)]) for name in self.__dataclass_fields__}
        )

    def __len__(self) -> int:
        return int(self.key.shape[0])


class _Smallest:
    """Keeps the ``k`` rows with the smallest ``key`` (ties: earliest ``order``) across batches."""

    def __init__(self, k: int, n_classes: int, n_features: int) -> None:
        self.k = k
        self.rows = _Rows.empty(n_classes, n_features)

    def offer(self, batch: _Rows) -> None:
        if self.k == 0 or len(batch) == 0:
            return
        if len(batch) > self.k:
            batch = batch.take(np.lexsort((batch.order, batch.key))[: self.k])
        merged = self.rows.concat(batch)
        self.rows = merged.take(np.lexsort((merged.order, merged.key))[: self.k])


class StreamingEvaluator:
    """Evaluates one ``Predictor`` on a dataset; see the module docstring for what it keeps."""

    def __init__(
        self,
        predictor: Predictor,
        extractor: FeatureExtractor,
        config: EvaluationConfig | None = None,
        *,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.predictor = predictor
        self.extractor = extractor
        self.config = config or EvaluationConfig()
        self.on_batch = on_batch
        model_classes = list(predictor.class_labels)
        self.labels = model_classes + [c.value for c in ClassLabel if c.value not in model_classes]
        self.n_model_classes = len(model_classes)
        self._label_index = {label: i for i, label in enumerate(self.labels)}

    def evaluate(self, dataset: EvaluationDataset) -> ModelPerformanceData:
        cfg = self.config
        n_features = self.extractor.n_features
        n_classes = self.n_model_classes
        overall = ConfusionAccumulator(self.labels)
        per_sensor = {sid: ConfusionAccumulator(self.labels) for sid in self.extractor.sensor_ids}
        uncertain = _Smallest(cfg.top_k_uncertain, n_classes, n_features)
        wrong = _Smallest(cfg.max_misclassified, n_classes, n_features)
        subset = _Smallest(cfg.reliance_subset_size, n_classes, n_features)
        fingerprint = DatasetFingerprint()
        decomposed = True
        seen = 0
        started = time.perf_counter()
        samples = iter_dataset(dataset, validate=cfg.validate_samples)
        for batch in self.extractor.iter_batches(samples, cfg.batch_size, prefetch=True):
            y_true = self._true_indices(batch)
            features = self.extractor.model_input(batch.values)
            proba, members = self.predictor.predict(features)
            scores = UncertaintyScores(proba, members)
            decomposed = decomposed and scores.decomposed
            y_pred = proba.argmax(axis=1).astype(np.int64)
            true_proba = np.zeros(len(batch))
            known = y_true < n_classes
            true_proba[known] = proba[np.flatnonzero(known), y_true[known]]
            overall.update(y_true, y_pred, true_proba)
            for j, sid in enumerate(self.extractor.sensor_ids):
                valid = batch.sensor_valid[:, j]
                per_sensor[sid].update(y_true[valid], y_pred[valid])
            confidence = proba.max(axis=1)
            rows = _Rows(
                key=-scores.score(cfg.uncertainty_measure),
                order=np.arange(seen, seen + len(batch), dtype=np.int64),
                sample_ids=np.asarray(batch.sample_ids, dtype=object),
                scenario_ids=np.asarray(batch.scenario_ids, dtype=object),
                timesteps=batch.timesteps_s,
                y_true=y_true,
                proba=proba,
                uncertainty=np.column_stack(
                    [
                        scores.score(cfg.uncertainty_measure),
                        scores.epistemic,
                        scores.aleatoric,
                        scores.disagreement,
                        confidence,
                    ]
                ),
                raw=batch.values,
                model_input=features,
            )
            uncertain.offer(rows)
            misclassified = np.flatnonzero(y_pred != y_true)
            wrong_rows = rows.take(misclassified)
            wrong_rows.key = -confidence[misclassified]
            wrong.offer(wrong_rows)
            rows.key = _hash_keys(batch.sample_ids)
            subset.offer(rows)
            fingerprint.update(batch.sample_ids)
            seen += len(batch)
            if self.on_batch is not None:
                self.on_batch(len(batch))
        if seen == 0:
            raise ValueError("the evaluation dataset holds no samples")
        streamed = time.perf_counter()
        reliance = self._reliance(subset.rows)
        explainer = self._explainer(subset.rows, uncertain.rows.concat(wrong.rows))
        fallback_sensor = (
            max(reliance, key=lambda sid: (reliance[sid], sid)) if reliance else self.extractor.sensor_ids[0]
        )
        explained = self._explain(explainer, uncertain.rows.concat(wrong.rows), fallback_sensor)
        shown = [i for i in range(len(self.labels)) if i < n_classes or overall.matrix[i].sum() > 0]
        reported = {self.labels[i] for i in shown}
        performance = ModelPerformanceData(
            model_version_evaluated=self.predictor.model_version,
            dataset_identifier=fingerprint.identifier(dataset_name(dataset)),
            overall_metrics=overall.overall(),
            per_class_metrics=_only(overall.per_class(), reported),
            sensor_specific_metrics={
                sid: SensorMetrics(
                    overall_accuracy=acc.accuracy(),
                    per_class_metrics=_only(acc.per_class(), reported),
                    reliance_score=reliance.get(sid, 0.0),
                    valid_sample_count=acc.count,
                )
                for sid, acc in per_sensor.items()
            },
            uncertain_samples=[self._uncertain(uncertain.rows, i, explained) for i in range(len(uncertain.rows))],
            misclassified_samples=[self._misclassified(wrong.rows, i, explained) for i in range(len(wrong.rows))],
            uncertainty_source="ensemble_members" if decomposed else "probabilities_only",
            confusion_matrix=ConfusionMatrix(
                labels=[self.labels[i] for i in shown], counts=overall.matrix[np.ix_(shown, shown)].tolist()
            ),
        )
        missing = [label for label in overall.absent_labels() if label in self.predictor.class_labels]
        if missing:  # info: a probe set lacks classes by design; the CLI, run summary and report warn readers
            log.info(
                "macro_f1_classes_missing",
                model_version=self.predictor.model_version,
                missing=missing,
                present=int((overall.matrix.sum(axis=1) > 0).sum()),
            )
        log.info(
            "model_evaluated",
            model_version=self.predictor.model_version,
            samples=seen,
            accuracy=round(performance.overall_metrics.accuracy, 4),
            stream_seconds=round(streamed - started, 3),
            total_seconds=round(time.perf_counter() - started, 3),
        )
        return performance

    # --- pieces ----------------------------------------------------------------------------------

    def _true_indices(self, batch: FeatureBatch) -> IntArray:
        if batch.labels is None:
            raise InvalidSampleError("evaluation samples need extracted_class_label")
        try:
            return np.fromiter((self._label_index[label] for label in batch.labels), dtype=np.int64, count=len(batch))
        except KeyError as exc:
            raise InvalidSampleError(f"unknown extracted_class_label {exc.args[0]!r}; known: {self.labels}") from None

    def _reliance(self, rows: _Rows) -> dict[str, float]:
        """Accuracy on the subset minus accuracy with one sensor's columns permuted across rows."""
        if len(rows) < 2:
            return {}
        rng = np.random.default_rng(self.config.random_state)
        base_accuracy = float(np.mean(self.predictor.predict_proba(rows.model_input).argmax(axis=1) == rows.y_true))
        blocks = []
        for sid in self.extractor.sensor_ids:
            columns = self.extractor.sensor_columns(sid)
            for _ in range(self.config.reliance_repeats):
                permuted = rows.raw.copy()
                permuted[:, columns] = rows.raw[rng.permutation(len(rows))][:, columns]
                self.extractor.fill_derived(permuted)
                blocks.append(self.extractor.model_input(permuted))
        predicted = self.predictor.predict_proba(np.vstack(blocks)).argmax(axis=1)
        correct = (
            predicted.reshape(len(self.extractor.sensor_ids), self.config.reliance_repeats, len(rows)) == rows.y_true
        )
        drops = base_accuracy - correct.mean(axis=(1, 2))
        return {sid: float(drop) for sid, drop in zip(self.extractor.sensor_ids, drops, strict=True)}

    def _explainer(self, subset: _Rows, explained: _Rows) -> Explainer | None:
        mode = self.config.explanations
        if mode == "none" or len(explained) == 0:
            return None
        if mode in ("auto", "model"):
            own = self.predictor.model_explainer()
            if own is not None or mode == "model":
                return own
        background = subset.model_input if len(subset) else explained.model_input
        return OcclusionExplainer(self.predictor.predict_proba, np.median(background, axis=0))

    def _explain(
        self, explainer: Explainer | None, rows: _Rows, fallback_sensor: str
    ) -> dict[str, tuple[SampleFeaturesSummary, str]]:
        unique: dict[str, int] = {}
        for i, sample_id in enumerate(rows.sample_ids.tolist()):
            unique.setdefault(sample_id, i)
        index = np.fromiter(unique.values(), dtype=np.intp, count=len(unique))
        targets = rows.proba[index].argmax(axis=1).astype(np.intp) if len(index) else np.zeros(0, dtype=np.intp)
        labels = self.predictor.class_labels
        if explainer is None:
            return {sid: (no_explanation(labels[t]), fallback_sensor) for sid, t in zip(unique, targets, strict=True)}
        contributions = explainer.contributions(rows.model_input[index], targets)
        method = ExplanationMethod(explainer.method)
        return {
            sample_id: summarise(
                contributions[k], rows.raw[i], self.extractor, labels[targets[k]], method, self.config.top_n_features
            )
            for k, (sample_id, i) in enumerate(unique.items())
        }

    def _common(
        self, rows: _Rows, i: int, explained: Mapping[str, tuple[SampleFeaturesSummary, str]]
    ) -> dict[str, Any]:
        sample_id = str(rows.sample_ids[i])
        summary, sensor_id = explained[sample_id]
        score, epistemic, aleatoric, disagreement, _confidence = rows.uncertainty[i].tolist()
        return {
            "raw_sample_id": sample_id,
            "sensor_id": sensor_id,
            "uncertainty_score": max(score, 0.0),
            "epistemic_uncertainty_score": epistemic,
            "aleatoric_uncertainty_score": aleatoric,
            "disagreement_score": disagreement,
            "predicted_label_distribution": {
                label: float(p) for label, p in zip(self.predictor.class_labels, rows.proba[i].tolist(), strict=True)
            },
            "original_scenario_id": str(rows.scenario_ids[i]),
            "scenario_timestep_seconds": float(rows.timesteps[i]),
            "sample_features_summary": summary,
        }

    def _uncertain(
        self, rows: _Rows, i: int, explained: Mapping[str, tuple[SampleFeaturesSummary, str]]
    ) -> UncertainSample:
        return UncertainSample(**self._common(rows, i, explained))

    def _misclassified(
        self, rows: _Rows, i: int, explained: Mapping[str, tuple[SampleFeaturesSummary, str]]
    ) -> MisclassifiedSample:
        return MisclassifiedSample(
            **self._common(rows, i, explained),
            true_label=self.labels[int(rows.y_true[i])],
            predicted_label=self.predictor.class_labels[int(rows.proba[i].argmax())],
            confidence_of_prediction=float(rows.uncertainty[i, 4]),
        )


def predict_dataset(predictor: Predictor, extractor: FeatureExtractor, samples: EvaluationDataset) -> Predictions:
    """``predictor``'s class probabilities for every sample of ``samples`` (streamed in the extractor's
    batches); samples without ``extracted_class_label`` are rejected by the extractor."""
    sample_ids: list[str] = []
    labels: list[str] = []
    chunks: list[FloatArray] = []
    for batch in extractor.iter_batches(iter_dataset(samples), prefetch=True):
        if batch.labels is None:
            raise InvalidSampleError("samples to predict must carry extracted_class_label")
        chunks.append(predictor.predict_proba(extractor.model_input(batch.values)))
        sample_ids.extend(batch.sample_ids)
        labels.extend(batch.labels)
    n_classes = len(predictor.class_labels)
    proba = np.vstack(chunks) if chunks else np.zeros((0, n_classes))
    return Predictions(sample_ids, labels, list(predictor.class_labels), proba)


def _hash_keys(sample_ids: list[str]) -> FloatArray:
    return np.array(
        [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=6).digest(), "big") for s in sample_ids],
        dtype=np.float64,
    )


def _only(metrics: dict[str, ClassMetrics], labels: set[str]) -> dict[str, ClassMetrics]:
    return {label: m for label, m in metrics.items() if label in labels}
