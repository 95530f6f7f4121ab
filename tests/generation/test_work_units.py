"""Work units are pure functions of their fields: seeds, ids and samples follow from them alone."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import Field

from envirosense.generation.errors import VersionMismatchError
from envirosense.generation.units import (
    GenerationMode,
    Lineage,
    WorkUnit,
    build_samples,
    derive_seed,
    edge_case_definition,
    edge_value,
    normalized_definition,
    run_unit,
)
from envirosense.schemas import ClassLabel, MLDataSample
from envirosense.simulation import param_ranges, scenario_class
from envirosense.simulation.parameters import ParamModel, flatten_params
from tests.generation.generation_helpers import make_unit, without_timestamps


def test_seed_derives_from_run_seed_and_unit_identity_only() -> None:
    unit = make_unit(run_seed=3)
    assert unit.seed == derive_seed(3, unit.identity_digest) == make_unit(run_seed=3).seed
    seeds = {make_unit(run_seed=3, run_index=i).seed for i in range(50)}
    assert len(seeds) == 50
    assert make_unit(run_seed=4).seed != unit.seed
    assert all(0 <= seed < 2**63 for seed in seeds)


def test_identity_ignores_the_definition_timestamp_and_codec() -> None:
    unit = make_unit()
    restamped = unit.definition.model_copy(
        update={"creation_timestamp_utc": unit.definition.creation_timestamp_utc - timedelta(days=30)}
    )
    assert make_unit(definition=restamped, codec="null").key == unit.key
    other_params = json.loads(unit.definition.specific_params_json)
    other_params["environment"]["wind_speed_m_s"] = 7.5
    changed = unit.definition.model_copy(update={"specific_params_json": json.dumps(other_params)})
    assert make_unit(definition=changed).key != unit.key


def test_same_unit_gives_the_same_samples_field_for_field() -> None:
    unit = make_unit(scenario="arcing_event", timesteps=60, interval_seconds=30.0)
    first, second = run_unit(unit), run_unit(unit)
    assert first.file_name == second.file_name
    assert first.package.model_dump(exclude={"run_metadata"}) == second.package.model_dump(exclude={"run_metadata"})
    wall_clock = {"generated_at_utc"}
    assert {k: v for k, v in first.package.run_metadata.items() if k not in wall_clock} == {
        k: v for k, v in second.package.run_metadata.items() if k not in wall_clock
    }
    _, samples_a, _ = build_samples(unit)
    _, samples_b, _ = build_samples(unit)
    assert without_timestamps(samples_a) == without_timestamps(samples_b)
    _, samples_c, _ = build_samples(
        make_unit(scenario="arcing_event", timesteps=60, interval_seconds=30.0, run_index=1)
    )
    assert without_timestamps(samples_c) != without_timestamps(samples_a)


def test_every_sample_carries_its_lineage_and_is_a_valid_record() -> None:
    definition, instance = normalized_definition(scenario_class("baseline_operation")().to_definition())
    definition = definition.model_copy(update={"originating_weak_spot_ids": ["ws-from-definition"], "version": 4})
    unit = WorkUnit.create(
        5,
        definition=definition,
        scenario_module=type(instance).__module__,
        mode="training",
        run_index=2,
        timesteps=12,
        interval_seconds=10.0,
        lineage=Lineage(weak_spot_ids=("ws-1",), cycle_id="cycle-9", triggering_model_version="model@3"),
    )
    output = run_unit(unit)
    _, samples, _ = build_samples(unit)
    for index, sample in enumerate(samples):
        MLDataSample.model_validate(sample)
        metadata = sample["sample_metadata"]
        assert metadata["scenario_definition_id"] == definition.scenario_definition_id
        assert metadata["scenario_definition_version"] == 4
        assert metadata["seed"] == unit.seed == output.package.seed
        assert metadata["sample_index"] == index
        assert metadata["weak_spot_ids"] == ["ws-1", "ws-from-definition"]
        assert metadata["cycle_id"] == "cycle-9"
        assert metadata["triggering_model_version"] == "model@3"
        assert metadata["generation_mode"] == "training"
    assert output.package.run_metadata["cycle_id"] == "cycle-9"
    assert json.loads(output.package.run_metadata["weak_spot_ids"]) == ["ws-1", "ws-from-definition"]


def test_class_balanced_unit_keeps_only_its_class_up_to_take() -> None:
    unit = make_unit(
        scenario="arcing_event",
        mode="class_balanced",
        target_class=ClassLabel.ARCING,
        take=25,
        timesteps=60,
        interval_seconds=30.0,
    )
    _, samples, _ = build_samples(unit)
    assert len(samples) == 25
    assert {sample["extracted_class_label"] for sample in samples} == {"arcing"}
    times = [sample["scenario_timestep_seconds"] for sample in samples]
    assert times == sorted(times)
    assert times[-1] - times[0] > 25 * 30.0, "the kept timesteps are spread over the hazard, not its first minutes"
    everything = build_samples(
        make_unit(
            scenario="arcing_event",
            mode="class_balanced",
            target_class=ClassLabel.ARCING,
            take=60,
            timesteps=60,
            interval_seconds=30.0,
        )
    )[1]
    assert 25 < len(everything) < 60, "a hazard run holds normal timesteps before its onset"


def test_temporal_sequence_unit_cuts_consecutive_windows() -> None:
    unit = make_unit(mode="temporal_sequence", sequence_length=5, sequence_stride=3, timesteps=20)
    _, samples, _ = build_samples(unit)
    starts = list(range(0, 20 - 5 + 1, 3))
    assert len(samples) == 5 * len(starts)
    windows: dict[str, list[dict[str, Any]]] = {}
    for sample in samples:
        windows.setdefault(sample["sample_metadata"]["sequence_id"], []).append(sample)
    assert len(windows) == len(starts)
    for start, window in zip(starts, windows.values(), strict=True):
        assert [s["sample_metadata"]["sequence_index"] for s in window] == list(range(5))
        assert [s["scenario_timestep_seconds"] for s in window] == [10.0 * (start + j) for j in range(5)]
    assert len({sample["sample_id"] for sample in samples}) == len(samples)


def test_edge_case_unit_puts_parameters_on_their_declared_edges() -> None:
    unit = make_unit(mode="edge_case", edge_parameters=4)
    definition, samples, extra = build_samples(unit)
    edges = json.loads(extra["edge_parameters"])
    assert len(edges) == 4 and "duration_seconds" not in edges
    ranges = param_ranges(scenario_class("baseline_operation").params_model)
    params = flatten_params(definition.specific_params())
    for path, value in edges.items():
        assert value in (ranges[path].lower, ranges[path].upper)
        assert params[path] == value
    base = flatten_params(unit.definition.specific_params())
    assert {path for path in params if params[path] != base[path]} <= set(edges)
    assert definition.parent_scenario_id == unit.definition.scenario_definition_id
    assert all(sample["scenario_id"] == definition.scenario_definition_id for sample in samples)
    assert all(
        sample["sample_metadata"]["scenario_definition_id"] == definition.scenario_definition_id for sample in samples
    )


class _Bounded(ParamModel):
    open_low: float = Field(1.0, gt=0, le=5)
    open_high: float = Field(1.0, ge=0, lt=5)
    count: int = Field(2, gt=0, lt=9)


@pytest.mark.parametrize(
    ("path", "upper", "expected"),
    [
        ("open_low", False, math.nextafter(0.0, 5.0)),
        ("open_low", True, 5.0),
        ("open_high", True, math.nextafter(5.0, 0.0)),
        ("count", False, 1),
        ("count", True, 8),
    ],
)
def test_edge_values_step_inside_exclusive_bounds(path: str, upper: bool, expected: float) -> None:
    value = edge_value(_Bounded, param_ranges(_Bounded)[path], upper=upper)
    assert value == expected
    _Bounded.model_validate({path: value})


def test_edge_case_draws_always_validate_for_a_hazard_scenario() -> None:
    definition, instance = normalized_definition(scenario_class("arcing_event")().to_definition())
    model = scenario_class("arcing_event").params_model
    numeric = [p for p, r in param_ranges(model).items() if r.choices is None and p != "duration_seconds"]
    rng = np.random.default_rng(0)
    for count in (1, 5, len(numeric) + 3):
        variant, edges = edge_case_definition(definition, instance, count, rng)
        model.model_validate(variant.specific_params())
        assert len(edges) == min(count, len(numeric))


def test_mode_fields_are_required() -> None:
    with pytest.raises(ValueError, match="target_class"):
        make_unit(mode=GenerationMode.CLASS_BALANCED)
    with pytest.raises(ValueError, match="sequence_length"):
        make_unit(mode=GenerationMode.TEMPORAL_SEQUENCE, sequence_length=50, sequence_stride=1, timesteps=10)


def test_a_worker_with_other_code_versions_refuses_the_unit() -> None:
    unit = make_unit()
    skewed = unit.model_copy(update={"code_versions": {**unit.code_versions, "simulation_engine": "0.9.0"}})
    with pytest.raises(VersionMismatchError, match=r"simulation_engine 0.9.0 \(planner\)"):
        run_unit(skewed)


def test_thermal_image_is_stored_only_when_asked() -> None:
    _, plain, _ = build_samples(make_unit(timesteps=3))
    _, with_image, _ = build_samples(make_unit(timesteps=3, include_thermal_image=True))
    assert all(s["sensor_readings_map"]["U26_Lepton35"]["downsampled_image_c"] is None for s in plain)
    images = [s["sensor_readings_map"]["U26_Lepton35"]["downsampled_image_c"] for s in with_image]
    assert all(isinstance(image, list) and len(image) > 1 for image in images if image is not None)
    assert any(image is not None for image in images)


def test_seed_and_key_come_from_content_not_names() -> None:
    """Another definition id or lineage (another run asking) gives the same seed, key and sample ids."""
    from envirosense.generation import Lineage

    unit = make_unit(run_seed=3)
    renamed = unit.definition.model_copy(update={"scenario_definition_id": "another-run-c1-random-0000"})
    other = make_unit(run_seed=3, definition=renamed, lineage=Lineage(cycle_id="another-run:cycle-1"))
    assert (other.seed, other.key) == (unit.seed, unit.key)


def test_definitions_of_equal_content_get_distinct_runs() -> None:
    from envirosense.generation.plan import plan_units, prepare, validate_request

    definition = scenario_class("baseline_operation")().to_definition()
    twin = definition.model_copy(update={"scenario_definition_id": "twin", "scenario_instance_id": "twin"})
    request = validate_request({"definitions": (definition, twin), "seed": 5, "samples_per_run": 4})
    units = plan_units(request, prepare(request))
    assert [unit.run_index for unit in units] == [0, 1]
    assert len({unit.key for unit in units}) == 2
