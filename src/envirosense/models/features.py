"""Features: ``MLDataSample`` records → a numeric matrix with one named column per feature.

Column names are schema field paths (``sensor_readings_map.U20_SPS30.mass_concentration_pm2_5_ug_m3``), so
explanations point at real fields. Three kinds of column exist:

- **reading** columns: every numeric (float, int, bool) field of every sensor's reading record;
- **validity** columns, one per sensor: ``sensor_readings_map.<id>.status_valid`` is 1.0 when the sensor's
  ``status`` is ``OK``, ``SATURATED`` or ``REDUCED_ACCURACY`` and 0.0 otherwise (dropout, warm-up, fault);
- a few **derived** columns, named ``derived.<sensor ids>.<what>``, each computed from named reading fields.

Missing values are explicit. ``FeatureBatch.values`` holds NaN wherever a value was not measured (the sensor
was not valid, or the field is null, e.g. no storm distance without a storm). Models never see NaN:
``FeatureExtractor.model_input`` replaces each column's NaN by that column's *missing code*, a constant just
below the field's declared range (lower bound − 1; −1 for unbounded columns), so a tree can always tell
"missing" from any real value, and the validity columns say which sensor was down. The code depends only on
the schema, not on training data, so the same function runs in every client (local or remote) and nothing
has to be fitted or shipped with the model; it also keeps requests to a model server finite JSON numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from envirosense.schemas import SENSOR_IDS, SENSORS_BY_ID, SensorStatus
from envirosense.schemas.bounds import field_bounds

READINGS_PREFIX = "sensor_readings_map"
DERIVED_PREFIX = "derived"
VALIDITY_SUFFIX = "status_valid"
VALID_STATUSES: frozenset[str] = frozenset(
    {SensorStatus.OK.value, SensorStatus.SATURATED.value, SensorStatus.REDUCED_ACCURACY.value}
)

ColumnKind = Literal["reading", "validity", "derived"]


class FeatureExtractionError(ValueError):
    """A sample lacks a field the extractor needs, or holds a non-numeric value; the message names both."""


@dataclass(frozen=True)
class FeatureColumn:
    """One column of the feature matrix.

    ``name`` is the feature path; ``sensor_ids`` the sensors it is computed from; ``field`` the reading
    field (reading columns only); ``missing_code`` the constant that stands for "not measured" in the
    model input.
    """

    name: str
    kind: ColumnKind
    sensor_ids: tuple[str, ...]
    missing_code: float
    field: str | None = None


@dataclass(frozen=True)
class DerivedFeature:
    """A feature computed from two reading fields: ``a / max(b, floor)`` or ``a − b``.

    ``a`` and ``b`` are ``(sensor_id, field)`` pairs; the result is missing when either input is.
    """

    name: str
    operation: Literal["ratio", "difference"]
    a: tuple[str, str]
    b: tuple[str, str]
    missing_code: float
    floor: float = 0.0

    def compute(self, a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.operation == "ratio":
            return a / np.maximum(b, self.floor)
        return a - b


DERIVED_FEATURES: tuple[DerivedFeature, ...] = (
    DerivedFeature(
        name=f"{DERIVED_PREFIX}.U20_SPS30.pm2_5_to_pm10_mass_ratio",
        operation="ratio",
        a=("U20_SPS30", "mass_concentration_pm2_5_ug_m3"),
        b=("U20_SPS30", "mass_concentration_pm10_ug_m3"),
        floor=1.0,
        missing_code=-1.0,
    ),
    DerivedFeature(
        name=f"{DERIVED_PREFIX}.U21_SHT85-U22_SHT85.temperature_difference_c",
        operation="difference",
        a=("U21_SHT85", "temperature_c"),
        b=("U22_SHT85", "temperature_c"),
        missing_code=-146.0,
    ),
    DerivedFeature(
        name=f"{DERIVED_PREFIX}.U27_SPU0410HR5H.ultrasonic_minus_mid_band_db",
        operation="difference",
        a=("U27_SPU0410HR5H", "band_ultrasonic_db"),
        b=("U27_SPU0410HR5H", "band_mid_db"),
        missing_code=-141.0,
    ),
)
"""Derived features: PM2.5/PM10 mass ratio (floor 1 µg/m³; smoke is fine, dust is coarse), inside minus
outside temperature (°C; equipment heating), ultrasonic minus mid-band level (dB; corona and arcing emit
ultrasound, wind does not)."""


def _numeric_fields(sensor_id: str) -> list[tuple[str, float]]:
    """(field, missing code) for every numeric field of the sensor's reading record, in schema order."""
    model = SENSORS_BY_ID[sensor_id].reading_model
    bounds = field_bounds(model)
    fields = []
    for name, info in model.model_fields.items():
        text = str(info.annotation)
        if name in ("sensor_id", "status") or "list" in text or "str" in text:
            continue
        declared = bounds.get(name)
        lower = declared.lower if declared is not None else -np.inf
        fields.append((name, float(lower - 1.0) if np.isfinite(lower) else -1.0))
    return fields


@dataclass
class FeatureBatch:
    """Features and identity of ``n`` samples.

    ``values``: ``(n, n_features)`` float64, NaN = not measured. ``sensor_valid``: ``(n, n_sensors)``
    bool, column ``j`` for ``FeatureExtractor.sensor_ids[j]``. ``labels`` are ``extracted_class_label``
    strings (``None`` when the samples carry none). ``timesteps_s``: ``(n,)`` seconds since scenario start.
    """

    values: NDArray[np.float64]
    sensor_valid: NDArray[np.bool_]
    sample_ids: list[str]
    scenario_ids: list[str]
    timesteps_s: NDArray[np.float64]
    labels: list[str] | None
    run_keys: list[str]

    def __len__(self) -> int:
        return int(self.values.shape[0])


class FeatureExtractor:
    """Vectorised ``MLDataSample`` dict → feature matrix, in batches of bounded size.

    Parameters
    ----------
    sensor_ids:
        Sensors to read, in column order (default: every sensor of the device).
    include_validity:
        Add one ``<sensor>.status_valid`` column per sensor.
    include_derived:
        Add the ``DERIVED_FEATURES`` whose inputs are all among ``sensor_ids``.
    batch_size:
        Samples per batch in ``iter_batches``; memory is about ``batch_size × n_features × 8`` bytes.
    """

    def __init__(
        self,
        sensor_ids: Sequence[str] = SENSOR_IDS,
        *,
        include_validity: bool = True,
        include_derived: bool = True,
        batch_size: int = 4096,
    ) -> None:
        unknown = [sid for sid in sensor_ids if sid not in SENSORS_BY_ID]
        if unknown:
            raise ValueError(f"unknown sensor ids {unknown}; known: {list(SENSOR_IDS)}")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.sensor_ids: tuple[str, ...] = tuple(sensor_ids)
        self.include_validity = include_validity
        self.include_derived = include_derived
        self.batch_size = batch_size
        self._reading_fields = {sid: _numeric_fields(sid) for sid in self.sensor_ids}
        columns: list[FeatureColumn] = []
        for sid in self.sensor_ids:
            for field, code in self._reading_fields[sid]:
                columns.append(FeatureColumn(f"{READINGS_PREFIX}.{sid}.{field}", "reading", (sid,), code, field))
        if include_validity:
            columns.extend(
                FeatureColumn(f"{READINGS_PREFIX}.{sid}.{VALIDITY_SUFFIX}", "validity", (sid,), 0.0)
                for sid in self.sensor_ids
            )
        self.derived: tuple[DerivedFeature, ...] = (
            tuple(d for d in DERIVED_FEATURES if d.a[0] in self.sensor_ids and d.b[0] in self.sensor_ids)
            if include_derived
            else ()
        )
        columns.extend(
            FeatureColumn(d.name, "derived", tuple(dict.fromkeys((d.a[0], d.b[0]))), d.missing_code)
            for d in self.derived
        )
        self.columns: tuple[FeatureColumn, ...] = tuple(columns)
        self.feature_names: list[str] = [c.name for c in columns]
        self._index = {name: i for i, name in enumerate(self.feature_names)}
        self._missing_codes = np.array([c.missing_code for c in columns], dtype=np.float64)

    def params(self) -> dict[str, Any]:
        """The constructor arguments that fix the columns (JSON-ready; stored with every model)."""
        return {
            "sensor_ids": list(self.sensor_ids),
            "include_validity": self.include_validity,
            "include_derived": self.include_derived,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any], *, batch_size: int = 4096) -> FeatureExtractor:
        return cls(
            params["sensor_ids"],
            include_validity=bool(params["include_validity"]),
            include_derived=bool(params["include_derived"]),
            batch_size=batch_size,
        )

    @property
    def n_features(self) -> int:
        return len(self.columns)

    def column_index(self, name: str) -> int:
        return self._index[name]

    def sensor_of(self, feature_name: str) -> str:
        """The (first) sensor a feature is computed from."""
        return self.columns[self._index[feature_name]].sensor_ids[0]

    def sensor_columns(self, sensor_id: str, *, kinds: Iterable[ColumnKind] = ("reading", "validity")) -> list[int]:
        """Indices of the columns of ``kinds`` computed from ``sensor_id``."""
        wanted = set(kinds)
        return [i for i, c in enumerate(self.columns) if c.kind in wanted and sensor_id in c.sensor_ids]

    # --- extraction ------------------------------------------------------------------------------

    def transform(self, samples: Sequence[Mapping[str, Any]]) -> FeatureBatch:
        """Features of ``samples`` (``MLDataSample``-shaped dicts) as one batch."""
        n = len(samples)
        values = np.full((n, self.n_features), np.nan, dtype=np.float64)
        valid = np.zeros((n, len(self.sensor_ids)), dtype=bool)
        try:
            maps = [s["sensor_readings_map"] for s in samples]
        except (KeyError, TypeError) as exc:
            raise FeatureExtractionError(f"a sample lacks sensor_readings_map ({exc!r})") from None
        col = 0
        for j, sid in enumerate(self.sensor_ids):
            readings = self._sensor_readings(maps, samples, sid)
            statuses = [r.get("status") for r in readings]
            valid[:, j] = np.fromiter((s in VALID_STATUSES for s in statuses), dtype=bool, count=n)
            for field, _code in self._reading_fields[sid]:
                values[:, col] = self._column(readings, samples, sid, field)
                col += 1
        reading_end = col
        values[:, :reading_end][~self._reading_valid_mask(valid)] = np.nan
        if self.include_validity:
            values[:, reading_end : reading_end + len(self.sensor_ids)] = valid
        self.fill_derived(values)
        try:
            sample_ids = [str(s["sample_id"]) for s in samples]
            scenario_ids = [str(s["scenario_id"]) for s in samples]
            timesteps = np.array([s["scenario_timestep_seconds"] for s in samples], dtype=np.float64)
        except KeyError as exc:
            raise FeatureExtractionError(f"a sample lacks {exc.args[0]}") from None
        labels: list[str] | None = None
        if n and all("extracted_class_label" in s for s in samples):
            labels = [str(s["extracted_class_label"]) for s in samples]
        run_keys = [f"{s['scenario_id']}#{(s.get('sample_metadata') or {}).get('seed', 0)}" for s in samples]
        return FeatureBatch(values, valid, sample_ids, scenario_ids, timesteps, labels, run_keys)

    def iter_batches(
        self, samples: Iterable[Mapping[str, Any]], batch_size: int | None = None, *, prefetch: bool = False
    ) -> Iterator[FeatureBatch]:
        """Stream ``samples`` as ``FeatureBatch``es of at most ``batch_size`` samples (bounded memory).

        With ``prefetch`` the next batch is read and extracted in a background thread while the caller works
        on the current one (worthwhile when the caller waits on a model server or on tree traversal, which
        release the GIL); at most two batches are alive.
        """
        size = batch_size or self.batch_size
        iterator = iter(samples)
        batches = (self.transform(chunk) for chunk in iter(lambda: list(islice(iterator, size)), []))
        if not prefetch:
            yield from batches
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="feature-prefetch") as pool:
            pending = pool.submit(next, batches, None)
            while (batch := pending.result()) is not None:
                pending = pool.submit(next, batches, None)
                yield batch

    def fill_derived(self, values: NDArray[np.float64]) -> None:
        """(Re)compute the derived columns of ``values`` in place from its reading columns."""
        for d in self.derived:
            a = values[:, self._index[f"{READINGS_PREFIX}.{d.a[0]}.{d.a[1]}"]]
            b = values[:, self._index[f"{READINGS_PREFIX}.{d.b[0]}.{d.b[1]}"]]
            with np.errstate(invalid="ignore", divide="ignore"):
                values[:, self._index[d.name]] = d.compute(a, b)

    def model_input(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``values`` with every NaN replaced by its column's missing code: what a model is fitted on."""
        return np.where(np.isnan(values), self._missing_codes, values)

    # --- helpers ---------------------------------------------------------------------------------

    def _reading_valid_mask(self, valid: NDArray[np.bool_]) -> NDArray[np.bool_]:
        counts = [len(self._reading_fields[sid]) for sid in self.sensor_ids]
        return np.repeat(valid, counts, axis=1)

    @staticmethod
    def _sensor_readings(
        maps: list[Mapping[str, Any]], samples: Sequence[Mapping[str, Any]], sensor_id: str
    ) -> list[Mapping[str, Any]]:
        try:
            return [m[sensor_id] for m in maps]
        except (KeyError, TypeError):
            bad = next(i for i, m in enumerate(maps) if not isinstance(m, Mapping) or sensor_id not in m)
            raise FeatureExtractionError(
                f"sample {samples[bad].get('sample_id')!r} lacks {READINGS_PREFIX}.{sensor_id}"
            ) from None

    @staticmethod
    def _column(
        readings: list[Mapping[str, Any]], samples: Sequence[Mapping[str, Any]], sensor_id: str, field: str
    ) -> NDArray[np.float64]:
        try:
            return np.array([r[field] for r in readings], dtype=np.float64)
        except KeyError:
            bad = next(i for i, r in enumerate(readings) if field not in r)
            raise FeatureExtractionError(
                f"sample {samples[bad].get('sample_id')!r} lacks {READINGS_PREFIX}.{sensor_id}.{field}"
            ) from None
        except (TypeError, ValueError):
            bad = next(i for i, r in enumerate(readings) if not _is_number_or_null(r[field]))
            raise FeatureExtractionError(
                f"sample {samples[bad].get('sample_id')!r}: {READINGS_PREFIX}.{sensor_id}.{field} "
                f"is {readings[bad][field]!r}, not a number or null"
            ) from None


def _is_number_or_null(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, str))
