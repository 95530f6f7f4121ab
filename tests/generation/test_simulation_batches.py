"""Crafting's simulation batches on a run's long-lived executor: the same crafted scenario as in this
process, the jobs cut into ordered chunks, and a batch that survives a killed pool."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from envirosense.generation import MLDataGenerator
from envirosense.generation.batches import ExecutorBatch, chunks, simulation_batch
from envirosense.repository.crafting import (
    CraftRequest,
    FailureSeekingCrafter,
    RuleBasedInverseCrafter,
    feature_targets,
)
from envirosense.repository.crafting.batch import CountingBatch, InProcessBatch, SimulationJob
from envirosense.repository.crafting.forward import ForwardModel
from envirosense.repository.sensors import FeatureField, parse_feature_path
from envirosense.schemas import ClassLabel, SampleFeaturesSummary
from envirosense.simulation.registry import scenario_class
from envirosense.simulation.result import SimulationResult
from envirosense.simulation.scenario import BaseScenario
from tests.generation.generation_helpers import kill_pool_workers, pool_workers


def _hotspot() -> FeatureField:
    field = parse_feature_path("sensor_readings_map.U26_Lepton35.hotspot_delta_c")
    assert field is not None
    return field


HOTSPOT = _hotspot()


def _request(value: float) -> CraftRequest:
    summary = SampleFeaturesSummary(
        method="SHAP",
        target_class_for_explanation="equipment_overheat",
        top_n_features=[{"feature_path": HOTSPOT.path, "importance_score": 1.0, "raw_value": value}],
    )
    return CraftRequest(summary, ClassLabel.EQUIPMENT_OVERHEAT, tuple(feature_targets(summary)))


def _jobs(n: int) -> list[SimulationJob]:
    cls = scenario_class("equipment_overheat")
    forward = ForwardModel(n_steps=8, n_repeats=n, seed=5)
    return forward.jobs(cls(cls.params_model()), [HOTSPOT], ClassLabel.EQUIPMENT_OVERHEAT)


def _hotspot_score(scenario: BaseScenario[Any], run: SimulationResult) -> float:
    values = np.asarray(run.readings[HOTSPOT.sensor_id][HOTSPOT.field], dtype=np.float64)
    return float(np.nanmedian(values))


def test_chunks_keep_the_order_and_differ_by_at_most_one() -> None:
    jobs = _jobs(7)
    cut = chunks(jobs, parallelism=2, chunks_per_worker=2)
    assert [len(chunk) for chunk in cut] == [2, 2, 2, 1]
    assert [job for chunk in cut for job in chunk] == jobs
    assert [len(chunk) for chunk in chunks(jobs[:3], parallelism=4, chunks_per_worker=2)] == [1, 1, 1]


def test_a_closed_generator_a_small_batch_or_another_source_runs_here() -> None:
    jobs = _jobs(3)
    expected = InProcessBatch().run(jobs)
    assert ExecutorBatch(MLDataGenerator(workers=2), local_below=0).run(jobs) == expected
    with MLDataGenerator(workers=2) as generator:
        assert ExecutorBatch(generator, local_below=4).run(jobs) == expected
        assert not pool_workers()  # the pool was never started
    assert isinstance(simulation_batch(MLDataGenerator(workers=0)), ExecutorBatch)
    assert isinstance(simulation_batch(object()), InProcessBatch)


@pytest.mark.slow
def test_crafters_give_the_same_scenario_on_the_pool_as_in_process() -> None:
    request = _request(18.0)
    here = RuleBasedInverseCrafter(seed=11).craft(request)
    here_seeking = FailureSeekingCrafter(_hotspot_score, rng=np.random.default_rng(3), candidates_per_craft=6)
    seeking_here = [here_seeking.craft(request) for _ in range(2)]
    with MLDataGenerator(workers=2) as generator:
        batch = ExecutorBatch(generator, local_below=0)
        pooled = RuleBasedInverseCrafter(seed=11, batch=batch).craft(request)
        assert len(pool_workers()) == 2  # the batch ran on the generator's pool
        pooled_seeking = FailureSeekingCrafter(
            _hotspot_score, rng=np.random.default_rng(3), candidates_per_craft=6, batch=batch
        )
        seeking_pooled = [pooled_seeking.craft(request) for _ in range(2)]
    assert batch.sent > 0 and batch.fallbacks == 0
    assert pooled.params == here.params
    assert pooled.report == here.report
    assert [r.params for r in seeking_pooled] == [r.params for r in seeking_here]
    assert pooled_seeking.state_dict() == here_seeking.state_dict()


@pytest.mark.slow
def test_a_batch_survives_a_killed_pool() -> None:
    jobs = _jobs(6)
    expected = InProcessBatch().run(jobs)
    with MLDataGenerator(workers=2) as generator:
        batch = ExecutorBatch(generator, local_below=0)
        assert batch.run(jobs) == expected
        deadline = time.monotonic() + 60
        while len(pool_workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kill_pool_workers() == 2
        assert batch.run(jobs) == expected  # the broken pool is dropped; this batch ran here
        assert (batch.sent, batch.fallbacks) == (1, 1)
        assert batch.run(jobs) == expected  # and the next one on a fresh pool
        assert (batch.sent, batch.fallbacks) == (2, 1)
        assert len(pool_workers()) == 2


@pytest.mark.slow
def test_a_dask_cluster_crafts_the_same_scenario(tmp_path: Path) -> None:
    import dask
    from distributed import LocalCluster

    request = _request(18.0)
    here = RuleBasedInverseCrafter(seed=11).craft(request)
    with (
        dask.config.set({"temporary-directory": str(tmp_path)}),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            local_directory=str(tmp_path),
        ) as cluster,
        MLDataGenerator(dask_scheduler=cluster.scheduler_address) as generator,
    ):
        batch = ExecutorBatch(generator, local_below=0)
        remote = RuleBasedInverseCrafter(seed=11, batch=batch).craft(request)
    assert batch.sent > 0 and batch.fallbacks == 0
    assert remote.params == here.params
    assert remote.report == here.report


def test_a_counting_batch_reports_the_samples_it_simulated() -> None:
    counted: list[int] = []
    jobs = _jobs(3)
    assert CountingBatch(InProcessBatch(), counted.append).run(jobs) == InProcessBatch().run(jobs)
    assert counted == [3 * 8]  # three runs of 8 timesteps
