"""The manager's public verbs outside the loop: weak spots → suggestions → the samples they add."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from envirosense.generation import MLDataGenerator
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.manager import ActiveLearningManager
from envirosense.learning.suggestions import SuggestionAction
from envirosense.repository import SQLiteScenarioRepository
from envirosense.schemas import ModelPerformanceData
from tests.learning.fakes import CountingTrainer, MemoryStore, ScriptedModel

BUDGET = {
    "samples_per_cycle": 20,
    "samples_per_scenario_run": 5,
    "probe_samples": 50,
    "exploration_share": 0.5,
    "min_samples_per_spot": 5,
}
"""alm proposes 4 × 20 − 50 = 30 samples (3 runs for the weak spot, 3 at random) and keeps 20."""


@pytest.fixture(params=["alm", "random"])
def manager(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    initial_dataset: Path,
    repository: SQLiteScenarioRepository,
    make_performance: Callable[..., ModelPerformanceData],
) -> ActiveLearningManager:
    """A manager of each strategy in ``tmp_path / "ws"`` (its model scripted by ``make_performance``)."""
    config = {"strategy": request.param, "seed": 5, "pool_factor": 4, "budget": BUDGET}
    workspace = tmp_path / "ws"
    return ActiveLearningManager(
        ScriptedModel({}, make_performance),
        repository,
        MLDataGenerator(workers=1),
        CountingTrainer(),
        MemoryStore(),
        ActiveLearningConfig.model_validate(config),
        run_id="verbs",
        workspace=workspace,
        evaluation_dataset=workspace / "evaluation",
        initial_dataset=initial_dataset,
    )


def test_generate_targeted_samples_returns_what_the_policy_keeps_and_records_nothing(
    manager: ActiveLearningManager, tmp_path: Path, make_performance: Callable[..., ModelPerformanceData]
) -> None:
    spots = manager.identify_weak_spots(make_performance(recalls={"normal": 0.95, "arcing": 0.2}))
    assert [spot.target_class for spot in spots] == ["arcing"]
    suggestions = manager.suggest_scenario_modifications(spots)
    if manager.config.strategy == "alm":
        assert sorted(s.action for s in suggestions) == [SuggestionAction.CLASS_KNOWN, SuggestionAction.RANDOM]
        assert sum(s.samples for s in suggestions) == 30

    slices = manager.generate_targeted_samples(spots)

    ids = [sample_id for entry in slices for sample_id in entry.ids()]
    assert len(ids) == len(set(ids)) == BUDGET["samples_per_cycle"]
    assert all(Path(entry.path).is_relative_to(tmp_path / "ws" / "runs" / "verbs") for entry in slices)
    store = manager.store
    assert isinstance(store, MemoryStore)
    assert store.suggestions_ == {} and store.cycles_ == {}


def test_generate_targeted_samples_keeps_the_budget_it_is_given(
    manager: ActiveLearningManager, make_performance: Callable[..., ModelPerformanceData]
) -> None:
    spots = manager.identify_weak_spots(make_performance(recalls={"normal": 0.95, "arcing": 0.2}))

    slices = manager.generate_targeted_samples(spots, budget=25)  # alm proposes 4 × 25 − 50 = 50 samples

    assert sum(len(entry.ids()) for entry in slices) == 25
