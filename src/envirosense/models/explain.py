"""Local explanations: which features pushed one sample toward a class.

Three methods, each giving a signed contribution per feature (shape ``(n_samples, n_features)``, in
probability units of the target class):

- ``SHAP``: ``shap.TreeExplainer`` (interventional-free "tree path dependent" SHAP values), used for forests
  when the optional ``shap`` extra is installed (``pip install envirosense[explain]``).
- ``tree_path_contributions``: the fallback for forests without ``shap`` (Saabas' method). Walking a tree from
  root to leaf, every split moves the node's class distribution; that move is credited to the split's
  feature. Averaged over the trees, the contributions plus the root distribution equal the forest's
  ``predict_proba`` exactly. It is fast and model-based, but unlike SHAP it favours features split near
  the leaves.
- ``occlusion``: model-agnostic, for any ``predict_proba`` (bagged boosting, a remote model server): the
  contribution of feature ``j`` is ``p_c(x) − p_c(x with feature j set to a reference value)``, the reference
  being the feature's median over a sample of the evaluation set. It costs ``n_features + 1`` predictions
  per explained sample, so it runs only on the bounded set of samples reported.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

from envirosense.models.features import FeatureExtractor
from envirosense.schemas import FeatureContribution, SampleFeaturesSummary

FloatArray = NDArray[np.float64]


class ExplanationMethod(StrEnum):
    SHAP = "SHAP"
    TREE_PATH = "tree_path_contributions"
    OCCLUSION = "occlusion"
    NONE = "none"


class Explainer(Protocol):
    method: ExplanationMethod

    def contributions(self, features: FloatArray, target: NDArray[np.intp]) -> FloatArray:
        """Contribution of each feature of each row toward class index ``target[row]``: ``(n, n_features)``."""
        ...


def shap_available() -> bool:
    return importlib.util.find_spec("shap") is not None


class ShapTreeExplainer:
    """SHAP values of a forest (``shap.TreeExplainer``), for the target class of each row."""

    method = ExplanationMethod.SHAP

    def __init__(self, estimator: RandomForestClassifier | ExtraTreesClassifier) -> None:
        import shap

        self._explainer = shap.TreeExplainer(estimator)

    def contributions(self, features: FloatArray, target: NDArray[np.intp]) -> FloatArray:
        values = self._explainer.shap_values(features, check_additivity=False)
        stacked = np.stack(values, axis=-1) if isinstance(values, list) else np.asarray(values)
        return np.asarray(stacked[np.arange(len(target)), :, target], dtype=np.float64)


class TreePathExplainer:
    """Saabas path contributions of a forest of decision trees (see the module docstring)."""

    method = ExplanationMethod.TREE_PATH

    def __init__(self, estimator: RandomForestClassifier | ExtraTreesClassifier) -> None:
        self.estimator = estimator
        self._trees = [_TreeDeltas.of(tree) for tree in estimator.estimators_]

    def bias(self) -> FloatArray:
        """Mean root distribution over the trees, ``(n_classes,)``: the prediction before any split."""
        return np.asarray(np.mean([t.root for t in self._trees], axis=0), dtype=np.float64)

    def contributions(self, features: FloatArray, target: NDArray[np.intp]) -> FloatArray:
        x32 = np.ascontiguousarray(features, dtype=np.float32)
        out = np.zeros(features.shape, dtype=np.float64)
        for tree, deltas in zip(self.estimator.estimators_, self._trees, strict=True):
            path = tree.decision_path(x32).tocoo()
            keep = path.col != 0
            rows, nodes = path.row[keep], path.col[keep]
            np.add.at(out, (rows, deltas.split_feature[nodes]), deltas.delta[nodes, target[rows]])
        out /= len(self._trees)
        return out


class _TreeDeltas:
    """Per node: the feature of the split above it and the change in class distribution it caused."""

    def __init__(self, root: FloatArray, split_feature: NDArray[np.intp], delta: FloatArray) -> None:
        self.root = root
        self.split_feature = split_feature
        self.delta = delta

    @classmethod
    def of(cls, tree: Any) -> _TreeDeltas:
        structure = tree.tree_
        value = structure.value[:, 0, :].astype(np.float64)
        value /= value.sum(axis=1, keepdims=True)
        parent = np.zeros(structure.node_count, dtype=np.intp)
        for children in (structure.children_left, structure.children_right):
            internal = np.flatnonzero(children >= 0)
            parent[children[internal]] = internal
        split_feature = np.maximum(structure.feature[parent], 0).astype(np.intp)
        delta = value - value[parent]
        return cls(value[0], split_feature, delta)


class OcclusionExplainer:
    """Model-agnostic occlusion against per-feature reference values (see the module docstring).

    ``predict_proba`` maps model input ``(n, n_features)`` to ``(n, n_classes)``; ``reference`` is
    ``(n_features,)`` in model-input units.
    """

    method = ExplanationMethod.OCCLUSION

    def __init__(self, predict_proba: Callable[[FloatArray], FloatArray], reference: FloatArray) -> None:
        self.predict_proba = predict_proba
        self.reference = reference

    def contributions(self, features: FloatArray, target: NDArray[np.intp]) -> FloatArray:
        n, n_features = features.shape
        if n == 0:
            return np.zeros((0, n_features))
        occluded = np.repeat(features[:, None, :], n_features, axis=1)
        diagonal = np.arange(n_features)
        occluded[:, diagonal, diagonal] = self.reference
        proba = self.predict_proba(np.vstack([features, occluded.reshape(n * n_features, n_features)]))
        base = proba[np.arange(n), target]
        moved = proba[n:].reshape(n, n_features, -1)[np.arange(n), :, target]
        return np.asarray(base[:, None] - moved, dtype=np.float64)


def tree_explainer(estimator: Any, *, prefer_shap: bool = True) -> Explainer | None:
    """SHAP or path contributions for a forest; ``None`` for other models (use occlusion)."""
    if not isinstance(estimator, RandomForestClassifier | ExtraTreesClassifier):
        return None
    if prefer_shap and shap_available():
        return ShapTreeExplainer(estimator)
    return TreePathExplainer(estimator)


def summarise(
    contributions: FloatArray,
    raw_values: FloatArray,
    extractor: FeatureExtractor,
    target_class: str,
    method: ExplanationMethod,
    top_n: int,
) -> tuple[SampleFeaturesSummary, str]:
    """The ``SampleFeaturesSummary`` of one sample and the sensor it points to.

    ``contributions`` and ``raw_values`` are ``(n_features,)``; ``raw_values`` uses NaN for missing (reported
    as null). Features are ranked by absolute contribution; the sensor is the one whose features add up to
    the largest absolute contribution.
    """
    order = np.argsort(-np.abs(contributions), kind="stable")[:top_n]
    names = extractor.feature_names
    top = [
        FeatureContribution(
            feature_path=names[j],
            importance_score=float(contributions[j]),
            raw_value=None if np.isnan(raw_values[j]) else float(raw_values[j]),
        )
        for j in order
    ]
    summary = SampleFeaturesSummary(method=method.value, target_class_for_explanation=target_class, top_n_features=top)
    return summary, pointed_sensor(contributions, extractor)


def pointed_sensor(contributions: FloatArray, extractor: FeatureExtractor) -> str:
    """The sensor whose features carry the largest summed absolute contribution (first sensor on ties)."""
    totals = np.zeros(len(extractor.sensor_ids))
    position = {sid: i for i, sid in enumerate(extractor.sensor_ids)}
    for j, column in enumerate(extractor.columns):
        share = abs(float(contributions[j])) / len(column.sensor_ids)
        for sid in column.sensor_ids:
            totals[position[sid]] += share
    return extractor.sensor_ids[int(np.argmax(totals))]


def no_explanation(target_class: str) -> SampleFeaturesSummary:
    """The summary when explanations are switched off: ``method`` ``none`` and no features."""
    return SampleFeaturesSummary(
        method=ExplanationMethod.NONE.value, target_class_for_explanation=target_class, top_n_features=[]
    )
