"""The loop end to end on the embedded defaults (SQLite, local model, local MLflow, local processes),
with assertions at every step."""

from __future__ import annotations

from pathlib import Path

import pytest

from envirosense.generation.reader import iter_samples
from envirosense.learning.assembly import Workspace, build_manager
from envirosense.learning.report import write_report
from envirosense.learning.settings import RunSettings
from envirosense.learning.store import CycleStep, SuggestionStatus
from envirosense.learning.trainer import CandidateTrainer
from envirosense.ops.timing import (
    BOOKKEEPING,
    CANDIDATE_EVALUATION,
    OTHER,
    PRIORITISATION,
    PROBE_EVALUATION,
    PROBE_GENERATION,
    TARGETED_GENERATION,
    TRAINING,
    WEAK_SPOT_IDENTIFICATION,
)
from envirosense.ops.tracking import RUN_TAG, ExperimentTracker
from tests.learning.loop_helpers import write_small_config

pytestmark = pytest.mark.slow


def test_alm_cycles_find_weak_spots_create_scenarios_and_retrain(tmp_path: Path) -> None:
    settings = RunSettings.from_file(write_small_config(tmp_path, tmp_path / "ws"))
    manager = build_manager(settings, "e2e")
    history = manager.run()
    store = manager.store

    # The catalogue was seeded: every class has known scenarios to fall back on.
    assert manager.repository.get_scenarios_by_class_label("arcing", num_to_get=1)

    # Cycle 0 (initial model) and two targeted cycles, all recorded as done, run completed.
    assert [c.cycle_index for c in history.cycles] == [0, 1, 2]
    assert [step for _, step, _ in store.cycles("e2e")] == [CycleStep.DONE] * 3
    assert store.run("e2e").status == "completed"

    # Samples grow by the budget each cycle; metrics are recorded per cycle.
    totals = [c.samples_total for c in history.cycles]
    assert totals[0] >= 150 and totals[1] > totals[0] and totals[2] > totals[1]
    assert all(0 <= c.macro_f1 <= 1 and c.per_class_f1 and c.confusion_matrix for c in history.cycles)

    # Weak spots were found and prioritised in each targeted cycle.
    for cycle in (1, 2):
        spots = store.weak_spots("e2e", cycle)
        assert spots, f"no weak spots in cycle {cycle}"
        assert all(0 <= row["utility"] <= 1 and row["strategy"] for row in spots)

    # Suggestions were applied; targeted scenarios carry lineage back to their weak spot.
    applied = store.suggestions("e2e", status=SuggestionStatus.APPLIED)
    assert applied and all(row["status"] == "applied" for row in store.suggestions("e2e"))
    targeted = [s for c in history.cycles for s in c.scenarios if s.weak_spot_id]
    assert targeted, "no scenario was created for a weak spot"
    spot_ids = {row["weak_spot_id"] for cycle in (1, 2) for row in store.weak_spots("e2e", cycle)}
    assert {s.weak_spot_id for s in targeted} <= spot_ids
    variations = [s for s in targeted if s.action == "variation"]
    for scenario in variations:
        stored = manager.repository.get_scenario_by_id(scenario.scenario_definition_id).definition
        assert stored is not None and stored.parent_scenario_id is not None
        assert scenario.weak_spot_id in stored.originating_weak_spot_ids

    # Samples written with lineage: weak spot, cycle, model version, definition version, seed.
    lineage_seen = 0
    for entry in store.cycles("e2e")[1].state.datasets or []:
        for sample in iter_samples(Path(entry.path)):
            meta = sample["sample_metadata"]
            assert meta["cycle_id"] == "e2e:cycle-1" and meta["scenario_definition_version"] >= 1
            if meta["weak_spot_ids"]:
                lineage_seen += 1
                assert meta["triggering_model_version"] == history.cycles[0].model_version
    assert lineage_seen > 0

    # Models registered (one per cycle) with a champion; runs tracked in MLflow, one nested run per cycle.
    assert isinstance(manager.trainer, CandidateTrainer)
    versions = manager.trainer.registry.list_versions()
    assert len(versions) == 3
    assert any("champion" in v.aliases for v in versions)
    tracker = ExperimentTracker(Workspace.from_settings(settings).tracking_uri)
    runs = tracker.client.search_runs([tracker.experiment_id], filter_string=f"tags.`{RUN_TAG}` = 'e2e'")
    assert len(runs) == 4
    assert all("macro_f1" in run.data.metrics for run in runs)

    # Each cycle timed itself: the loop's steps, and the database, registry and tracking as bookkeeping;
    # the same figures are MLflow metrics of the cycle's run.
    for summary in history.cycles[1:]:
        assert set(summary.step_seconds) >= {
            PROBE_GENERATION,
            PROBE_EVALUATION,
            WEAK_SPOT_IDENTIFICATION,
            PRIORITISATION,
            TARGETED_GENERATION,
            TRAINING,
            CANDIDATE_EVALUATION,
            *BOOKKEEPING,
            OTHER,
        }
        assert all(seconds >= 0 for seconds in summary.step_seconds.values()) and summary.step_seconds[TRAINING] > 0
    assert all("step_seconds.training" in run.data.metrics for run in runs)

    # The report renders from the recorded history.
    report = write_report(history, Workspace.from_settings(settings).report("e2e"))
    assert "Learning curve" in report.read_text(encoding="utf-8")
    assert "Time per cycle and step" in report.read_text(encoding="utf-8")


def test_baselines_run_on_the_same_machinery(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    for strategy in ("random", "pool-margin"):
        settings = RunSettings.from_file(write_small_config(tmp_path, workspace, strategy=strategy))
        manager = build_manager(settings, strategy)
        history = manager.run(max_cycles=1)
        assert [c.cycle_index for c in history.cycles] == [0, 1]
        assert history.cycles[1].samples_total - history.cycles[0].samples_total == 80
        assert manager.store.weak_spots(strategy) == []
        actions = {s.action for s in history.cycles[1].scenarios}
        assert actions == {"random" if strategy == "random" else "pool"}


def test_manual_review_waits_and_continues_after_approval(tmp_path: Path) -> None:
    settings = RunSettings.from_file(write_small_config(tmp_path, tmp_path / "ws", review="manual"))
    manager = build_manager(settings, "manual")
    history = manager.run(max_cycles=1)
    assert history.status == "waiting_for_review" and [c.cycle_index for c in history.cycles] == [0]
    pending = manager.store.suggestions("manual", status=SuggestionStatus.PENDING)
    assert pending
    rejected = pending[0]["suggestion_id"]
    manager.store.set_suggestion_status(rejected, SuggestionStatus.REJECTED, expected=[SuggestionStatus.PENDING])
    for row in pending[1:]:
        manager.store.set_suggestion_status(row["suggestion_id"], SuggestionStatus.APPROVED)
    history = build_manager(settings, "manual").run(max_cycles=1)
    assert [c.cycle_index for c in history.cycles] == [0, 1]
    statuses = {row["suggestion_id"]: row["status"] for row in manager.store.suggestions("manual")}
    assert statuses[rejected] == "rejected"
    assert all(status == "applied" for sid, status in statuses.items() if sid != rejected)
