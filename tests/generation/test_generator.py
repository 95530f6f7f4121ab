"""MLDataGenerator end to end: reproducible, resumable, parallel, and strict about bad input."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envirosense.generation import (
    DatasetConflictError,
    InvalidRequestError,
    Lineage,
    MLDataGenerator,
    OutputDirectoryError,
    SchedulerUnavailableError,
    UnitEvent,
    UnitFailedError,
    iter_samples,
    load_manifest,
    read_run_package,
)
from envirosense.generation.dataset import compute_dataset_id
from envirosense.generation.writer import temp_path
from envirosense.schemas import ClassLabel, ScenarioDefinition
from envirosense.simulation import BaseScenario, scenario_class
from tests.generation.generation_helpers import GenerateOptions, GenerateRequest, records, snapshot

REQUEST: GenerateRequest = {"seed": 21, "samples_per_run": 30, "interval_seconds": 20.0, "runs_per_scenario": 2}


def _scenarios() -> list[BaseScenario[Any]]:
    return [scenario_class("baseline_operation")(), scenario_class("arcing_event")()]


def test_same_seed_gives_the_same_dataset_and_another_seed_does_not(tmp_path: Path) -> None:
    first = MLDataGenerator(workers=0).generate(_scenarios(), tmp_path / "a", **REQUEST)
    second = MLDataGenerator(workers=0).generate(_scenarios(), tmp_path / "b", **REQUEST)
    assert first.dataset_id == second.dataset_id
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert first.units_written == 4 and first.total_samples == 120
    other = MLDataGenerator(workers=0).generate(_scenarios(), tmp_path / "c", **(REQUEST | {"seed": 22}))
    assert other.dataset_id != first.dataset_id
    assert not set(snapshot(tmp_path / "c")["files"]) & set(snapshot(tmp_path / "a")["files"])


def test_manifest_lists_every_package_and_the_dataset_id_hashes_them(tmp_path: Path) -> None:
    report = MLDataGenerator(workers=0).generate(_scenarios(), tmp_path, **REQUEST)
    manifest = load_manifest(tmp_path)
    assert manifest is not None and manifest.status == "complete"
    assert manifest.dataset_id == report.dataset_id == compute_dataset_id(p.package_id for p in manifest.packages)
    assert sorted(p.file_name for p in manifest.packages) == sorted(f.name for f in tmp_path.glob("*.avro"))
    for entry in manifest.packages:
        package = read_run_package(tmp_path / entry.file_name)
        assert entry.file_name == f"{package.package_id}.avro"
        assert entry.sample_count == package.sample_count
        assert package.run_metadata["unit_key"] == entry.unit_key
    assert sum(manifest.class_counts.values()) == manifest.total_samples == 120
    assert len(list(iter_samples(tmp_path))) == 120


def test_rerun_skips_verified_units_and_redoes_missing_or_damaged_ones(tmp_path: Path) -> None:
    MLDataGenerator(workers=0).generate(_scenarios(), tmp_path / "reference", **REQUEST)
    reference = snapshot(tmp_path / "reference")
    target = tmp_path / "resumed"
    MLDataGenerator(workers=0).generate(_scenarios(), target, **REQUEST)

    again = MLDataGenerator(workers=0).generate(_scenarios(), target, **REQUEST)
    assert (again.units_written, again.units_skipped) == (0, 4)

    files = sorted(target.glob("*.avro"))
    files[0].unlink()
    files[1].write_bytes(files[1].read_bytes()[:-100])
    stale = temp_path(target / "leftover.avro")
    stale.write_bytes(b"half a file")
    events: list[UnitEvent] = []
    repaired = MLDataGenerator(workers=0).generate(_scenarios(), target, **REQUEST, progress=events.append)
    assert (repaired.units_written, repaired.units_skipped) == (2, 2)
    assert Counter(event.outcome for event in events) == {"written": 2, "skipped": 2}
    assert events[-1].units_done == events[-1].units_planned == 4
    assert not stale.exists()
    assert snapshot(target) == reference


def test_two_local_workers_give_the_same_dataset_as_one_process(tmp_path: Path) -> None:
    local = MLDataGenerator(workers=0).generate(_scenarios(), tmp_path / "inline", **REQUEST)
    pooled = MLDataGenerator(workers=2).generate(_scenarios(), tmp_path / "pool", **REQUEST)
    assert pooled.dataset_id == local.dataset_id
    assert snapshot(tmp_path / "pool") == snapshot(tmp_path / "inline")


def test_lineage_reaches_every_sample(tmp_path: Path) -> None:
    lineage = Lineage(weak_spot_ids=("ws-7", "ws-8"), cycle_id="cycle-3", triggering_model_version="rf@12")
    MLDataGenerator(workers=0).generate(_scenarios(), tmp_path, **REQUEST, lineage=lineage)
    for file in tmp_path.glob("*.avro"):
        package = read_run_package(file)
        for sample in records(file):
            metadata = sample["sample_metadata"]
            assert metadata["weak_spot_ids"] == ["ws-7", "ws-8"]
            assert metadata["cycle_id"] == "cycle-3"
            assert metadata["triggering_model_version"] == "rf@12"
            assert metadata["seed"] == package.seed
            assert metadata["scenario_definition_id"] == package.scenario_definition.scenario_definition_id
            assert metadata["scenario_definition_version"] == package.scenario_definition.version


def test_class_balanced_meets_every_quota_exactly(tmp_path: Path) -> None:
    half_hazard = {"duration_seconds": 600.0, "timing": {"onset_fraction": 0.5}}
    scenarios = [
        scenario_class("baseline_operation")(),
        scenario_class("arcing_event")(half_hazard),
        scenario_class("cellulose_pyrolysis")(half_hazard),
    ]
    quotas = {ClassLabel.NORMAL: 45, ClassLabel.ARCING: 70, ClassLabel.FIRE_PRECURSOR: 33}
    options: GenerateRequest = {
        "seed": 4,
        "mode": "class_balanced",
        "class_quotas": quotas,
        "samples_per_run": 30,
        "interval_seconds": 20.0,
    }
    events: list[UnitEvent] = []
    report = MLDataGenerator(workers=0).generate(scenarios, tmp_path, **options, progress=events.append)
    assert events[-1].units_planned > events[0].units_planned, "pre-onset timesteps made a second round necessary"
    expected = {label.value: count for label, count in quotas.items()}
    assert report.manifest.class_counts == expected
    assert Counter(sample["extracted_class_label"] for sample in iter_samples(tmp_path)) == expected
    for entry in report.manifest.packages:
        package = read_run_package(tmp_path / entry.file_name)
        assert set(entry.class_counts) == {package.run_metadata["target_class"]}
    again = MLDataGenerator(workers=0).generate(scenarios, tmp_path, **options)
    assert again.units_written == 0 and again.dataset_id == report.dataset_id


def test_class_balanced_reports_a_class_its_runs_never_reach(tmp_path: Path) -> None:
    late = scenario_class("arcing_event")({"timing": {"onset_fraction": 0.6}})
    with pytest.raises(UnitFailedError, match="hold no timestep"):
        MLDataGenerator(workers=0).generate(
            [late],
            tmp_path,
            seed=1,
            mode="class_balanced",
            class_quotas={"arcing": 5},
            samples_per_run=10,
        )


def test_temporal_and_edge_modes_produce_their_metadata(tmp_path: Path) -> None:
    MLDataGenerator(workers=0).generate(
        _scenarios(),
        tmp_path / "seq",
        seed=2,
        mode="temporal_sequence",
        samples_per_run=30,
        sequence_length=6,
        interval_seconds=20.0,
    )
    samples = list(iter_samples(tmp_path / "seq"))
    assert len(samples) == 2 * 30
    assert Counter(sample["sample_metadata"]["sequence_index"] for sample in samples) == dict.fromkeys(range(6), 10)
    MLDataGenerator(workers=0).generate(
        _scenarios(),
        tmp_path / "edge",
        seed=2,
        mode="edge_case",
        samples_per_run=10,
        runs_per_scenario=3,
        edge_parameters=2,
    )
    packages = [read_run_package(file) for file in (tmp_path / "edge").glob("*.avro")]
    assert len(packages) == 6
    assert len({package.scenario_definition.scenario_definition_id for package in packages}) == 6
    assert all(package.scenario_definition.parent_scenario_id for package in packages)


def test_spread_over_duration_samples_the_whole_scenario(tmp_path: Path) -> None:
    scenarios = [scenario_class("arcing_event")({"duration_seconds": 900.0}), scenario_class("baseline_operation")()]
    MLDataGenerator(workers=0).generate(scenarios, tmp_path, seed=3, samples_per_run=15, spread_over_duration=True)
    for file in tmp_path.glob("*.avro"):
        package = read_run_package(file)
        duration = json.loads(package.scenario_definition.specific_params_json)["duration_seconds"]
        assert package.sampling_interval_seconds == duration / 15
        times = [sample["scenario_timestep_seconds"] for sample in records(file)]
        assert times == [i * duration / 15 for i in range(15)]
    labels = {sample["extracted_class_label"] for sample in iter_samples(tmp_path)}
    assert labels == {"normal", "arcing"}


def _definition_with(**changes: object) -> ScenarioDefinition:
    definition = scenario_class("baseline_operation")().to_definition()
    return definition.model_copy(update=changes)


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (lambda: _definition_with(scenario_class_name="NoSuchScenario"), "unknown scenario class 'NoSuchScenario'"),
        (
            lambda: _definition_with(specific_params_json=json.dumps({"environment": {"wind_speed_m_s": 99}})),
            "environment.wind_speed_m_s",
        ),
        (lambda: _definition_with(specific_params_json=json.dumps({"no_such_parameter": 1})), "no_such_parameter"),
    ],
)
def test_bad_scenarios_fail_before_anything_is_written(
    tmp_path: Path, definition: Callable[[], ScenarioDefinition], message: str
) -> None:
    output = tmp_path / "out"
    with pytest.raises(InvalidRequestError, match=message):
        MLDataGenerator(workers=0).generate([definition()], output, seed=1, samples_per_run=5)
    assert not output.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"samples_per_run": 0}, "samples_per_run"),
        ({"samples_per_run": 5, "duration_seconds": 50.0}, "not both"),
        ({"samples_per_run": None, "spread_over_duration": True}, "spread_over_duration needs samples_per_run"),
        ({"mode": "class_balanced"}, "class_quotas"),
        ({"mode": "class_balanced", "class_quotas": {"corona_discharge": 5}}, "no scenario of class corona_discharge"),
        ({"mode": "no_such_mode"}, "mode"),
        ({"mode": "temporal_sequence", "samples_per_run": 4, "sequence_length": 6}, "shorter than sequence_length"),
    ],
)
def test_bad_options_fail_before_anything_is_written(tmp_path: Path, options: GenerateOptions, message: str) -> None:
    output = tmp_path / "out"
    with pytest.raises(InvalidRequestError, match=message):
        MLDataGenerator(workers=0).generate(
            _scenarios(), output, seed=1, **(GenerateOptions(samples_per_run=5) | options)
        )
    assert not output.exists()


def test_output_that_cannot_be_a_folder_fails_before_anything_is_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputDirectoryError, match="not a folder"):
        MLDataGenerator(workers=0).generate(_scenarios(), blocker / "out", seed=1, samples_per_run=5)
    with pytest.raises(OutputDirectoryError, match="not a folder"):
        MLDataGenerator(workers=0).generate(_scenarios(), blocker, seed=1, samples_per_run=5)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file"]


def test_dead_dask_scheduler_fails_before_anything_is_written(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    output = tmp_path / "out"
    generator = MLDataGenerator(
        dask_scheduler=f"tcp://127.0.0.1:{port}",
        scheduler_timeout_seconds=1.0,
        executor_attempts=2,
        backoff_initial_s=0,
    )
    with pytest.raises(SchedulerUnavailableError, match=f"tcp://127.0.0.1:{port} did not answer"):
        generator.generate(_scenarios(), output, seed=1, samples_per_run=5)
    assert not output.exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:not-a-port", "nosuchscheme://127.0.0.1:8786"])
def test_a_malformed_scheduler_address_is_bad_input_not_an_outage(tmp_path: Path, address: str) -> None:
    generator = MLDataGenerator(dask_scheduler=address, breaker_fail_max=1)
    with pytest.raises(InvalidRequestError, match="invalid Dask scheduler address"):
        generator.generate(_scenarios(), tmp_path / "out", seed=1, samples_per_run=5)
    assert generator.breaker.current_state == "closed"


def test_a_folder_holding_another_request_is_refused_untouched(tmp_path: Path) -> None:
    MLDataGenerator(workers=0).generate(_scenarios(), tmp_path, **REQUEST)
    before = snapshot(tmp_path)
    with pytest.raises(DatasetConflictError, match="different request"):
        MLDataGenerator(workers=0).generate(_scenarios(), tmp_path, **(REQUEST | {"seed": 99}))
    assert snapshot(tmp_path) == before


def test_class_balanced_draws_on_every_scenario_of_a_class(tmp_path: Path) -> None:
    names = ("baseline_operation", "traffic_exhaust", "dust_storm", "sun_heated_metal")
    scenarios = [scenario_class(name)() for name in names]
    report = MLDataGenerator(workers=0).generate(
        scenarios, tmp_path, seed=1, mode="class_balanced", class_quotas={"normal": 30}, samples_per_run=20
    )
    per_definition = Counter(entry.scenario_class_name for entry in report.manifest.packages)
    assert len(per_definition) == 4
    assert report.manifest.class_counts == {"normal": 30}
