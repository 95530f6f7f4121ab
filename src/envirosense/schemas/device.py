"""The Grid Guardian's sensors: ids, reading records and prioritisation families."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from envirosense.schemas.readings import (
    AcousticReading,
    AnemometerReading,
    EmfReading,
    ImuReading,
    LightningReading,
    ParticulateReading,
    PressureReading,
    SensorReading,
    TemperatureHumidityReading,
    ThermalImageReading,
    VocArrayReading,
)


class SensorFamily(StrEnum):
    """Which prioritisation strategy a sensor's weak spots go to (``docs/learning.md``, prioritisation)."""

    REAL_TIME = "real_time"  # stream-like: lightning, IMU, acoustic
    HIGH_FIDELITY = "high_fidelity"  # slow, high-value: thermal, VOC, PM, EMF
    AMBIENT = "ambient"  # context: temperature/humidity, pressure, wind


@dataclass(frozen=True)
class SensorSpec:
    sensor_id: str
    reading_model: type[SensorReading]
    family: SensorFamily
    description: str


DEVICE_SENSORS: tuple[SensorSpec, ...] = (
    SensorSpec("U19_TFSGS", VocArrayReading, SensorFamily.HIGH_FIDELITY, "8-channel VOC array"),
    SensorSpec("U20_SPS30", ParticulateReading, SensorFamily.HIGH_FIDELITY, "particulate matter"),
    SensorSpec("U21_SHT85", TemperatureHumidityReading, SensorFamily.AMBIENT, "temperature/humidity (inside)"),
    SensorSpec("U22_SHT85", TemperatureHumidityReading, SensorFamily.AMBIENT, "temperature/humidity (outside)"),
    SensorSpec("U23_BMP388", PressureReading, SensorFamily.AMBIENT, "barometric pressure"),
    SensorSpec("U24_FT205", AnemometerReading, SensorFamily.AMBIENT, "ultrasonic anemometer"),
    SensorSpec("U25_AS3935", LightningReading, SensorFamily.REAL_TIME, "lightning detector"),
    SensorSpec("U26_Lepton35", ThermalImageReading, SensorFamily.HIGH_FIDELITY, "thermal camera 160x120"),
    SensorSpec("U27_SPU0410HR5H", AcousticReading, SensorFamily.REAL_TIME, "acoustic (upper)"),
    SensorSpec("U28_SPU0410HR5H", AcousticReading, SensorFamily.REAL_TIME, "acoustic (lower)"),
    SensorSpec("U29_TFEMF", EmfReading, SensorFamily.HIGH_FIDELITY, "AC electromagnetic field"),
    SensorSpec("U30_BMI270", ImuReading, SensorFamily.REAL_TIME, "IMU"),
)

SENSOR_IDS: tuple[str, ...] = tuple(spec.sensor_id for spec in DEVICE_SENSORS)
SENSORS_BY_ID: dict[str, SensorSpec] = {spec.sensor_id: spec for spec in DEVICE_SENSORS}


def sensor_family(sensor_id: str) -> SensorFamily:
    """The prioritisation family of ``sensor_id``; ``KeyError`` for an unknown id."""
    return SENSORS_BY_ID[sensor_id].family
