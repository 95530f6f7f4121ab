"""``LocalModelInterface``: evaluate a registered model in this process."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from envirosense.models.datasets import EvaluationDataset, InvalidSampleError, iter_dataset
from envirosense.models.evaluation import EvaluationConfig, FloatArray, StreamingEvaluator, predict_dataset
from envirosense.models.explain import Explainer, tree_explainer
from envirosense.models.features import FeatureExtractor
from envirosense.models.interface import ModelInterface, Predictions
from envirosense.models.registry import LoadedModel, ModelRegistry
from envirosense.models.training import member_predict_proba
from envirosense.models.uncertainty import UncertaintyMeasure, UncertaintyScores, mean_member_proba
from envirosense.schemas import ModelPerformanceData


class FeatureMismatchError(ValueError):
    """The model was trained on other feature columns than the extractor produces."""


class LocalPredictor:
    """A loaded ensemble as the evaluator's ``Predictor``: mean and member distributions, own explainer."""

    def __init__(self, model: LoadedModel, *, prefer_shap: bool = True) -> None:
        self.model = model
        self.class_labels = list(model.class_labels)
        self.model_version = model.info.tag
        self.prefer_shap = prefer_shap

    def predict(self, features: FloatArray) -> tuple[FloatArray, FloatArray]:
        members = member_predict_proba(self.model.estimator, features)
        return mean_member_proba(members), members

    def predict_proba(self, features: FloatArray) -> FloatArray:
        return np.asarray(self.model.estimator.predict_proba(features), dtype=np.float64)

    def model_explainer(self) -> Explainer | None:
        return tree_explainer(self.model.estimator, prefer_shap=self.prefer_shap)


class LocalModelInterface(ModelInterface):
    """Evaluates versions of the registry's model in this process, streaming the dataset in batches.

    Parameters
    ----------
    registry:
        Where versions come from (default: the workspace's local MLflow registry).
    config:
        What to report (top-k, uncertainty measure, explanations, reliance subset) and the batch size.
    prefer_shap:
        Use SHAP when the ``shap`` extra is installed; False forces the tree-path fallback.
    on_batch:
        Called with the size of every evaluated batch (progress display).
    """

    def __init__(
        self,
        registry: ModelRegistry | None = None,
        config: EvaluationConfig | None = None,
        *,
        prefer_shap: bool = True,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.registry = registry or ModelRegistry()
        self.on_batch = on_batch
        self.config = config or EvaluationConfig()
        self.prefer_shap = prefer_shap
        self._cache: dict[int, LoadedModel] = {}
        self._lock = threading.Lock()

    def load(self, model_version_tag: str | None = None) -> tuple[LoadedModel, FeatureExtractor]:
        """The (cached) model ``model_version_tag`` names, and the extractor of its feature columns."""
        info = self.registry.resolve(model_version_tag)
        with self._lock:
            model = self._cache.get(info.version)
            if model is None:
                model = self.registry.load(str(info.version))
                self._cache[info.version] = model
        extractor = FeatureExtractor.from_params(model.extractor_params, batch_size=self.config.batch_size)
        if extractor.feature_names != model.feature_names:
            raise FeatureMismatchError(
                f"{info.tag} was trained on {len(model.feature_names)} features that this version of the "
                f"extractor does not reproduce (it makes {extractor.n_features}); retrain the model"
            )
        return model, extractor

    def get_model_performance_feedback(
        self, evaluation_dataset: EvaluationDataset, model_version_tag: str | None = None
    ) -> ModelPerformanceData:
        model, extractor = self.load(model_version_tag)
        predictor = LocalPredictor(model, prefer_shap=self.prefer_shap)
        evaluator = StreamingEvaluator(predictor, extractor, self.config, on_batch=self.on_batch)
        return evaluator.evaluate(evaluation_dataset)

    def predict_proba(self, samples: EvaluationDataset, model_version_tag: str | None = None) -> Predictions:
        model, extractor = self.load(model_version_tag)
        return predict_dataset(LocalPredictor(model, prefer_shap=self.prefer_shap), extractor, samples)

    def predict_uncertainty(
        self, samples: EvaluationDataset, measure: UncertaintyMeasure, model_version_tag: str | None = None
    ) -> tuple[Predictions, FloatArray]:
        """``predict_proba`` and the per-sample ``measure`` ``(n_samples,)`` from the ensemble's members, so
        ``epistemic`` (mutual information) and ``disagreement`` are real here."""
        model, extractor = self.load(model_version_tag)
        predictor = LocalPredictor(model, prefer_shap=self.prefer_shap)
        sample_ids: list[str] = []
        labels: list[str] = []
        probas: list[FloatArray] = []
        scores: list[FloatArray] = []
        for batch in extractor.iter_batches(iter_dataset(samples), prefetch=True):
            if batch.labels is None:
                raise InvalidSampleError("samples to predict must carry extracted_class_label")
            proba, members = predictor.predict(extractor.model_input(batch.values))
            probas.append(proba)
            scores.append(UncertaintyScores(proba, members).score(measure))
            sample_ids.extend(batch.sample_ids)
            labels.extend(batch.labels)
        n_classes = len(predictor.class_labels)
        proba = np.vstack(probas) if probas else np.zeros((0, n_classes))
        score = np.concatenate(scores) if scores else np.zeros(0)
        return Predictions(sample_ids, labels, predictor.class_labels, proba), score
