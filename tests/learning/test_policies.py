"""The acquisition policies on a real SQLite scenario repository: the proposer's fallback chain
variation → craft → class → exploration, a bug in targeting surfacing instead of falling back, alm's
proposal budget and its one selection over the cycle's pool (proposals and probe)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envirosense.generation import MLDataGenerator
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.context import CycleContext
from envirosense.learning.degradation import ServiceGuard
from envirosense.learning.policies import Acquired, RandomPolicy
from envirosense.learning.sampling import SampleGenerator, SampleMaker
from envirosense.learning.selection import least_separated
from envirosense.learning.suggestions import Suggestion, SuggestionAction
from envirosense.learning.targeted import TargetedPolicy
from envirosense.repository import SQLiteScenarioRepository, make_engine
from envirosense.repository.migrate import upgrade_database
from envirosense.schemas import ClassLabel, ModelPerformanceData, WeakSpot, WeakSpotType
from envirosense.simulation.registry import classes_for_label, scenario_class
from tests.learning.fakes import RecordingGenerator, ScriptedModel


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
        {
            "seed": 2,
            "pool_factor": 3,
            "budget": {
                "samples_per_scenario_run": 5,
                "samples_per_cycle": 20,
                "probe_samples": 50,
                "min_samples_per_spot": 5,
                "exploration_share": 0.2,
            },
            "targeting": targeting,
        }
    )
    repository = repository or _repository(tmp_path)
    maker = SampleMaker(generator, repository, model, ServiceGuard(config.resilience), 5)
    policy = TargetedPolicy(maker, repository, model, config.targeting, config.budget, config.pool_factor)
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


def _pool(policy: TargetedPolicy, context: CycleContext) -> tuple[Acquired, CycleContext]:
    """Proposals of 20 samples and a probe of 30 (4 and 6 scenario runs of 5), really simulated."""
    proposals = RandomPolicy(policy.maker).apply(context, Suggestion(suggestion_id="p", action="random", samples=20))
    probe = RandomPolicy(policy.maker).apply(context, Suggestion(suggestion_id="q", action="random", samples=30))
    return proposals, CycleContext(**{**context.__dict__, "probe_dataset": probe.datasets[0].path})


def test_without_diversity_or_cap_the_pool_selection_is_least_separated(tmp_path: Path, model: ScriptedModel) -> None:
    policy, context, _ = _setup(tmp_path, MLDataGenerator(workers=1), model, diversity=False, max_share_per_run=1.0)
    proposals, context = _pool(policy, context)
    acquired = policy.finish(context, proposals, 20)
    assert context.probe_dataset is not None
    folders = [*(entry.path for entry in proposals.datasets), context.probe_dataset]
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


def test_the_pool_selection_keeps_the_budget_spread_over_runs_and_repeats(tmp_path: Path, model: ScriptedModel) -> None:
    policy, context, _ = _setup(tmp_path, MLDataGenerator(workers=1), model, shortlist_factor=10)
    proposals, context = _pool(policy, context)
    acquired = policy.finish(context, proposals, 20)
    kept = [sample_id for entry in acquired.datasets for sample_id in entry.sample_ids or ()]
    assert len(kept) == len(set(kept)) == 20
    per_run: dict[str, int] = {}
    for sample_id in kept:
        per_run[sample_id.rsplit("-", 1)[0]] = per_run.get(sample_id.rsplit("-", 1)[0], 0) + 1
    assert max(per_run.values()) <= 2  # half of a 5-sample run, rounded down
    assert policy.finish(context, proposals, 20) == acquired


def _spot(label: str, priority: float) -> WeakSpot:
    return WeakSpot(
        weak_spot_id=f"ws-{label}",
        weak_spot_type=WeakSpotType.LOW_RECALL_CLASS,
        priority=priority,
        sensor_id=None,
        target_class=label,
    )


def test_proposals_fill_the_pool_to_the_pool_factor_and_record_the_allocation(
    tmp_path: Path, model: ScriptedModel
) -> None:
    policy, context, _ = _setup(tmp_path, RecordingGenerator(), model, pool_factor=5)
    suggestions = policy.suggest(context, [_spot("arcing", 0.8), _spot("corona_discharge", 0.4)], 20)
    # 5 × 20 samples minus the 50-sample probe: 10 runs of 5; 20 % of them uniform, the rest 2 : 1.
    assert [(s.action, s.target_class, s.samples) for s in suggestions] == [
        (SuggestionAction.CLASS_KNOWN, "arcing", 25),
        (SuggestionAction.CLASS_KNOWN, "corona_discharge", 15),
        (SuggestionAction.RANDOM, None, 10),
    ]
    allocation = json.loads((context.folder / "allocation.json").read_text("utf-8"))
    assert allocation == {"arcing": 5, "corona_discharge": 3}


def test_the_config_names_only_registered_policies_and_runs_their_checks() -> None:
    from pydantic import ValidationError

    names = "alm, cluster-margin, pool-margin, pool-margin-balanced, pool-margin-matched, random"
    with pytest.raises(ValidationError, match=re.escape(f"unknown strategy 'nope'; choose one of {names}")):
        ActiveLearningConfig.model_validate({"strategy": "nope"})
    tight = {"budget": {"samples_per_cycle": 10, "min_samples_per_spot": 20, "exploration_share": 0.5}}
    with pytest.raises(ValidationError, match="must cover min_samples_per_spot"):
        ActiveLearningConfig.model_validate(tight)
    assert ActiveLearningConfig.model_validate({**tight, "strategy": "random"}).strategy == "random"
    uniform_only = {"budget": {"samples_per_cycle": 10, "min_samples_per_spot": 20}}  # the default: share 1
    assert ActiveLearningConfig.model_validate(uniform_only).budget.exploration_share == 1.0


def test_a_class_that_learned_gets_more_of_the_next_cycle_and_a_resume_allocates_the_same(
    tmp_path: Path, model: ScriptedModel, make_performance: Callable[..., ModelPerformanceData]
) -> None:
    policy, first, _ = _setup(tmp_path, RecordingGenerator(), model, pool_factor=5)
    spots = [_spot("arcing", 0.5), _spot("corona_discharge", 0.5)]
    assert [s.samples for s in policy.suggest(first, spots, 20)][:2] == [20, 20]
    for index, arcing in ((1, 0.2), (2, 0.5)):  # arcing's probe F1 rose after cycle 1 funded it
        feedback = make_performance(recalls={"arcing": 0.5, "corona_discharge": 0.5})
        per_class = {
            label: m.model_copy(update={"f1_score": arcing if label == "arcing" else 0.4})
            for label, m in feedback.per_class_metrics.items()
        }
        folder = tmp_path / f"cycle-{index}"
        folder.mkdir(exist_ok=True)
        (folder / "probe_feedback.json").write_text(
            feedback.model_copy(update={"per_class_metrics": per_class}).model_dump_json(), encoding="utf-8"
        )
    second = CycleContext(**{**first.__dict__, "index": 2, "folder": tmp_path / "cycle-2"})
    suggested = policy.suggest(second, spots, 20)
    # arcing: 0.5 × e^(10 × 0.3) ≈ 10.0 against corona_discharge's 0.5 × e^0: corona's share falls below
    # one run and goes to arcing.
    assert [(s.target_class, s.samples) for s in suggested] == [("arcing", 40), (None, 10)]
    assert policy.suggest(second, spots, 20) == suggested


@pytest.mark.parametrize(("draw", "balanced"), [("scenario", False), ("label", True)])
def test_the_uniform_proposals_are_drawn_as_exploration_draw_says(
    tmp_path: Path, model: ScriptedModel, draw: str, balanced: bool
) -> None:
    generator = RecordingGenerator()
    policy, context, _ = _setup(tmp_path, generator, model, exploration_draw=draw)
    policy.apply(context, Suggestion(suggestion_id="sg-random", action=SuggestionAction.RANDOM, samples=70))
    definitions = generator.calls[0]["definitions"]
    assert len(definitions) == 14
    assert all(("label-balanced" in d.tags) is balanced for d in definitions)
    if balanced:  # 14 runs over the seven labels: two each
        labels = [scenario_class(d.scenario_class_name).class_label.value for d in definitions]
        assert sorted(labels.count(label) for label in set(labels)) == [2] * 7


def test_contrast_proposals_give_each_look_alike_a_hazard_share(tmp_path: Path, model: ScriptedModel) -> None:
    generator = RecordingGenerator()
    policy, context, _ = _setup(tmp_path, generator, model, exploration_draw="contrast")
    policy.apply(context, Suggestion(suggestion_id="sg-random", action=SuggestionAction.RANDOM, samples=130))
    names = [d.scenario_class_name for d in generator.calls[0]["definitions"]]
    assert len(names) == 26  # two blocks of the 13 strata
    assert names.count("ArcingEventScenario") == names.count("PassingLightningStormScenario") == 2
    assert all("contrast" in d.tags for d in generator.calls[0]["definitions"])
