"""The worked example of docs/learning.md: a policy added with one class and one registration runs a real
cycle through the unchanged runner."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from envirosense.learning import policy_registry
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.manager import ActiveLearningManager
from envirosense.repository import SQLiteScenarioRepository
from envirosense.schemas import ClassLabel, ModelPerformanceData
from envirosense.simulation.registry import classes_for_label
from tests.learning.fakes import CountingTrainer, MemoryStore, RecordingGenerator, ScriptedModel

DOC = Path(__file__).parents[2] / "docs" / "learning.md"


def _example() -> str:
    section = DOC.read_text(encoding="utf-8").split("## Acquisition policies", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "docs/learning.md lost its policy example"
    return match.group(1)


def test_the_documented_policy_runs_a_cycle(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    initial_dataset: Path,
    repository: SQLiteScenarioRepository,
    make_performance: Callable[..., ModelPerformanceData],
) -> None:
    monkeypatch.setattr(policy_registry, "_POLICIES", dict(policy_registry._POLICIES))
    exec(compile(_example(), str(DOC), "exec"), {"__name__": "docs_example"})
    assert "weak-class" in policy_registry.policy_names()

    config = ActiveLearningConfig.model_validate(
        {
            "strategy": "weak-class",
            "budget": {"samples_per_cycle": 60, "samples_per_scenario_run": 10, "probe_samples": 50},
            "stopping": {"max_cycles": 1, "target_macro_f1": None, "plateau_cycles": None},
        }
    )
    weak = make_performance(recalls={"normal": 0.95, "arcing": 0.3, "fire_precursor": 0.5})
    model = ScriptedModel({}, lambda: weak)
    generator, store = RecordingGenerator(), MemoryStore()
    manager = ActiveLearningManager(
        model,
        repository,
        generator,
        CountingTrainer(),
        store,
        config,
        run_id="doc",
        workspace=tmp_path,
        evaluation_dataset=tmp_path / "evaluation",
        initial_dataset=initial_dataset,
    )
    assert type(manager.policy).__name__ == "WeakClassPolicy"
    history = manager.run()

    assert [c.cycle_index for c in history.cycles] == [0, 1]
    assert history.cycles[1].samples_total - history.cycles[0].samples_total == 60
    targets = {row["payload"]["target_class"]: row["samples"] for row in store.suggestions("doc", 1)}
    assert targets == {"arcing": 30, "fire_precursor": 30}
    target_of = {row["suggestion_id"]: row["payload"]["target_class"] for row in store.suggestions("doc", 1)}
    made = [call for call in generator.calls if call["output_dir"].name in target_of]
    assert len(made) == 2
    for call in made:
        producing = {cls.__name__ for cls in classes_for_label(ClassLabel(target_of[call["output_dir"].name]))}
        assert {d.scenario_class_name for d in call["definitions"]} <= producing
