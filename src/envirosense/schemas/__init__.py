"""The data contracts every part of EnviroSense speaks: Pydantic records and the Avro schemas made from them."""

from envirosense.schemas.base import ClassLabel, DifficultyLevel, Record, ScenarioCategory, SensorStatus
from envirosense.schemas.device import DEVICE_SENSORS, SENSOR_IDS, SENSORS_BY_ID, SensorFamily, sensor_family
from envirosense.schemas.performance import (
    ClassMetrics,
    ConfusionMatrix,
    FeatureContribution,
    MisclassifiedSample,
    ModelPerformanceData,
    OverallMetrics,
    SampleFeaturesSummary,
    SensorMetrics,
    UncertainSample,
)
from envirosense.schemas.readings import READING_MODELS, SensorReading
from envirosense.schemas.run_package import ScenarioRunPackage
from envirosense.schemas.samples import GroundTruthLabels, MLDataSample, SampleMetadata, SensorReadingsMap
from envirosense.schemas.scenario_definition import ScenarioDefinition
from envirosense.schemas.weak_spot import WeakSpot, WeakSpotType

__all__ = [
    "DEVICE_SENSORS",
    "READING_MODELS",
    "SENSORS_BY_ID",
    "SENSOR_IDS",
    "ClassLabel",
    "ClassMetrics",
    "ConfusionMatrix",
    "DifficultyLevel",
    "FeatureContribution",
    "GroundTruthLabels",
    "MLDataSample",
    "MisclassifiedSample",
    "ModelPerformanceData",
    "OverallMetrics",
    "Record",
    "SampleFeaturesSummary",
    "SampleMetadata",
    "ScenarioCategory",
    "ScenarioDefinition",
    "ScenarioRunPackage",
    "SensorFamily",
    "SensorMetrics",
    "SensorReading",
    "SensorReadingsMap",
    "SensorStatus",
    "UncertainSample",
    "WeakSpot",
    "WeakSpotType",
    "sensor_family",
]
