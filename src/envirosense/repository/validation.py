"""Boundary checks: what the repository accepts before it writes anything.

On top of ``ScenarioDefinition``'s own validation: the scenario class must be registered and its
module must match, the parameters must validate against the class's parameter model (they are stored
complete, defaults filled in, so a definition reruns identically even if defaults change later; the
model forbids unknown keys, so no free text gets into them), text must be storable by both databases
(no NUL characters, valid Unicode), and lineage lists are bounded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from envirosense.repository.errors import RepositoryValidationError
from envirosense.schemas import ScenarioDefinition
from envirosense.simulation.registry import UnknownScenarioClassError, scenario_class
from envirosense.simulation.scenario import BaseScenario

MAX_LINKED_IDS = 1000
"""Most entries in ``related_scenario_ids`` or ``originating_weak_spot_ids``."""
MAX_LINKED_ID_LENGTH = 200
MAX_LINEAGE_BYTES = 64 * 1024
"""Largest lineage document (sensor context, crafting report) stored beside a definition, bytes of JSON."""


def check_text(value: str, field: str) -> None:
    """Reject text that one of the databases cannot store verbatim (NUL, lone surrogates)."""
    if "\x00" in value:
        raise RepositoryValidationError(field, "contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RepositoryValidationError(field, "is not valid Unicode (lone surrogate)") from None


def check_json_text(value: Any, field: str) -> None:
    """``check_text`` on every key and string inside a decoded JSON value."""
    if isinstance(value, str):
        check_text(value, field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_text(str(key), f"{field}.{key}")
            check_json_text(item, f"{field}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_text(item, f"{field}.{index}")


def check_lineage(lineage: Mapping[str, Any] | None) -> None:
    if lineage is None:
        return
    check_json_text(lineage, "lineage")
    if len(json.dumps(lineage).encode()) > MAX_LINEAGE_BYTES:
        raise RepositoryValidationError("lineage", f"larger than {MAX_LINEAGE_BYTES} bytes")


def check_finite(value: Any, field: str) -> None:
    """Reject NaN and infinities anywhere inside ``value`` (JSON cannot carry them), naming where."""
    if isinstance(value, float) and not math.isfinite(value):
        raise RepositoryValidationError(field, f"must be a finite number, got {value}")
    if isinstance(value, Mapping):
        for key, item in value.items():
            check_finite(item, f"{field}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_finite(item, f"{field}.{index}")


def require_filter(value: object, field: str) -> None:
    """Refuse a missing filter value (``get_scenarios_by_category(None)`` would otherwise match everything)."""
    if value is None:
        raise RepositoryValidationError(field, "is required (None would match every scenario)")
    if not isinstance(value, str):
        raise RepositoryValidationError(field, f"expected a string or enum member, got {type(value).__name__}")


def as_definition(value: ScenarioDefinition | Mapping[str, Any], field: str = "scenario_def") -> ScenarioDefinition:
    """``value`` validated as a ``ScenarioDefinition`` (a dict, or a model re-validated).

    Validation is strict, as for variations: a value must already have its field's type as JSON would
    carry it (``true`` is not 1.0 m, ``"1800"`` is not 1800 s); a whole number is a valid float.
    """
    data = value.model_dump(mode="json") if isinstance(value, ScenarioDefinition) else value
    if not isinstance(data, Mapping):
        raise RepositoryValidationError(field, f"expected a ScenarioDefinition or a dict, got {type(value).__name__}")
    for key, item in data.items():
        check_json_text(item, str(key))
        check_finite(item, str(key))
    try:
        document = json.dumps(to_jsonable_python(dict(data)), allow_nan=False)
    except (TypeError, ValueError, PydanticSerializationError) as exc:
        raise RepositoryValidationError(field, f"not storable as JSON: {exc}") from None
    try:
        return ScenarioDefinition.model_validate_json(document, strict=True)
    except ValidationError as exc:
        raise RepositoryValidationError.from_pydantic(exc) from None


def validate_definition(
    value: ScenarioDefinition | Mapping[str, Any],
) -> tuple[ScenarioDefinition, type[BaseScenario[Any]]]:
    """The storable form of a definition (complete canonical parameters, UTC time) and its class."""
    definition = as_definition(value)
    for name in (
        "scenario_definition_id",
        "scenario_class_module",
        "scenario_class_name",
        "scenario_instance_id",
        "name",
        "description",
        "author",
    ):
        check_text(getattr(definition, name), name)
    for name in ("tags", "related_scenario_ids", "originating_weak_spot_ids"):
        items: list[str] = getattr(definition, name)
        if name != "tags" and len(items) > MAX_LINKED_IDS:
            raise RepositoryValidationError(name, f"more than {MAX_LINKED_IDS} entries")
        for index, item in enumerate(items):
            check_text(item, f"{name}.{index}")
            if name != "tags" and not 0 < len(item) <= MAX_LINKED_ID_LENGTH:
                raise RepositoryValidationError(f"{name}.{index}", f"must be 1 to {MAX_LINKED_ID_LENGTH} characters")
    if definition.parent_scenario_id is not None:
        check_text(definition.parent_scenario_id, "parent_scenario_id")
        if not 0 < len(definition.parent_scenario_id) <= MAX_LINKED_ID_LENGTH:
            raise RepositoryValidationError("parent_scenario_id", f"must be 1 to {MAX_LINKED_ID_LENGTH} characters")
    try:
        cls = scenario_class(definition.scenario_class_name)
    except UnknownScenarioClassError as exc:
        raise RepositoryValidationError("scenario_class_name", str(exc)) from None
    if definition.scenario_class_name != cls.__name__:
        raise RepositoryValidationError(
            "scenario_class_name", f"use the class name {cls.__name__!r}, not {definition.scenario_class_name!r}"
        )
    if definition.scenario_class_module != cls.__module__:
        raise RepositoryValidationError(
            "scenario_class_module",
            f"{cls.__name__} lives in {cls.__module__!r}, not {definition.scenario_class_module!r}",
        )
    try:
        params = cls.params_model.model_validate_json(definition.specific_params_json, strict=True)
    except ValidationError as exc:
        raise RepositoryValidationError.from_pydantic(exc, prefix="specific_params_json") from None
    canonical = json.dumps(params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    normalized = definition.model_copy(
        update={
            "specific_params_json": canonical,
            "creation_timestamp_utc": utc(definition.creation_timestamp_utc),
            "tags": list(dict.fromkeys(definition.tags)),
        }
    )
    return normalized, cls


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def now_utc() -> datetime:
    """Now, in UTC, to the microsecond (what both databases keep)."""
    return datetime.now(UTC)
