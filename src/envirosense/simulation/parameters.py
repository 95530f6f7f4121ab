"""Scenario parameter models: every parameter has a declared range that variation, crafting and
random sampling respect.

Parameters nest (``environment.wind_speed_m_s``); the dotted path is how variation, crafting and the
repository name a parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, TypeVar, get_args, get_origin

import numpy as np
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ConfigDict, Field

P = TypeVar("P", bound="ParamModel")


class ParamModel(BaseModel):
    """Base of every parameter model: immutable, unknown keys and NaN rejected."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, validate_default=True)


class EnvironmentParams(ParamModel):
    """Ambient weather around the device over the scenario."""

    start_hour_local: float = Field(12.0, ge=0, le=23.99, description="Local solar time at the start, h.")
    mean_temperature_c: float = Field(18.0, ge=-15, le=42, description="Daily mean air temperature, °C.")
    diurnal_amplitude_c: float = Field(5.0, ge=0, le=12, description="Half the day-night swing, °C.")
    relative_humidity_pct: float = Field(55.0, ge=10, le=98, description="Mean relative humidity, %RH.")
    pressure_hpa: float = Field(1013.0, ge=960, le=1045, description="Mean sea-level pressure, hPa.")
    wind_speed_m_s: float = Field(3.0, ge=0.5, le=15, description="Mean wind speed at 10 m, m/s.")
    wind_direction_deg: float = Field(225.0, ge=0, le=359, description="Mean wind direction (from), degrees.")
    turbulence_intensity: float = Field(0.25, ge=0.05, le=0.8, description="Gust std / mean speed (ratio).")
    cloud_cover_fraction: float = Field(0.3, ge=0, le=1, description="Cloud cover (fraction).")
    precipitation_mm_h: float = Field(0.0, ge=0, le=30, description="Rain rate, mm/h.")
    background_pm2_5_ug_m3: float = Field(
        8.0, ge=2, le=60, description="Regional background PM2.5 (clean rural 2–5, polluted urban 30–60), µg/m³."
    )


class DeviceParams(ParamModel):
    """The device and the grid equipment it watches."""

    days_since_calibration: float = Field(60.0, ge=0, le=720, description="Sensor age since calibration, days.")
    mounting_height_m: float = Field(6.0, ge=2, le=15, description="Height of the box above ground, m.")
    grid_load_fraction: float = Field(0.6, ge=0.1, le=1.2, description="Load current / rated current (ratio).")
    dropout_probability: float = Field(0.003, ge=0, le=0.05, description="Chance a reading drops out (per reading).")


class ScenarioParams(ParamModel):
    """Parameters shared by every scenario; scenario classes subclass it and add their own."""

    duration_seconds: float = Field(1800.0, ge=120, le=21_600, description="Scenario length, s.")
    environment: EnvironmentParams = Field(default_factory=EnvironmentParams, description="Weather.")
    device: DeviceParams = Field(default_factory=DeviceParams, description="Device and grid state.")


@dataclass(frozen=True)
class ParamRange:
    """The declared range of one parameter: numeric bounds, or the allowed choices."""

    path: str
    lower: float | None = None
    upper: float | None = None
    is_integer: bool = False
    choices: tuple[Any, ...] | None = None

    def clip(self, value: float) -> float:
        assert self.lower is not None and self.upper is not None
        clipped = min(max(value, self.lower), self.upper)
        return float(round(clipped)) if self.is_integer else clipped


def param_ranges(model: type[ParamModel], prefix: str = "") -> dict[str, ParamRange]:
    """Dotted path → declared range for every leaf parameter of ``model`` (nested models flattened)."""
    ranges: dict[str, ParamRange] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, ParamModel):
            ranges.update(param_ranges(annotation, prefix=f"{path}."))
            continue
        if get_origin(annotation) is Literal:
            ranges[path] = ParamRange(path, choices=get_args(annotation))
            continue
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            ranges[path] = ParamRange(path, choices=tuple(annotation))
            continue
        if annotation is bool:
            ranges[path] = ParamRange(path, choices=(False, True))
            continue
        lower, upper = -math.inf, math.inf
        for item in info.metadata:
            if isinstance(item, Ge):
                lower = float(item.ge)  # type: ignore[arg-type]
            elif isinstance(item, Gt):
                lower = float(item.gt)  # type: ignore[arg-type]
            elif isinstance(item, Le):
                upper = float(item.le)  # type: ignore[arg-type]
            elif isinstance(item, Lt):
                upper = float(item.lt)  # type: ignore[arg-type]
        if not (math.isfinite(lower) and math.isfinite(upper)):
            raise TypeError(f"parameter {path} of {model.__name__} must declare a finite range")
        ranges[path] = ParamRange(path, lower, upper, is_integer=annotation is int)
    return ranges


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            flat.update(flatten_params(value, prefix=f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def unflatten_params(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` → ``{"a": {"b": 1}}``."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        node = nested
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def deep_merge(base: Mapping[str, Any], modifications: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``modifications`` merged in; keys of ``modifications`` may be dotted paths."""
    merged = flatten_params(base)
    merged.update(flatten_params(unflatten_params(flatten_params(modifications))))
    return unflatten_params(merged)


def sample_params(model: type[P], rng: np.random.Generator, fixed: Mapping[str, Any] | None = None) -> P:
    """Parameters drawn uniformly inside every declared range (integers and choices uniformly too).

    ``fixed`` (dotted paths) pins some parameters instead of drawing them.
    """
    drawn: dict[str, Any] = {}
    for path, declared in param_ranges(model).items():
        if declared.choices is not None:
            choice = declared.choices[int(rng.integers(len(declared.choices)))]
            drawn[path] = choice.value if isinstance(choice, Enum) else choice
        else:
            assert declared.lower is not None and declared.upper is not None
            value = float(rng.uniform(declared.lower, declared.upper))
            drawn[path] = round(value) if declared.is_integer else value
    if fixed:
        drawn.update(flatten_params(unflatten_params(dict(fixed))))
    return model.model_validate(unflatten_params(drawn))
