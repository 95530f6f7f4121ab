"""What the loop's repository calls make, apart from storing them: variations of a stored scenario,
scenarios crafted from a feature summary, and exploration defaults. Each builds and validates a
definition with its lineage, then stores it through ``SqlDefinitionStore.save_or_get_same`` (a repeated
call returns what the first one stored)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from envirosense.ops.logging import get_logger
from envirosense.repository.catalogue import class_definition, exploration_definition
from envirosense.repository.crafting import Crafter, CraftRequest, feature_targets
from envirosense.repository.errors import ConflictError, RepositoryValidationError
from envirosense.repository.sensors import resolve_sensor_type, sensor_type_key
from envirosense.repository.sql_store import LOGGER_NAME, check_enum, check_id
from envirosense.repository.validation import validate_definition
from envirosense.repository.variation import (
    SensorContext,
    as_sensor_context,
    validate_param_modifications,
    variation_definition,
)
from envirosense.schemas import ClassLabel, SampleFeaturesSummary, ScenarioDefinition
from envirosense.simulation.scenario import BaseScenario

if TYPE_CHECKING:
    from envirosense.repository.sql import SqlScenarioRepository

log = get_logger(LOGGER_NAME)

CRAFTED_SUFFIX_LENGTH = len("-crafted-") + 10
"""Length of the suffix a crafted definition's id adds to its ``base_id``."""


def base_definition(
    repository: SqlScenarioRepository, base_scenario: BaseScenario[Any] | ScenarioDefinition | str
) -> ScenarioDefinition:
    if isinstance(base_scenario, str):
        return repository.get_definition(check_id(base_scenario, "base_scenario"))
    if isinstance(base_scenario, ScenarioDefinition):
        return base_scenario
    if isinstance(base_scenario, BaseScenario):
        return base_scenario.definition or base_scenario.to_definition()
    raise RepositoryValidationError(
        "base_scenario", f"expected a scenario, a definition or an id, got {type(base_scenario).__name__}"
    )


def variation(
    repository: SqlScenarioRepository,
    base_scenario: BaseScenario[Any] | ScenarioDefinition | str,
    new_id_suffix: str,
    param_modifications: Mapping[str, Any],
    sensor_context: SensorContext | Mapping[str, Any] | None = None,
) -> BaseScenario[Any]:
    base, cls = validate_definition(base_definition(repository, base_scenario))
    context = as_sensor_context(sensor_context)
    base_params = cls.params_model.model_validate(base.specific_params())
    params, flat = validate_param_modifications(cls, base_params, param_modifications)
    definition, _ = validate_definition(
        variation_definition(base, cls, new_id_suffix, params, flat, context, repository.author)
    )
    lineage = {
        "origin": "variation",
        "base_scenario_id": base.scenario_definition_id,
        "base_version": base.version,
        "param_modifications": flat,
        "sensor_context": context.model_dump(mode="json") if context else None,
    }
    stored = repository.save_or_get_same(definition, cls, lineage, parent=(base, cls))
    log.info(
        "variation created",
        scenario_definition_id=stored.scenario_definition_id,
        parent=base.scenario_definition_id,
        modifications=flat,
    )
    return repository.runnable(stored)


def crafted(
    repository: SqlScenarioRepository,
    features_summary: SampleFeaturesSummary | Mapping[str, Any],
    base_id: str,
    target_class: ClassLabel | str | None = None,
    sensor_type: str | None = None,
    *,
    crafter: Crafter | None = None,
) -> BaseScenario[Any]:
    crafter = crafter if crafter is not None else repository.crafter
    try:
        summary = SampleFeaturesSummary.model_validate(
            features_summary.model_dump() if isinstance(features_summary, SampleFeaturesSummary) else features_summary
        )
    except ValidationError as exc:
        raise RepositoryValidationError.from_pydantic(exc, prefix="features_summary") from None
    check_id(base_id, "base_id", max_length=200 - CRAFTED_SUFFIX_LENGTH)
    label = check_enum(ClassLabel, target_class or summary.target_class_for_explanation, "target_class")
    sensor_ids = resolve_sensor_type(sensor_type) if sensor_type is not None else None
    key = json.dumps(
        {
            "crafter": crafter.name,
            "summary": summary.model_dump(mode="json"),
            "target_class": label.value,
            "sensor_type": sensor_type_key(sensor_type) if sensor_type else None,
        },
        sort_keys=True,
    )
    new_id = f"{base_id}-crafted-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
    existing = repository.find_definition(new_id)
    if existing is not None:
        return repository.runnable(existing)
    parent = repository.find_definition(base_id)
    runnable_parent = repository.runnable_list([parent]) if parent is not None else []
    start = runnable_parent[0] if runnable_parent else None
    targets = tuple(feature_targets(summary, sensor_ids))
    result = crafter.craft(CraftRequest(summary=summary, target_label=label, targets=targets, start=start))
    target_sensors = tuple(dict.fromkeys(target.feature.sensor_id for target in targets))
    cls = result.scenario_class
    features = ", ".join(f"{t.feature.sensor_id}.{t.feature.field}={t.raw_value:g}" for t in targets)
    definition = class_definition(
        cls,
        new_id,
        result.params,
        origin="crafted",
        author=repository.author,
        name=f"crafted {cls.registry_name().replace('_', ' ')} for {label.value}"[:200],
        description=f"Crafted by {crafter.name} for {label.value} from {features or 'no features'}."[:4096],
        parent_scenario_id=parent.scenario_definition_id if parent is not None else None,
        sensor_ids=target_sensors,
    )
    definition = definition.model_copy(
        update={"tags": list(dict.fromkeys([*definition.tags, f"crafter:{crafter.name}"]))[-64:]}
    )
    definition, cls = validate_definition(definition)
    lineage = {
        "origin": "crafted",
        "crafter": crafter.name,
        "target_class": label.value,
        "sensor_type": sensor_type,
        "features_summary": summary.model_dump(mode="json"),
        "report": result.report,
    }
    stored = repository.save_or_get_same(definition, cls, lineage)
    log.info("scenario crafted", scenario_definition_id=new_id, crafter=crafter.name, scenario_class=cls.__name__)
    return repository.runnable(stored)


def exploration_default(
    repository: SqlScenarioRepository, scenario_id: str, sensor_type: str | None = None
) -> BaseScenario[Any]:
    check_id(scenario_id, "scenario_id", max_length=180)
    sensor_ids = resolve_sensor_type(sensor_type) if sensor_type is not None else ()
    definition_id = f"{scenario_id}-{sensor_type_key(sensor_type)}" if sensor_type is not None else scenario_id
    existing = repository.find_definition(definition_id)
    if existing is not None:
        return repository.runnable(existing)
    definition, cls = validate_definition(exploration_definition(definition_id, sensor_ids))
    lineage = {"origin": "exploration", "sensor_type": sensor_type, "sensor_ids": list(sensor_ids)}
    try:
        stored = repository.save_or_get_same(definition, cls, lineage)
    except ConflictError:
        stored = repository.get_definition(definition_id)
    return repository.runnable(stored)
