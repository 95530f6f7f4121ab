"""Generation requests and their plans: which work units a request needs.

``GenerationRequest`` is the validated boundary object; ``prepare`` resolves every definition to its
scenario class and checks its parameters (so bad input fails before anything is written);
``plan_units`` and ``plan_balanced_round`` turn a request into ``WorkUnit`` objects. Every choice is a
function of the request, so a rerun plans exactly the same units.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from envirosense.generation.errors import InvalidRequestError
from envirosense.generation.units import (
    GENERATOR_VERSION,
    MAX_INTERVAL_SECONDS,
    MAX_TIMESTEPS_PER_RUN,
    GenerationMode,
    Lineage,
    WorkUnit,
    definition_content,
    definition_identity,
    normalized_definition,
)
from envirosense.generation.writer import Codec
from envirosense.schemas import ClassLabel, ScenarioDefinition
from envirosense.schemas.avro import schema_versions
from envirosense.simulation import SIMULATION_ENGINE_VERSION
from envirosense.simulation.registry import UnknownScenarioClassError

MAX_BALANCED_ROUNDS = 20


class GenerationRequest(BaseModel):
    """What to generate. Run length: ``samples_per_run`` timesteps, or ``duration_seconds`` of
    simulated time, or (neither) each scenario's own ``duration_seconds`` parameter; ``interval_seconds``
    apart, or, with ``spread_over_duration``, ``samples_per_run`` samples spread evenly over the
    duration (``duration_seconds`` or the scenario's own), so a short run still sees a late hazard onset.

    Modes: ``training`` and ``edge_case`` make ``runs_per_scenario`` runs of every definition;
    ``temporal_sequence`` also cuts each run into windows of ``sequence_length`` timesteps every
    ``sequence_stride`` (default: back to back); ``class_balanced`` runs the definitions of each class
    until ``class_quotas`` (class → samples) is met exactly.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    definitions: tuple[ScenarioDefinition, ...] = Field(min_length=1, description="Scenarios to run.")
    seed: int = Field(ge=0, lt=2**63, description="Run seed; every unit's seed is derived from it.")
    mode: GenerationMode = GenerationMode.TRAINING
    samples_per_run: int | None = Field(default=None, ge=1, le=MAX_TIMESTEPS_PER_RUN)
    duration_seconds: float | None = Field(default=None, gt=0, le=86_400, description="Simulated time, s.")
    interval_seconds: float = Field(default=10.0, gt=0, le=MAX_INTERVAL_SECONDS, description="Time between samples, s.")
    spread_over_duration: bool = Field(default=False, description="Interval = duration / samples_per_run.")
    runs_per_scenario: int = Field(default=1, ge=1, le=100_000)
    class_quotas: dict[ClassLabel, int] | None = Field(default=None, description="Class → samples.")
    edge_parameters: int = Field(default=3, ge=1, le=100, description="Parameters pushed to an edge per run.")
    sequence_length: int = Field(default=12, ge=1, le=MAX_TIMESTEPS_PER_RUN, description="Window, timesteps.")
    sequence_stride: int | None = Field(default=None, ge=1, description="Window start spacing, timesteps.")
    lineage: Lineage = Field(default_factory=Lineage)
    include_thermal_image: bool = False
    codec: Codec = "deflate"

    @model_validator(mode="after")
    def _consistent(self) -> GenerationRequest:
        if self.spread_over_duration:
            if self.samples_per_run is None:
                raise ValueError("spread_over_duration needs samples_per_run")
        elif self.samples_per_run is not None and self.duration_seconds is not None:
            raise ValueError("give samples_per_run or duration_seconds, not both")
        if (self.mode is GenerationMode.CLASS_BALANCED) != (self.class_quotas is not None):
            raise ValueError("class_quotas is required by, and only allowed in, class_balanced mode")
        if self.class_quotas is not None:
            if not self.class_quotas:
                raise ValueError("class_quotas is empty")
            bad = [label.value for label, quota in self.class_quotas.items() if quota < 1]
            if bad:
                raise ValueError(f"class_quotas must be at least 1 (classes {', '.join(bad)})")
        if self.mode is GenerationMode.CLASS_BALANCED and self.runs_per_scenario != 1:
            raise ValueError("runs_per_scenario does not apply to class_balanced mode (quotas decide the runs)")
        seen: dict[str, ScenarioDefinition] = {}
        for definition in self.definitions:
            key = definition.scenario_definition_id
            if key in seen:
                raise ValueError(f"scenario definition {key!r} is given twice")
            seen[key] = definition
        return self


@dataclass(frozen=True)
class PreparedScenario:
    """A definition resolved to its scenario class, with its run length in timesteps and their spacing (s)."""

    definition: ScenarioDefinition
    scenario_module: str
    class_label: ClassLabel
    timesteps: int
    interval_seconds: float


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}" for error in exc.errors()
    )


def validate_request(fields: Mapping[str, Any]) -> GenerationRequest:
    """``GenerationRequest`` from keyword fields; ``InvalidRequestError`` naming every bad field."""
    try:
        return GenerationRequest.model_validate(dict(fields))
    except ValidationError as exc:
        raise InvalidRequestError(f"invalid generation request: {_describe(exc)}") from exc


def prepare(request: GenerationRequest) -> list[PreparedScenario]:
    """Resolve and check every definition; ``InvalidRequestError`` names the definition and the problem."""
    prepared = []
    for definition in request.definitions:
        name = definition.scenario_definition_id
        try:
            normalized, scenario = normalized_definition(definition)
        except UnknownScenarioClassError as exc:
            raise InvalidRequestError(f"scenario definition {name!r}: {exc}") from exc
        except ValidationError as exc:
            raise InvalidRequestError(f"scenario definition {name!r}: invalid parameters: {_describe(exc)}") from exc
        duration = request.duration_seconds or float(scenario.params.duration_seconds)
        interval = request.interval_seconds
        if request.samples_per_run is not None:
            timesteps = request.samples_per_run
            if request.spread_over_duration:
                interval = duration / timesteps
        else:
            timesteps = math.floor(duration / interval + 1e-9)
        if not 1 <= timesteps <= MAX_TIMESTEPS_PER_RUN:
            raise InvalidRequestError(
                f"scenario definition {name!r}: a run of {timesteps} timesteps is outside 1..{MAX_TIMESTEPS_PER_RUN}"
            )
        if request.mode is GenerationMode.TEMPORAL_SEQUENCE and timesteps < request.sequence_length:
            raise InvalidRequestError(
                f"scenario definition {name!r}: a run of {timesteps} timesteps is shorter than "
                f"sequence_length {request.sequence_length}"
            )
        if interval > MAX_INTERVAL_SECONDS:
            raise InvalidRequestError(
                f"scenario definition {name!r}: {timesteps} samples over {duration:g} s are "
                f"{interval:g} s apart, more than {MAX_INTERVAL_SECONDS:g} s"
            )
        cls = type(scenario)
        prepared.append(PreparedScenario(normalized, cls.__module__, cls.class_label, timesteps, interval))
    if request.class_quotas is not None:
        present = {item.class_label for item in prepared}
        lacking = sorted(label.value for label in request.class_quotas if label not in present)
        if lacking:
            raise InvalidRequestError(f"no scenario of class {', '.join(lacking)} to fill its quota")
        unquoted = sorted(
            item.definition.scenario_definition_id for item in prepared if item.class_label not in request.class_quotas
        )
        if unquoted:
            raise InvalidRequestError(f"scenarios {', '.join(unquoted)} belong to classes without a quota")
    return prepared


def request_summary(request: GenerationRequest, prepared: list[PreparedScenario]) -> dict[str, Any]:
    """The request as JSON for the manifest; definitions by their identity (id, version, class, params)."""
    summary = request.model_dump(mode="json", exclude={"definitions", "codec"})
    summary["definitions"] = [definition_identity(item.definition) for item in prepared]
    return summary


def request_fingerprint(summary: Mapping[str, Any]) -> str:
    """Hash of the request summary and the code versions: equal fingerprints plan equal units."""
    material = {
        "request": summary,
        "generator_version": GENERATOR_VERSION,
        "simulation_engine_version": SIMULATION_ENGINE_VERSION,
        "data_schema_versions": schema_versions(),
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _unit(request: GenerationRequest, item: PreparedScenario, run_index: int, **mode_fields: Any) -> WorkUnit:
    return WorkUnit.create(
        request.seed,
        definition=item.definition,
        scenario_module=item.scenario_module,
        mode=request.mode,
        run_index=run_index,
        timesteps=item.timesteps,
        interval_seconds=item.interval_seconds,
        lineage=request.lineage,
        include_thermal_image=request.include_thermal_image,
        codec=request.codec,
        **mode_fields,
    )


def plan_units(request: GenerationRequest, prepared: list[PreparedScenario]) -> list[WorkUnit]:
    """Every unit of a training, edge-case or temporal-sequence request, scenario by scenario."""
    mode_fields: dict[str, Any] = {}
    if request.mode is GenerationMode.EDGE_CASE:
        mode_fields = {"edge_parameters": request.edge_parameters}
    elif request.mode is GenerationMode.TEMPORAL_SEQUENCE:
        mode_fields = {
            "sequence_length": request.sequence_length,
            "sequence_stride": request.sequence_stride or request.sequence_length,
        }
    elif request.mode is GenerationMode.CLASS_BALANCED:
        raise ValueError("class_balanced requests are planned round by round (plan_balanced_round)")
    # A unit's seed and key come from its definition's content, not its id: definitions with the same
    # content continue each other's run indices, so their runs stay distinct.
    taken: dict[str, int] = {}
    units: list[WorkUnit] = []
    for item in prepared:
        content = json.dumps(definition_content(item.definition), sort_keys=True)
        first = taken.get(content, 0)
        taken[content] = first + request.runs_per_scenario
        units.extend(_unit(request, item, first + offset, **mode_fields) for offset in range(request.runs_per_scenario))
    return units


def plan_balanced_round(
    request: GenerationRequest,
    prepared: list[PreparedScenario],
    deficits: Mapping[ClassLabel, int],
    yields: Mapping[ClassLabel, float],
    next_run: dict[ClassLabel, int],
) -> list[WorkUnit]:
    """Units that together ask for exactly ``deficits[label]`` more samples of each class.

    Hazard runs hold normal timesteps before the onset, so a run yields only a fraction of its
    timesteps for its class: ``yields[label]`` (default 1) is that fraction as observed so far, and
    enough runs are planned for the expected yield to cover the deficit, and at least one per definition
    of the class (so every definition, confounders included, contributes), each asking for an even share.
    A round may still fall short; the next round asks for the rest. The definitions of a class take
    turns (run ``k`` uses definition ``k mod n``); ``next_run`` holds, per class, the next ordinal.
    """
    units = []
    for label, deficit in sorted(deficits.items()):
        candidates = [item for item in prepared if item.class_label is label]
        fraction = yields.get(label, 1.0)
        planned: list[tuple[int, PreparedScenario]] = []
        expected = 0.0
        at_least = min(len(candidates), deficit)
        while expected < deficit or len(planned) < at_least:
            ordinal = next_run.get(label, 0)
            item = candidates[ordinal % len(candidates)]
            planned.append((ordinal, item))
            expected += max(fraction * item.timesteps, 1.0)
            next_run[label] = ordinal + 1
        remaining = deficit
        for position, (ordinal, item) in enumerate(planned):
            take = min(item.timesteps, math.ceil(remaining / (len(planned) - position)))
            units.append(_unit(request, item, ordinal, target_class=label, take=take))
            remaining -= take
    return units
