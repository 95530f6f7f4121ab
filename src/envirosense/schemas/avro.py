"""Avro schemas generated from the Pydantic records: the Pydantic models are the single source of truth.

The generated ``.avsc`` files are shipped as package data (``schemas/avro/``) so that other tools can
read EnviroSense files without Python; ``tests/schemas/test_avro_drift.py`` fails when a shipped file
no longer matches what the models generate. Regenerate with ``envirosense schemas export``.
"""

from __future__ import annotations

import json
import types
from datetime import datetime
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import fastavro
from pydantic.fields import FieldInfo

from envirosense.schemas.base import Record
from envirosense.schemas.readings import READING_MODELS
from envirosense.schemas.run_package import ScenarioRunPackage
from envirosense.schemas.samples import GroundTruthLabels, MLDataSample
from envirosense.schemas.scenario_definition import ScenarioDefinition

NAMESPACE = "envirosense.schemas"

EXPORTED_RECORDS: tuple[type[Record], ...] = (
    ScenarioDefinition,
    MLDataSample,
    ScenarioRunPackage,
    GroundTruthLabels,
    *READING_MODELS,
)

_PRIMITIVES: dict[Any, str] = {float: "double", int: "long", str: "string", bool: "boolean"}


class _SchemaBuilder:
    """Turns Pydantic annotations into Avro types, defining each named type once."""

    def __init__(self) -> None:
        self.defined: set[str] = set()

    def record(self, model: type[Record]) -> dict[str, Any] | str:
        name = model.avro_name or model.__name__
        if name in self.defined:
            return f"{NAMESPACE}.{name}"
        self.defined.add(name)
        schema: dict[str, Any] = {
            "type": "record",
            "name": name,
            "namespace": NAMESPACE,
            "doc": (model.__doc__ or name).strip().splitlines()[0],
            "fields": [self.field(field_name, info) for field_name, info in model.model_fields.items()],
        }
        if model.schema_version is not None:
            schema["envirosense_schema_version"] = model.schema_version
        return schema

    def field(self, name: str, info: FieldInfo) -> dict[str, Any]:
        avro_type = self.type_of(info.annotation)
        field: dict[str, Any] = {"name": name, "type": avro_type, "doc": info.description or ""}
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            field["default"] = default.value if isinstance(default, Enum) else default
        return field

    def type_of(self, annotation: Any) -> Any:
        origin = get_origin(annotation)
        if origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                raise TypeError(f"only Optional[X] unions are supported, got {annotation}")
            return ["null", self.type_of(members[0])]
        if origin is list:
            return {"type": "array", "items": self.type_of(get_args(annotation)[0])}
        if origin is dict:
            key, value = get_args(annotation)
            if key is not str:
                raise TypeError("Avro maps need string keys")
            return {"type": "map", "values": self.type_of(value)}
        if annotation in _PRIMITIVES:
            return _PRIMITIVES[annotation]
        if annotation is datetime:
            return {"type": "long", "logicalType": "timestamp-micros"}
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            return self.enum(annotation)
        if isinstance(annotation, type) and issubclass(annotation, Record):
            return self.record(annotation)
        raise TypeError(f"no Avro mapping for {annotation!r}")

    def enum(self, enum_type: type[Enum]) -> dict[str, Any] | str:
        name = enum_type.__name__
        if name in self.defined:
            return f"{NAMESPACE}.{name}"
        self.defined.add(name)
        return {
            "type": "enum",
            "name": name,
            "namespace": NAMESPACE,
            "symbols": [member.value for member in enum_type],
            "doc": (enum_type.__doc__ or name).strip().splitlines()[0],
        }


def avro_schema(model: type[Record]) -> dict[str, Any]:
    """The self-contained Avro schema (as a JSON-ready dict) generated from ``model``."""
    schema = _SchemaBuilder().record(model)
    assert isinstance(schema, dict)
    return schema


def avsc_text(model: type[Record]) -> str:
    """``avro_schema(model)`` serialised the way the shipped ``.avsc`` files are."""
    return json.dumps(avro_schema(model), indent=2, ensure_ascii=False) + "\n"


def export_avsc(directory: Path) -> list[Path]:
    """Write one ``NAME.avsc`` per exported record into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for model in EXPORTED_RECORDS:
        path = directory / f"{model.avro_name}.avsc"
        path.write_text(avsc_text(model), encoding="utf-8")
        written.append(path)
    return written


def shipped_avsc(name: str) -> dict[str, Any]:
    """The shipped schema ``NAME.avsc`` from the package data."""
    text = resources.files("envirosense.schemas").joinpath("avro", f"{name}.avsc").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def parsed_schema(name: str) -> Any:
    """The shipped schema ``NAME.avsc`` parsed by fastavro (cached)."""
    return fastavro.parse_schema(shipped_avsc(name))


def schema_versions() -> dict[str, str]:
    """Avro record name → schema version, for every exported record that carries one."""
    return {
        str(model.avro_name): model.schema_version for model in EXPORTED_RECORDS if model.schema_version is not None
    }
