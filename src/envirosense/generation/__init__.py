"""Scenarios → ``MLDataSample`` records → Avro package files in dataset folders.

``MLDataGenerator`` is the entry point; ``iter_samples`` reads a package file or a dataset folder back.
"""

from envirosense.generation.dataset import DatasetManifest, PackageEntry, compute_dataset_id, load_manifest
from envirosense.generation.errors import (
    CorruptPackageError,
    DatasetConflictError,
    GenerationError,
    GeneratorUnavailableError,
    IncompleteDatasetError,
    InvalidRequestError,
    OutputDirectoryError,
    SchedulerUnavailableError,
    UnitFailedError,
)
from envirosense.generation.generator import GenerationReport, MLDataGenerator, UnitEvent
from envirosense.generation.plan import GenerationRequest
from envirosense.generation.reader import (
    check_package,
    iter_package_samples,
    iter_samples,
    read_run_package,
    verify_package,
)
from envirosense.generation.units import GENERATOR_VERSION, GenerationMode, Lineage, WorkUnit, run_unit

__all__ = [
    "GENERATOR_VERSION",
    "CorruptPackageError",
    "DatasetConflictError",
    "DatasetManifest",
    "GenerationError",
    "GenerationMode",
    "GenerationReport",
    "GenerationRequest",
    "GeneratorUnavailableError",
    "IncompleteDatasetError",
    "InvalidRequestError",
    "Lineage",
    "MLDataGenerator",
    "OutputDirectoryError",
    "PackageEntry",
    "SchedulerUnavailableError",
    "UnitEvent",
    "UnitFailedError",
    "WorkUnit",
    "check_package",
    "compute_dataset_id",
    "iter_package_samples",
    "iter_samples",
    "load_manifest",
    "read_run_package",
    "run_unit",
    "verify_package",
]
