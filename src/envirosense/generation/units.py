"""Work units: the pure function (definition, version, seed, count, mode, lineage) → one package file.

A ``WorkUnit`` holds everything that decides its samples; ``run_unit`` turns it into the bytes of one
Avro package file. Nothing else is read (no clock except the wall-clock ``generation_timestamp_utc``,
which the content hash leaves out), so a unit lost with its worker can be redone anywhere with an
identical result, and a unit whose file exists can be skipped.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

import numpy as np
from annotated_types import Gt, Lt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

from envirosense.generation.errors import VersionMismatchError
from envirosense.generation.writer import Codec, encode_samples, package_bytes, package_file_name
from envirosense.schemas import ClassLabel, ScenarioDefinition, ScenarioRunPackage
from envirosense.schemas.avro import schema_versions
from envirosense.simulation import SIMULATION_ENGINE_VERSION, BaseScenario, param_ranges
from envirosense.simulation.parameters import ParamModel, ParamRange, flatten_params, unflatten_params
from envirosense.simulation.registry import scenario_from_definition
from envirosense.simulation.result import SimulationResult

GENERATOR_VERSION = "1.0.0"
"""Version of ``envirosense.generation``; part of every unit key, so a change regenerates."""

MAX_TIMESTEPS_PER_RUN = 50_000
MAX_INTERVAL_SECONDS = 21_600.0
"""Six hours: a day-long scenario still gets at least four samples."""
EDGE_DRAW_ATTEMPTS = 16
EDGE_EXCLUDED_PARAMETERS = frozenset({"duration_seconds"})
"""Not pushed to an edge in edge-case mode: the run's timeline is set by the request."""


class GenerationMode(StrEnum):
    """How a generation chooses and cuts its samples."""

    TRAINING = "training"
    """Every timestep of every run."""
    CLASS_BALANCED = "class_balanced"
    """Runs keep only timesteps of their target class, until every class quota is met."""
    EDGE_CASE = "edge_case"
    """Each run pushes a few parameters to the edges of their declared ranges."""
    TEMPORAL_SEQUENCE = "temporal_sequence"
    """Runs are cut into windows of consecutive timesteps, numbered in ``sample_metadata``."""


class Lineage(BaseModel):
    """Why these samples exist: the weak spots, active-learning cycle and model version behind them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weak_spot_ids: tuple[str, ...] = Field(default=(), description="Weak spots that caused the generation.")
    cycle_id: str | None = Field(default=None, min_length=1, max_length=200, description="Cycle id.")
    triggering_model_version: str | None = Field(
        default=None, min_length=1, max_length=200, description="Model version whose weak spot triggered it."
    )

    @model_validator(mode="after")
    def _ids_are_short(self) -> Lineage:
        for weak_spot_id in self.weak_spot_ids:
            if not weak_spot_id or len(weak_spot_id) > 200:
                raise ValueError("each weak spot id must be 1 to 200 characters")
        return self


class WorkUnit(BaseModel):
    """One scenario run to simulate and write as one package file.

    ``timesteps`` samples are simulated ``interval_seconds`` apart from 0 s. Mode fields:
    ``target_class`` and ``take`` (class-balanced: keep at most ``take`` timesteps labelled
    ``target_class``), ``edge_parameters`` (edge-case: how many parameters go to an edge),
    ``sequence_length`` and ``sequence_stride`` (temporal-sequence windows, in timesteps).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    definition: ScenarioDefinition
    scenario_module: str = Field(description="Module that registers the scenario class; imported by workers.")
    mode: GenerationMode
    run_index: int = Field(ge=0, description="Ordinal of this run among the request's runs of the definition.")
    seed: int = Field(ge=0, lt=2**63, description="Seed of the unit's random generator.")
    timesteps: int = Field(ge=1, le=MAX_TIMESTEPS_PER_RUN, description="Timesteps simulated (count).")
    interval_seconds: float = Field(gt=0, le=MAX_INTERVAL_SECONDS, description="Time between timesteps, s.")
    lineage: Lineage = Field(default_factory=Lineage)
    include_thermal_image: bool = False
    target_class: ClassLabel | None = None
    take: int | None = Field(default=None, ge=1)
    edge_parameters: int | None = Field(default=None, ge=1)
    sequence_length: int | None = Field(default=None, ge=1)
    sequence_stride: int | None = Field(default=None, ge=1)
    codec: Codec = "deflate"
    code_versions: dict[str, str] = Field(
        default_factory=lambda: code_versions(), description="Versions of the planning process's code."
    )

    @model_validator(mode="after")
    def _mode_fields(self) -> WorkUnit:
        needs = {
            GenerationMode.CLASS_BALANCED: ("target_class", "take"),
            GenerationMode.EDGE_CASE: ("edge_parameters",),
            GenerationMode.TEMPORAL_SEQUENCE: ("sequence_length", "sequence_stride"),
        }.get(self.mode, ())
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"mode {self.mode.value} needs {', '.join(missing)}")
        if self.sequence_length is not None and self.sequence_length > self.timesteps:
            raise ValueError(f"sequence_length {self.sequence_length} exceeds the run's {self.timesteps} timesteps")
        return self

    @classmethod
    def create(cls, run_seed: int, **fields: Any) -> WorkUnit:
        """A unit whose seed is derived from ``run_seed`` and the unit's identity (see ``derive_seed``)."""
        unit = cls.model_validate({**fields, "seed": 0})
        return unit.model_copy(update={"seed": derive_seed(run_seed, unit.identity_digest)})

    @cached_property
    def identity_digest(self) -> str:
        """Hash of everything that decides the samples except the seed: the definition's content (class,
        version, parameters; not its id) and the unit's settings. Names (definition id, lineage) and the
        codec do not enter, so the same seed and content give the same seed, key and sample ids whatever
        run or cycle asks for them."""
        return _digest(
            {
                "definition": definition_content(self.definition),
                "mode": self.mode.value,
                "run_index": self.run_index,
                "timesteps": self.timesteps,
                "interval_seconds": self.interval_seconds,
                "include_thermal_image": self.include_thermal_image,
                "target_class": self.target_class,
                "take": self.take,
                "edge_parameters": self.edge_parameters,
                "sequence_length": self.sequence_length,
                "sequence_stride": self.sequence_stride,
                "code_versions": self.code_versions,
            }
        )

    @cached_property
    def key(self) -> str:
        """The unit's identity and seed, hashed: it names the unit in files, manifests and sample ids."""
        return hashlib.sha256(f"{self.identity_digest}:{self.seed}".encode()).hexdigest()


@dataclass(frozen=True)
class UnitOutput:
    """What a worker sends back: the finished file's name and bytes, and its header.

    A unit that keeps no sample (a class-balanced run without its class) has no file: ``file_name``
    and ``data`` are ``None``, and a rerun simply recomputes it.
    """

    file_name: str | None
    data: bytes | None
    package: ScenarioRunPackage


def code_versions() -> dict[str, str]:
    """Versions of the code a unit's output depends on: simulation engine, generator, data schemas."""
    return {
        "simulation_engine": SIMULATION_ENGINE_VERSION,
        "generator": GENERATOR_VERSION,
        **{f"schema:{name}": version for name, version in schema_versions().items()},
    }


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def definition_identity(definition: ScenarioDefinition) -> dict[str, Any]:
    """The parts of a definition that decide its samples: id, version, class and parameters."""
    return {
        "scenario_definition_id": definition.scenario_definition_id,
        "version": definition.version,
        "scenario_class_name": definition.scenario_class_name,
        "params": json.loads(definition.specific_params_json),
    }


def definition_content(definition: ScenarioDefinition) -> dict[str, Any]:
    """The parts of a definition that decide its samples: version, class and parameters."""
    return {
        "version": definition.version,
        "scenario_class_name": definition.scenario_class_name,
        "params": json.loads(definition.specific_params_json),
    }


def derive_seed(run_seed: int, identity_digest: str) -> int:
    """A 63-bit seed spawned from ``run_seed`` with the unit's identity as spawn key.

    The same run seed and unit always give the same seed, whatever order or worker runs the unit.
    """
    digest = bytes.fromhex(identity_digest)
    spawn_key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    state = np.random.SeedSequence(run_seed, spawn_key=spawn_key).generate_state(1, dtype=np.uint64)
    return int(state[0]) >> 1


def normalized_definition(definition: ScenarioDefinition) -> tuple[ScenarioDefinition, BaseScenario[Any]]:
    """The definition with its class name, module and full canonical parameters filled in, and its scenario.

    Raises ``UnknownScenarioClassError`` or ``pydantic.ValidationError`` for a bad definition.
    """
    scenario = scenario_from_definition(definition)
    cls = type(scenario)
    normalized = scenario.to_definition(scenario_class_name=cls.__name__, scenario_class_module=cls.__module__)
    return normalized, scenario_from_definition(normalized)


def _scenario(unit: WorkUnit) -> BaseScenario[Any]:
    importlib.import_module(unit.scenario_module)
    return scenario_from_definition(unit.definition)


def _field_info(model: type[ParamModel], path: str) -> FieldInfo:
    head, _, rest = path.partition(".")
    info = model.model_fields[head]
    if rest:
        nested = info.annotation
        assert isinstance(nested, type) and issubclass(nested, ParamModel)
        return _field_info(nested, rest)
    return info


def edge_value(model: type[ParamModel], declared: ParamRange, upper: bool) -> float:
    """The parameter's bound, or the nearest value inside it when the bound is exclusive."""
    assert declared.lower is not None and declared.upper is not None
    metadata = _field_info(model, declared.path).metadata
    if upper:
        exclusive = any(isinstance(item, Lt) for item in metadata)
        value, inward = declared.upper, declared.lower
    else:
        exclusive = any(isinstance(item, Gt) for item in metadata)
        value, inward = declared.lower, declared.upper
    if not exclusive:
        return value
    if declared.is_integer:
        return value + (1 if inward > value else -1)
    return math.nextafter(value, inward)


def edge_case_definition(
    definition: ScenarioDefinition, scenario: BaseScenario[Any], count: int, rng: np.random.Generator
) -> tuple[ScenarioDefinition, dict[str, Any]]:
    """A variant of ``definition`` with ``count`` numeric parameters at the lower or upper edge of their
    declared ranges (drawn from ``rng``); the others keep their values. Returns it and the edges set.

    Draws that break a scenario's cross-parameter rules are redrawn, at most ``EDGE_DRAW_ATTEMPTS`` times.
    """
    model = scenario.params_model
    candidates = sorted(
        path
        for path, declared in param_ranges(model).items()
        if declared.choices is None and path not in EDGE_EXCLUDED_PARAMETERS
    )
    ranges = param_ranges(model)
    base = flatten_params(scenario.params.model_dump(mode="json"))
    last_error: ValidationError | None = None
    for _ in range(EDGE_DRAW_ATTEMPTS):
        chosen = rng.choice(len(candidates), size=min(count, len(candidates)), replace=False)
        sides = rng.integers(0, 2, size=len(chosen))
        edges: dict[str, Any] = {}
        for index, side in zip(sorted(chosen.tolist()), sides.tolist(), strict=True):
            declared = ranges[candidates[index]]
            value = edge_value(model, declared, upper=bool(side))
            edges[declared.path] = int(value) if declared.is_integer else value
        try:
            params = model.model_validate(unflatten_params({**base, **edges}))
        except ValidationError as exc:
            last_error = exc
            continue
        params_json = json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        suffix = f"-edge-{hashlib.sha256(params_json.encode()).hexdigest()[:12]}"
        edge_id = definition.scenario_definition_id[: 200 - len(suffix)] + suffix
        variant = definition.model_copy(
            update={
                "scenario_definition_id": edge_id,
                "scenario_instance_id": edge_id,
                "name": f"{definition.name[:186]} (edge case)",
                "specific_params_json": params_json,
                "version": 1,
                "parent_scenario_id": definition.scenario_definition_id,
                "tags": list(dict.fromkeys([*definition.tags, "edge_case"]))[:64],
            }
        )
        return ScenarioDefinition.model_validate(variant.model_dump()), edges
    raise ValueError(
        f"scenario {definition.scenario_definition_id}: no valid edge case in {EDGE_DRAW_ATTEMPTS} draws; "
        f"last error: {last_error}"
    )


def weak_spot_ids(lineage: Lineage, definition: ScenarioDefinition) -> list[str]:
    """The request's weak spots, then those the definition was made for, each once."""
    return list(dict.fromkeys([*lineage.weak_spot_ids, *definition.originating_weak_spot_ids]))


def _selection(unit: WorkUnit, result: SimulationResult, rng: np.random.Generator) -> list[tuple[int, int | None]]:
    """``(timestep, position in window or None)`` for every sample the unit keeps, in file order."""
    n = len(result)
    if unit.mode is GenerationMode.CLASS_BALANCED:
        assert unit.target_class is not None and unit.take is not None
        eligible = np.flatnonzero(result.labels.class_label == unit.target_class.value)
        if eligible.size > unit.take:
            eligible = np.sort(rng.choice(eligible, size=unit.take, replace=False))
        return [(int(t), None) for t in eligible]
    if unit.mode is GenerationMode.TEMPORAL_SEQUENCE:
        assert unit.sequence_length is not None and unit.sequence_stride is not None
        starts = range(0, n - unit.sequence_length + 1, unit.sequence_stride)
        return [(start + j, j) for start in starts for j in range(unit.sequence_length)]
    return [(t, None) for t in range(n)]


def build_samples(unit: WorkUnit) -> tuple[ScenarioDefinition, list[dict[str, Any]], dict[str, str]]:
    """Simulate the unit: the definition simulated, its ``MLDataSample`` dicts and extra run metadata."""
    rng = np.random.default_rng(unit.seed)
    scenario = _scenario(unit)
    definition = unit.definition
    extra: dict[str, str] = {}
    if unit.mode is GenerationMode.EDGE_CASE:
        assert unit.edge_parameters is not None
        definition, edges = edge_case_definition(definition, scenario, unit.edge_parameters, rng)
        scenario = scenario_from_definition(definition)
        extra["base_scenario_definition_id"] = unit.definition.scenario_definition_id
        extra["edge_parameters"] = json.dumps(edges, sort_keys=True)
    result = scenario.simulate(scenario.sample_times(unit.interval_seconds, unit.timesteps), rng)
    selection = _selection(unit, result, rng)
    base = result.to_sample_dicts(
        scenario_id=definition.scenario_definition_id,
        sample_ids=[""] * len(result),
        metadata=[{}] * len(result),
        generation_timestamp_utc=datetime.now(UTC),
        include_thermal_image=unit.include_thermal_image,
    )
    lineage = unit.lineage
    shared = {
        "scenario_definition_id": definition.scenario_definition_id,
        "scenario_definition_version": definition.version,
        "seed": unit.seed,
        "generation_mode": unit.mode.value,
        "weak_spot_ids": weak_spot_ids(unit.lineage, definition),
        "cycle_id": lineage.cycle_id,
        "triggering_model_version": lineage.triggering_model_version,
    }
    id_prefix = unit.key[:24]
    samples = []
    for position, (timestep, in_window) in enumerate(selection):
        sample = dict(base[timestep])
        sample["sample_id"] = f"{id_prefix}-{position}"
        sequence_id = None
        if in_window is not None:
            assert unit.sequence_length is not None
            sequence_id = f"{id_prefix}-w{position // unit.sequence_length}"
        sample["sample_metadata"] = {
            **shared,
            "sample_index": position,
            "sequence_id": sequence_id,
            "sequence_index": in_window,
        }
        samples.append(sample)
    return definition, samples, extra


def run_unit(unit: WorkUnit) -> UnitOutput:
    """Simulate the unit and encode its package file. A pure function of ``unit`` (timestamps aside).

    Raises ``VersionMismatchError`` when this process runs other code versions than the one that
    planned the unit (a Dask worker with another installation), since its output would differ.
    """
    here = code_versions()
    if unit.code_versions != here:
        differing = sorted(key for key in {*here, *unit.code_versions} if here.get(key) != unit.code_versions.get(key))
        raise VersionMismatchError(
            "this worker runs other code versions than the planner: "
            + ", ".join(
                f"{key} {unit.code_versions.get(key)} (planner) vs {here.get(key)} (worker)" for key in differing
            )
        )
    definition, samples, extra = build_samples(unit)
    encoded = encode_samples(samples)
    class_counts = dict(sorted(Counter(sample["extracted_class_label"] for sample in samples).items()))
    lineage = unit.lineage
    run_metadata = {
        "unit_key": unit.key,
        "generation_mode": unit.mode.value,
        "run_index": str(unit.run_index),
        "timesteps_simulated": str(unit.timesteps),
        "class_counts": json.dumps(class_counts, sort_keys=True),
        "weak_spot_ids": json.dumps(weak_spot_ids(lineage, definition)),
        "generated_at_utc": datetime.now(UTC).isoformat(),
        **extra,
    }
    optional = {
        "cycle_id": lineage.cycle_id,
        "triggering_model_version": lineage.triggering_model_version,
        "target_class": unit.target_class.value if unit.target_class else None,
        "sequence_length": str(unit.sequence_length) if unit.mode is GenerationMode.TEMPORAL_SEQUENCE else None,
        "sequence_stride": str(unit.sequence_stride) if unit.mode is GenerationMode.TEMPORAL_SEQUENCE else None,
    }
    run_metadata.update({name: value for name, value in optional.items() if value is not None})
    package = ScenarioRunPackage(
        package_id=encoded.content_hash,
        scenario_definition=definition,
        simulation_engine_version=SIMULATION_ENGINE_VERSION,
        generator_version=GENERATOR_VERSION,
        data_schema_versions=schema_versions(),
        seed=unit.seed,
        sample_count=encoded.count,
        sampling_interval_seconds=unit.interval_seconds,
        run_metadata=run_metadata,
    )
    if not samples:
        return UnitOutput(file_name=None, data=None, package=package)
    return UnitOutput(
        file_name=package_file_name(encoded.content_hash),
        data=package_bytes(package, encoded, unit.codec),
        package=package,
    )
