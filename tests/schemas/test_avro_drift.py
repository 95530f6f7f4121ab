"""The shipped .avsc files are exactly what the Pydantic records generate (one source of truth)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from envirosense.schemas import Record
from envirosense.schemas.avro import EXPORTED_RECORDS, avro_schema, avsc_text, shipped_avsc

UNIT_AT_END = re.compile(r", [^,]+\.$")
PARENTHESISED_AT_END = re.compile(r"\([^)]*\)\.?$")
"""Docs state the unit as a trailing ", UNIT." or a trailing parenthesis such as "(no unit)"."""

SHIPPED = Path(__file__).parents[2] / "src" / "envirosense" / "schemas" / "avro"


@pytest.mark.parametrize("model", EXPORTED_RECORDS, ids=lambda m: m.avro_name)
def test_shipped_schema_matches_model(model: type[Record]) -> None:
    shipped = (SHIPPED / f"{model.avro_name}.avsc").read_text(encoding="utf-8")
    assert shipped == avsc_text(model), (
        f"{model.avro_name}.avsc drifted from the Pydantic model: run "
        "`envirosense schemas export src/envirosense/schemas/avro` and review the diff"
    )


def test_no_stray_schema_files() -> None:
    expected = {f"{model.avro_name}.avsc" for model in EXPORTED_RECORDS}
    assert {path.name for path in SHIPPED.glob("*.avsc")} == expected


def _walk_fields(schema: object, seen: list[tuple[str, dict[str, object]]]) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "record":
            for field in schema["fields"]:
                seen.append((str(schema["name"]), field))
                _walk_fields(field["type"], seen)
        elif schema.get("type") in ("array", "map"):
            _walk_fields(schema.get("items", schema.get("values")), seen)
    elif isinstance(schema, list):
        for member in schema:
            _walk_fields(member, seen)


@pytest.mark.parametrize("model", EXPORTED_RECORDS, ids=lambda m: m.avro_name)
def test_every_field_has_a_doc_with_its_unit(model: type[Record]) -> None:
    fields: list[tuple[str, dict[str, object]]] = []
    assert model.avro_name is not None
    _walk_fields(shipped_avsc(model.avro_name), fields)
    assert fields
    for record, field in fields:
        doc = str(field.get("doc", ""))
        assert doc, f"{record}.{field['name']} has no doc"
        states_unit = UNIT_AT_END.search(doc) or PARENTHESISED_AT_END.search(doc)
        assert states_unit, f"{record}.{field['name']} doc does not end with ', UNIT.' or '(…)': {doc!r}"


def test_optional_fields_are_null_unions_with_null_default() -> None:
    fields: list[tuple[str, dict[str, object]]] = []
    for model in EXPORTED_RECORDS:
        _walk_fields(avro_schema(model), fields)
    optional = [(r, f) for r, f in fields if isinstance(f["type"], list)]
    assert optional
    for record, field in optional:
        assert field["type"][0] == "null", f"{record}.{field['name']}"  # type: ignore[index]
        assert "default" in field and field["default"] is None, f"{record}.{field['name']}"


def test_top_level_records_carry_a_schema_version() -> None:
    for name in ("MLDataSample", "ScenarioDefinition", "ScenarioRunPackage", "GroundTruthLabels"):
        assert json.loads(json.dumps(shipped_avsc(name)))["envirosense_schema_version"]
