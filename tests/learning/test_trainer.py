"""CandidateTrainer on a real local MLflow store: idempotent per key without listing the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from envirosense.learning.trainer import TAG_TRAINING_KEY, CandidateTrainer
from envirosense.models.registry import CANDIDATE, ModelRegistry
from envirosense.models.training import TrainingConfig
from envirosense.simulation import scenario_classes


@pytest.fixture(scope="module")
def samples() -> list[dict[str, Any]]:
    """One short run of every scenario class of the catalogue."""
    rng = np.random.default_rng(11)
    found: list[dict[str, Any]] = []
    for index, cls in enumerate(scenario_classes()):
        scenario = cls()
        result = scenario.simulate(scenario.sample_times(60.0, 12), rng)
        found += result.to_unsaved_samples(f"{scenario.scenario_id}-r{index}", scenario.scenario_id, index)
    return found


def test_a_key_trained_before_returns_its_version_from_filtered_queries(
    tmp_path: Path, samples: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each call asks for the training runs of its key and their versions only: never the whole listing
    (what it did before, to compare every version's description), whose size grows with every cycle."""
    registry = ModelRegistry(workspace=tmp_path / "ws", model_name="m", cache=True)
    trainer = CandidateTrainer(registry, TrainingConfig(n_estimators=4))
    versions = [trainer.train([samples], key=f"run-x/cycle-{cycle}", seed=cycle) for cycle in range(3)]
    assert versions == [1, 2, 3] and registry.resolve(CANDIDATE).version == 3

    answers: list[tuple[str, int]] = []
    search = registry.client.search_model_versions

    def counting(filter_string: str, *args: Any, **kwargs: Any) -> Any:
        found = search(filter_string, *args, **kwargs)
        answers.append((filter_string, len(found)))
        return found

    monkeypatch.setattr(registry.client, "search_model_versions", counting)
    assert trainer.train([samples], key="run-x/cycle-1", seed=1) == 2  # a resumed cycle: nothing registered
    assert len(registry.list_versions()) == 3
    answers.clear()
    assert trainer.train([samples], key="run-x/cycle-1", seed=1) == 2
    assert len(answers) == 1 and "run_id IN" in answers[0][0] and answers[0][1] == 1, answers

    # A training run of the key that finished but was killed before its version was registered: trained again.
    ended = registry.client.create_run(registry._experiment(), tags={TAG_TRAINING_KEY: "run-x/cycle-3"})
    registry.client.set_terminated(ended.info.run_id)
    assert trainer.train([samples], key="run-x/cycle-3", seed=3) == 4
    assert trainer.train([samples], key="run-x/cycle-3", seed=3) == 4
    assert all("run_id IN" in query and count <= 1 for query, count in answers), answers
    asked = len(answers)
    assert trainer.train([samples], key="run-y/cycle-0", seed=0) == 5  # a fresh key: no training run, no search
    assert len(answers) == asked
