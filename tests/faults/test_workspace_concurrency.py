"""Several processes start runs in the same workspace at the same moment: each migrates the database,
seeds the catalogue, generates the shared initial and evaluation datasets into the same folders and
updates the same scenario definitions. No process fails, no update is lost, and every dataset holds each
package once, intact.

(Concurrent updates of one definition on both databases are tested in
``tests/repository/test_repository_concurrency.py``; concurrent generation of one folder by different
requests in ``tests/generation/test_generator.py``.)
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from envirosense.generation import iter_samples
from envirosense.generation.dataset import load_manifest
from envirosense.learning.assembly import Workspace, build_manager
from envirosense.learning.settings import RunSettings
from envirosense.repository import ConflictError, SqlScenarioRepository, open_repository
from envirosense.repository.catalogue import catalogue_definitions
from tests.learning.loop_helpers import write_small_config

pytestmark = pytest.mark.slow

PROCESSES = 3
UPDATES = 5
TARGETS = tuple(d.scenario_definition_id for d in list(catalogue_definitions())[:2])


def start_run_and_update(config: str, run_id: str, start_at: float) -> dict[str, str]:
    """At ``start_at``, build a run (migrations, catalogue, shared datasets), then append a tag per update
    to each target with read → modify → write-if-unchanged, retrying on conflicts."""
    settings = RunSettings.from_file(Path(config))
    time.sleep(max(0.0, start_at - time.time()))
    manager = build_manager(settings, run_id)
    repository = manager.repository
    assert isinstance(repository, SqlScenarioRepository)
    for index in range(UPDATES):
        for target in TARGETS:
            while True:
                current = repository.get_definition(target)
                try:
                    changes = {"tags": [*current.tags, f"{run_id}-{index}"], "version": current.version}
                    assert repository.update_scenario_definition(target, changes)
                    break
                except ConflictError:
                    continue
    return {"initial": str(manager.initial_dataset), "evaluation": str(manager.evaluation_dataset)}


def test_runs_started_together_in_one_workspace_share_it_safely(tmp_path: Path) -> None:
    config = write_small_config(tmp_path, tmp_path / "ws")
    run_ids = [f"together-{i}" for i in range(PROCESSES)]
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 10
    with ProcessPoolExecutor(max_workers=PROCESSES, mp_context=context) as pool:
        futures = [pool.submit(start_run_and_update, str(config), run_id, start_at) for run_id in run_ids]
        results = [future.result(timeout=300) for future in futures]

    for purpose in ("initial", "evaluation"):
        (folder,) = {Path(result[purpose]) for result in results}
        manifest = load_manifest(folder)
        assert manifest is not None and manifest.status == "complete"
        listed = [entry.file_name for entry in manifest.packages]
        assert len(listed) == len(set(listed))
        assert sorted(path.name for path in folder.glob("*.avro")) == sorted(listed)
        assert not list(folder.glob(".*.tmp"))
        samples = [sample["sample_id"] for sample in iter_samples(folder, verify=True)]
        assert len(samples) == len(set(samples)) == 160

    settings = RunSettings.from_file(config)
    with open_repository(Workspace.from_settings(settings).database_url) as repository:
        for target in TARGETS:
            final = repository.get_definition(target)
            expected = {f"{run_id}-{index}" for run_id in run_ids for index in range(UPDATES)}
            assert expected <= set(final.tags)
            assert final.version == 1 + PROCESSES * UPDATES
            assert [d.version for d in repository.history(target)] == list(range(1, final.version + 1))
