"""Numeric bounds of record fields, read from the Pydantic constraints, for vectorised checks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from annotated_types import Ge, Gt, Le, Lt

from envirosense.schemas.base import Record


@dataclass(frozen=True)
class Bounds:
    lower: float = -math.inf
    upper: float = math.inf
    lower_inclusive: bool = True
    upper_inclusive: bool = True


@cache
def field_bounds(model: type[Record]) -> dict[str, Bounds]:
    """Field name → declared numeric bounds, for every field of ``model`` that declares any."""
    bounds: dict[str, Bounds] = {}
    for name, info in model.model_fields.items():
        found = Bounds()
        for item in info.metadata:
            if isinstance(item, Ge):
                found = Bounds(float(item.ge), found.upper, True, found.upper_inclusive)  # type: ignore[arg-type]
            elif isinstance(item, Gt):
                found = Bounds(float(item.gt), found.upper, False, found.upper_inclusive)  # type: ignore[arg-type]
            elif isinstance(item, Le):
                found = Bounds(found.lower, float(item.le), found.lower_inclusive, True)  # type: ignore[arg-type]
            elif isinstance(item, Lt):
                found = Bounds(found.lower, float(item.lt), found.lower_inclusive, False)  # type: ignore[arg-type]
        if found != Bounds():
            bounds[name] = found
    return bounds
