"""What every sensor model shares: the interface, the sensor's age, and the final status/dropout step.

A sensor model turns the true field at the device (``TrueField``, arrays of shape ``(T,)``) into one
sensor's readings (``SensorArrays``: reading-record field name → ``(T,)`` float array with NaN for null,
plus ``status`` codes into ``STATUS_SYMBOLS``). Models draw their per-device calibration from the
generator they are given, so one generator = one physical device instance.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from envirosense.schemas import SENSORS_BY_ID, SensorStatus
from envirosense.simulation.field import TrueField
from envirosense.simulation.parameters import DeviceParams
from envirosense.simulation.result import STATUS_CODE, SensorArrays

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

SECONDS_PER_DAY = 86_400.0


@dataclass
class RawReadings:
    """A sensor's readings before the status step.

    ``values``: field name → ``(T,)`` float array (``(T, K)`` for an image); ``saturated``: ``(T,)``,
    true where a value was clipped at a range limit; ``reduced_accuracy``: ``(T,)`` or None, true where
    a value lies outside the part's calibrated range but is still reported.
    """

    values: dict[str, NDArray[np.float64]]
    saturated: BoolArray
    reduced_accuracy: BoolArray | None = None


class SensorModel(ABC):
    """Turns the true field at the device into one sensor's readings.

    Subclasses implement ``readings``; ``measure`` adds the shared last step: statuses, and dropouts
    (status ``DROPOUT``, every value null) with probability ``DeviceParams.dropout_probability`` per
    reading.
    """

    def __init__(self, sensor_id: str) -> None:
        if sensor_id not in SENSORS_BY_ID:
            raise ValueError(f"sensor_id {sensor_id!r} is not a sensor of the device")
        self.sensor_id = sensor_id

    @abstractmethod
    def readings(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> RawReadings:
        """Values over ``field.times_s`` with the range-limit flags; all randomness from ``rng``."""

    def measure(self, field: TrueField, device: DeviceParams, rng: np.random.Generator) -> SensorArrays:
        """The sensor's readings over ``field.times_s``: values (NaN for null) and ``status`` codes."""
        raw = self.readings(field, device, rng)
        return finalise(raw, device.dropout_probability, rng)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sensor_id={self.sensor_id!r})"


def finalise(raw: RawReadings, dropout_probability: float, rng: np.random.Generator) -> SensorArrays:
    """Status codes (``DROPOUT`` over ``SATURATED`` over ``REDUCED_ACCURACY`` over ``OK``) and null values
    where a reading dropped out."""
    n = raw.saturated.shape[0]
    status = np.full(n, STATUS_CODE[SensorStatus.OK])
    if raw.reduced_accuracy is not None:
        status[raw.reduced_accuracy] = STATUS_CODE[SensorStatus.REDUCED_ACCURACY]
    status[raw.saturated] = STATUS_CODE[SensorStatus.SATURATED]
    dropout = rng.random(n) < dropout_probability
    status[dropout] = STATUS_CODE[SensorStatus.DROPOUT]
    arrays: SensorArrays = {"status": status.astype(np.int64)}
    for name, values in raw.values.items():
        out = np.array(values, dtype=np.float64)
        out[dropout] = np.nan
        arrays[name] = out
    return arrays


def age_days(times_s: FloatArray, days_since_calibration: float) -> FloatArray:
    """Days since the sensor was last calibrated at each reading: the device's age plus elapsed time."""
    result: FloatArray = days_since_calibration + times_s / SECONDS_PER_DAY
    return result


def sample_intervals(times_s: FloatArray) -> FloatArray:
    """Seconds each reading covers: the spacing to the previous reading (the first copies the second's)."""
    if times_s.shape[0] == 1:
        return np.ones(1)
    steps = np.diff(times_s)
    return np.concatenate([steps[:1], steps])
