"""``ScenarioRunPackage``: the header of one Avro file holding the samples of one scenario run."""

from __future__ import annotations

from pydantic import Field

from envirosense.schemas.base import Record
from envirosense.schemas.scenario_definition import ScenarioDefinition


class ScenarioRunPackage(Record):
    """Provenance of one scenario run: what was simulated, by which code, with which seed.

    It is stored in the Avro file's metadata (key ``envirosense.run_package``) in front of the
    ``MLDataSample`` records it describes.
    """

    avro_name = "ScenarioRunPackage"
    schema_version = "1.0.0"

    package_id: str = Field(description="Content hash of the run's samples (hex digest).")
    scenario_definition: ScenarioDefinition = Field(description="The definition simulated (see record).")
    simulation_engine_version: str = Field(description="Version of envirosense.simulation (semver).")
    generator_version: str = Field(description="Version of envirosense.generation (semver).")
    data_schema_versions: dict[str, str] = Field(description="Avro schema name → schema version (semver).")
    seed: int = Field(ge=0, description="Seed of the work unit (no unit).")
    sample_count: int = Field(ge=0, description="Number of samples in the file (count).")
    sampling_interval_seconds: float = Field(gt=0, description="Time between samples, s.")
    run_metadata: dict[str, str] = Field(
        default_factory=dict, description="Generation mode, lineage and other free key/values (no unit)."
    )
