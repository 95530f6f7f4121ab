"""The pool baselines on the real generator and loop: pool-margin-matched, pool-margin-balanced and
cluster-margin, and the simulated-sample count every cycle records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from envirosense.generation import MLDataGenerator
from envirosense.learning.cluster_margin import ClusterMargin, ClusterMarginPolicy
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.context import CycleContext
from envirosense.learning.degradation import ServiceGuard
from envirosense.learning.manager import ActiveLearningManager
from envirosense.learning.policies import Acquired
from envirosense.learning.policy_registry import PolicyParts, build_policy
from envirosense.learning.sampling import SampleMaker
from envirosense.learning.sources import DefinitionDraw, label_balanced_definitions, random_definitions
from envirosense.learning.suggestions import Suggestion, SuggestionAction
from envirosense.models.api import CircuitOpenError
from envirosense.models.datasets import iter_dataset
from envirosense.models.features import FeatureExtractor
from envirosense.repository import SQLiteScenarioRepository
from envirosense.schemas import ClassLabel, ModelPerformanceData
from envirosense.simulation.registry import scenario_class
from tests.learning.fakes import CountingTrainer, MemoryStore, ScriptedModel


def _run(
    tmp_path: Path,
    initial_dataset: Path,
    repository: SQLiteScenarioRepository,
    make_performance: Callable[..., ModelPerformanceData],
    **config: Any,
) -> ActiveLearningManager:
    settings = {
        "seed": 1,
        "pool_factor": 2,
        "budget": {"samples_per_cycle": 20, "samples_per_scenario_run": 10} | config.pop("budget", {}),
        "stopping": {"max_cycles": 2, "target_macro_f1": None, "plateau_cycles": None},
    }
    return ActiveLearningManager(
        ScriptedModel({}, make_performance),
        repository,
        MLDataGenerator(workers=1),
        CountingTrainer(),
        MemoryStore(),
        ActiveLearningConfig.model_validate(settings | config),
        run_id="r",
        workspace=tmp_path / "ws",
        evaluation_dataset=tmp_path / "evaluation",
        initial_dataset=initial_dataset,
    )


@pytest.mark.parametrize(
    ("config", "pool"),
    [
        ({"strategy": "random"}, 20),
        ({"strategy": "pool-margin"}, 40),
        ({"strategy": "pool-margin-balanced"}, 40),
        ({"strategy": "pool-margin-matched", "budget": {"simulation_samples_per_cycle": 75}}, 70),
        ({"strategy": "cluster-margin"}, 40),
    ],
)
def test_every_cycle_records_the_samples_its_policy_simulated(
    tmp_path: Path,
    initial_dataset: Path,
    repository: SQLiteScenarioRepository,
    make_performance: Callable[..., ModelPerformanceData],
    config: dict[str, Any],
    pool: int,
) -> None:
    history = _run(tmp_path, initial_dataset, repository, make_performance, **config).run()
    assert [c.samples_total for c in history.cycles] == [12, 32, 52]
    # cycle 0: the initial set; then the whole pool each cycle (75 rounds down to whole runs of 10)
    assert [c.samples_simulated for c in history.cycles] == [12, 12 + pool, 12 + 2 * pool]


def test_pool_margin_matched_needs_its_simulation_budget() -> None:
    with pytest.raises(ValidationError, match=r"needs budget\.simulation_samples_per_cycle"):
        ActiveLearningConfig.model_validate({"strategy": "pool-margin-matched"})
    small = {"samples_per_cycle": 100, "simulation_samples_per_cycle": 50}
    with pytest.raises(ValidationError, match=r"at least budget\.samples_per_cycle"):
        ActiveLearningConfig.model_validate({"strategy": "pool-margin-matched", "budget": small})


def _pool_of(
    tmp_path: Path,
    repository: SQLiteScenarioRepository,
    make_performance: Callable[..., ModelPerformanceData],
    strategy: str,
    seed: int,
) -> tuple[Acquired, CycleContext, Suggestion, int]:
    """``strategy`` (pool_factor 7) applied to a 10-sample suggestion in runs of 5: what it acquired, its
    context and suggestion, and the samples it simulated."""
    config = ActiveLearningConfig.model_validate({"strategy": strategy, "seed": seed, "pool_factor": 7})
    model = ScriptedModel({}, make_performance)
    maker = SampleMaker(MLDataGenerator(workers=1), repository, model, ServiceGuard(config.resilience), 5)
    policy = build_policy(config, PolicyParts(maker, repository, model))
    assert policy.name == strategy
    context = CycleContext("r", 1, None, config, tmp_path / strategy, lambda event, fields: None)
    suggestion = Suggestion(suggestion_id=f"sg-{strategy}", action=SuggestionAction.POOL, samples=10)
    acquired = policy.apply(context, suggestion)
    return acquired, context, suggestion, maker.counter.take()


@pytest.mark.parametrize(
    ("strategy", "draw"), [("pool-margin", random_definitions), ("pool-margin-balanced", label_balanced_definitions)]
)
def test_a_pool_margin_pool_is_drawn_by_its_strategys_draw(
    tmp_path: Path,
    repository: SQLiteScenarioRepository,
    make_performance: Callable[..., ModelPerformanceData],
    strategy: str,
    draw: DefinitionDraw,
) -> None:
    acquired, context, suggestion, simulated = _pool_of(tmp_path, repository, make_performance, strategy, 3)
    assert simulated == 70  # 7 × 10 samples: 14 runs of 5
    assert sum(entry.samples or 0 for entry in acquired.datasets) == 10
    expected = draw(context.rng(1, suggestion.stream), 14, "any")
    assert [s.scenario_class_name for s in acquired.scenarios] == [d.scenario_class_name for d in expected]


def test_the_balanced_pool_gives_every_label_its_share_the_uniform_one_mostly_normal_runs(
    tmp_path: Path, repository: SQLiteScenarioRepository, make_performance: Callable[..., ModelPerformanceData]
) -> None:
    labels = {
        strategy: Counter(
            scenario_class(scenario.scenario_class_name).class_label
            for scenario in _pool_of(tmp_path, repository, make_performance, strategy, 5)[0].scenarios
        )
        for strategy in ("pool-margin", "pool-margin-balanced")
    }
    assert labels["pool-margin-balanced"] == dict.fromkeys(ClassLabel, 2)  # 14 runs, 7 labels
    assert labels["pool-margin"][ClassLabel.NORMAL] > 2


def test_cluster_margin_keeps_what_the_selector_picks_from_the_pool(
    tmp_path: Path, repository: SQLiteScenarioRepository, make_performance: Callable[..., ModelPerformanceData]
) -> None:
    config = ActiveLearningConfig.model_validate({"seed": 4, "budget": {"samples_per_scenario_run": 5}})
    model = ScriptedModel({}, make_performance)
    maker = SampleMaker(MLDataGenerator(workers=1), repository, model, ServiceGuard(config.resilience), 5)
    policy = ClusterMarginPolicy(maker, pool_factor=4)
    context = CycleContext("r", 1, None, config, tmp_path / "cycle-1", lambda event, fields: None)
    suggestion = Suggestion(suggestion_id="sg-pool", action=SuggestionAction.POOL, samples=10)
    acquired = policy.apply(context, suggestion)
    assert maker.counter.take() == 40
    assert sum(entry.samples or 0 for entry in acquired.datasets) == 10
    kept = {sample_id for entry in acquired.datasets for sample_id in entry.sample_ids or ()}
    pool = [sample for entry in acquired.datasets for sample in iter_dataset(Path(entry.path))]
    extractor = FeatureExtractor()
    batch = next(extractor.iter_batches(pool))
    margins = dict(zip(*_margins(model, acquired.datasets[0].path), strict=True))
    chosen, _ = ClusterMargin().select(
        extractor.model_input(batch.values), np.array([margins[i] for i in batch.sample_ids]), 10
    )
    assert kept == {batch.sample_ids[i] for i in chosen.tolist()}


def _margins(model: ScriptedModel, folder: str) -> tuple[list[str], list[float]]:
    predictions = model.predict_proba(Path(folder))
    return predictions.sample_ids, predictions.margins().tolist()


class DownModel(ScriptedModel):
    """A model server whose circuit breaker is open for every prediction."""

    def predict_proba(self, samples: Any, model_version_tag: str | None = None) -> Any:
        raise CircuitOpenError("model server down")


def test_cluster_margin_without_the_model_keeps_a_seeded_random_subset_and_says_so(
    tmp_path: Path, repository: SQLiteScenarioRepository, make_performance: Callable[..., ModelPerformanceData]
) -> None:
    config = ActiveLearningConfig.model_validate(
        {"budget": {"samples_per_scenario_run": 5}, "resilience": {"on_service_down": "skip"}}
    )
    model = DownModel({}, make_performance)
    maker = SampleMaker(MLDataGenerator(workers=1), repository, model, ServiceGuard(config.resilience), 5)
    context = CycleContext("r", 1, None, config, tmp_path / "cycle-1", lambda event, fields: None)
    suggestion = Suggestion(suggestion_id="sg-pool", action=SuggestionAction.POOL, samples=10)
    acquired = ClusterMarginPolicy(maker, pool_factor=3).apply(context, suggestion)
    assert sum(len(entry.sample_ids or ()) for entry in acquired.datasets) == 10
    assert len(acquired.degraded) == 1 and "selection" in acquired.degraded[0]
