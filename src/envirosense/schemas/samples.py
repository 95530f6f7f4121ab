"""``MLDataSample``: one timestep of one scenario run, every sensor's reading plus ground truth."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from envirosense.schemas.base import ClassLabel, Record
from envirosense.schemas.readings import (
    AcousticReading,
    AnemometerReading,
    EmfReading,
    ImuReading,
    LightningReading,
    ParticulateReading,
    PressureReading,
    TemperatureHumidityReading,
    ThermalImageReading,
    VocArrayReading,
)


class SensorReadingsMap(Record):
    """One typed reading per sensor id; every sensor of the device is present in every sample."""

    avro_name = "SensorReadingsMap"

    U19_TFSGS: VocArrayReading = Field(description="VOC array reading (units per field).")
    U20_SPS30: ParticulateReading = Field(description="Particulate matter reading (units per field).")
    U21_SHT85: TemperatureHumidityReading = Field(description="Inside temperature/humidity (units per field).")
    U22_SHT85: TemperatureHumidityReading = Field(description="Outside temperature/humidity (units per field).")
    U23_BMP388: PressureReading = Field(description="Barometric pressure reading (units per field).")
    U24_FT205: AnemometerReading = Field(description="Anemometer reading (units per field).")
    U25_AS3935: LightningReading = Field(description="Lightning detector reading (units per field).")
    U26_Lepton35: ThermalImageReading = Field(description="Thermal camera summary (units per field).")
    U27_SPU0410HR5H: AcousticReading = Field(description="Upper microphone reading (units per field).")
    U28_SPU0410HR5H: AcousticReading = Field(description="Lower microphone reading (units per field).")
    U29_TFEMF: EmfReading = Field(description="AC magnetic field reading (units per field).")
    U30_BMI270: ImuReading = Field(description="IMU reading (units per field).")


class GroundTruthLabels(Record):
    """What really happened at this timestep, as the simulator knows it."""

    avro_name = "GroundTruthLabels"
    schema_version = "1.0.0"

    event_type: str = Field(
        description="Physical event at this timestep, e.g. cellulose_pyrolysis, arcing_event, "
        "distant_vegetation_smoke, baseline (no unit)."
    )
    is_anomaly: bool = Field(description="True when a hazard is active at this timestep (no unit).")
    anomaly_severity_score: float = Field(ge=0, le=1, description="Hazard severity, 0 (none) to 1 (fraction).")
    scenario_class_name: str = Field(description="Scenario class that produced the sample (no unit).")
    is_confounder: bool = Field(
        default=False, description="True when a normal event resembles a hazard on purpose (no unit)."
    )
    hazard_onset_seconds: float | None = Field(
        default=None, ge=0, description="Scenario time at which the hazard begins, s; null for none."
    )
    source_distance_m: float | None = Field(
        default=None, ge=0, description="Distance from the main source to the device, m; null for none."
    )


class SampleMetadata(Record):
    """Lineage: which definition, seed, weak spot, cycle and model caused this sample."""

    avro_name = "SampleMetadata"

    scenario_definition_id: str = Field(description="Id of the ScenarioDefinition simulated (no unit).")
    scenario_definition_version: int = Field(ge=1, description="Version of that definition (count).")
    seed: int = Field(ge=0, description="Seed of the work unit that produced the sample (no unit).")
    sample_index: int = Field(ge=0, description="Index of the sample within its work unit (count).")
    generation_mode: str = Field(
        default="training", description="training | class_balanced | edge_case | temporal_sequence (no unit)."
    )
    weak_spot_ids: list[str] = Field(default_factory=list, description="Weak spots that caused it (ids).")
    cycle_id: str | None = Field(default=None, description="Active-learning cycle id, if any (no unit).")
    triggering_model_version: str | None = Field(
        default=None, description="Model version whose weak spot triggered generation (no unit)."
    )
    sequence_id: str | None = Field(default=None, description="Temporal window id, if any (no unit).")
    sequence_index: int | None = Field(default=None, ge=0, description="Position inside the window (count).")


class MLDataSample(Record):
    """One training sample: a snapshot of every sensor at one scenario timestep."""

    avro_name = "MLDataSample"
    schema_version = "1.3.0"

    sample_id: str = Field(description="Deterministic sample id (no unit).")
    scenario_id: str = Field(description="ScenarioDefinition id that produced the sample (no unit).")
    scenario_timestep_seconds: float = Field(ge=0, description="Time since scenario start, s.")
    generation_timestamp_utc: datetime = Field(description="Wall-clock time of generation, UTC (µs).")
    sensor_readings_map: SensorReadingsMap = Field(description="Readings of every sensor (see records).")
    ground_truth_labels: GroundTruthLabels = Field(description="Simulator ground truth (see record).")
    extracted_class_label: ClassLabel = Field(description="Training label for this sample (class name).")
    sample_metadata: SampleMetadata = Field(description="Lineage of the sample (see record).")
