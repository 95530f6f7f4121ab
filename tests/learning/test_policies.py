"""The acquisition policies on a real SQLite scenario repository: the targeted policy's fallback chain
variation → craft → class → exploration, a bug in targeting surfacing instead of falling back, and
least-separated selection per suggestion or over the whole cycle."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import RecordingGenerator, ScriptedModel

from envirosense.generation import MLDataGenerator
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.context import CycleContext
from envirosense.learning.degradation import ServiceGuard
from envirosense.learning.policies import RandomPolicy
from envirosense.learning.sampling import SampleGenerator, SampleMaker
from envirosense.learning.selection import least_separated
from envirosense.learning.suggestions import Suggestion, SuggestionAction
from envirosense.learning.targeted import TargetedPolicy
from envirosense.repository import SQLiteScenarioRepository, make_engine
from envirosense.repository.migrate import upgrade_database
from envirosense.schemas import ClassLabel, ModelPerformanceData
from envirosense.simulation.registry import classes_for_label


class BrokenVariations(SQLiteScenarioRepository):
    """A repository with a bug in variation: a plain ``KeyError``."""

    def create_scenario_variation(self, *args: Any, **kwargs: Any) -> Any:
        raise KeyError("environment")


def _repository(tmp_path: Path, cls: type[SQLiteScenarioRepository] = SQLiteScenarioRepository) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'scenarios.db'}")
    upgrade_database(engine)
    engine.dispose()
    return cls(tmp_path / "scenarios.db")


def _setup(
    tmp_path: Path,
    generator: SampleGenerator,
    model: Any,
    repository: Any = None,
    **targeting: Any,
) -> tuple[TargetedPolicy, CycleContext, list[tuple[str, Any]]]:
    config = ActiveLearningConfig.model_validate(
        {"seed": 2, "budget": {"samples_per_scenario_run": 5}, "targeting": {"select_factor": 1} | targeting}
    )
    repository = repository or _repository(tmp_path)
    maker = SampleMaker(generator, repository, model, ServiceGuard(config.resilience), 5)
    policy = TargetedPolicy(maker, repository, model, config.targeting, config.budget)
    events: list[tuple[str, Any]] = []
    context = CycleContext(
        "r", 1, None, config, tmp_path / "cycle-1", lambda event, fields: events.append((event, fields))
    )
    return policy, context, events


def _suggestion(action: SuggestionAction, **fields: Any) -> Suggestion:
    return Suggestion(suggestion_id=f"sg-{action.value}", weak_spot_id="w1", action=action, samples=10, **fields)


@pytest.fixture
def model(make_performance: Callable[..., ModelPerformanceData]) -> ScriptedModel:
    return ScriptedModel({}, make_performance)


def test_every_targeted_action_falls_back_until_exploration(tmp_path: Path, model: ScriptedModel) -> None:
    generator = RecordingGenerator()
    policy, context, events = _setup(tmp_path, generator, model)
    acquired = policy.apply(context, _suggestion(SuggestionAction.VARIATION))
    assert [fields["action"] for event, fields in events if event == "targeting_failed"] == [
        "variation",
        "craft",
        "class_known",
    ]
    assert {s.action for s in acquired.scenarios} == {"exploration"}
    (call,) = generator.calls
    assert [d.scenario_definition_id for d in call["definitions"]] == ["exploration-default"]
    assert call["runs_per_scenario"] == 2 and acquired.datasets[0].samples == 10


def test_a_spot_with_a_class_falls_back_to_fresh_scenarios_of_that_class(tmp_path: Path, model: ScriptedModel) -> None:
    generator = RecordingGenerator()
    policy, context, events = _setup(tmp_path, generator, model)
    acquired = policy.apply(context, _suggestion(SuggestionAction.CRAFT, target_class="arcing"))
    assert [fields["action"] for _, fields in events] == ["craft"]
    assert {s.action for s in acquired.scenarios} == {"class_known"}
    producing = {cls.__name__ for cls in classes_for_label(ClassLabel.ARCING)}
    assert {d.scenario_class_name for d in generator.calls[0]["definitions"]} <= producing


def test_a_key_error_in_targeting_is_a_bug_not_a_fallback(tmp_path: Path, model: ScriptedModel) -> None:
    repository = _repository(tmp_path, BrokenVariations)
    policy, context, events = _setup(tmp_path, RecordingGenerator(), model, repository)
    suggestion = _suggestion(
        SuggestionAction.VARIATION, base_scenario_id="any", param_modifications=[{"duration_seconds": 60}]
    )
    with pytest.raises(KeyError, match="environment"):
        policy.apply(context, suggestion)
    assert events == []


@pytest.mark.parametrize("select_over", ["suggestion", "cycle"])
def test_least_separated_selection_per_suggestion_or_over_the_cycle(
    tmp_path: Path, model: ScriptedModel, select_over: str
) -> None:
    policy, context, _ = _setup(tmp_path, MLDataGenerator(workers=1), model, select_factor=3, select_over=select_over)
    first = policy.apply(context, _suggestion(SuggestionAction.CLASS_KNOWN, target_class="arcing"))
    second = RandomPolicy(policy.maker).apply(context, _suggestion(SuggestionAction.RANDOM))
    simulated = [entry.path for entry in first.datasets]
    if select_over == "suggestion":
        assert sum(entry.samples or 0 for entry in first.datasets) == 10
        assert all(entry.sample_ids is not None for entry in first.datasets)
    else:
        assert [entry.sample_ids for entry in first.datasets] == [None]
        assert first.datasets[0].samples == 30
    acquired = policy.finish(context, type(first)([*first.datasets, *second.datasets]), 20)
    if select_over == "suggestion":
        assert acquired.datasets == [*first.datasets, *second.datasets]
        return
    folders = [*simulated, *(entry.path for entry in second.datasets)]
    ranked = [
        (margin, sample_id, position)
        for position, folder in enumerate(folders)
        for margin, sample_id in zip(
            model.predict_proba(Path(folder)).margins().tolist(),
            model.predict_proba(Path(folder)).sample_ids,
            strict=True,
        )
    ]
    assert acquired.datasets == least_separated(folders, ranked, 20)
    assert sum(len(entry.sample_ids or ()) for entry in acquired.datasets) == 20


def test_the_config_names_only_registered_policies_and_runs_their_checks() -> None:
    from pydantic import ValidationError

    names = "alm, cluster-margin, pool-margin, pool-margin-matched, random"
    with pytest.raises(ValidationError, match=re.escape(f"unknown strategy 'nope'; choose one of {names}")):
        ActiveLearningConfig.model_validate({"strategy": "nope"})
    tight = {"budget": {"samples_per_cycle": 10, "min_samples_per_spot": 20}}
    with pytest.raises(ValidationError, match="must cover min_samples_per_spot"):
        ActiveLearningConfig.model_validate(tight)
    assert ActiveLearningConfig.model_validate({**tight, "strategy": "random"}).strategy == "random"
