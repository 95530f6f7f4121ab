"""Where a training sample came from and which models learned from it: ``trace(store, sample_id)``.

A sample's id is ``<first 24 hex digits of its work unit's key>-<position in the unit>``; the dataset
manifests list every unit key, so the sample is found without decoding any sample but its own. The
chain is then read from what the loop already records:

- the sample's ``sample_metadata``: scenario definition id and version, weak spots, the cycle
  (``RUN_ID:cycle-N``) and the champion whose weakness it answered;
- the package header: the scenario class and parent of the definition simulated;
- the run store: the weak spots and suggestions of that cycle (a policy writes each suggestion's
  samples under ``runs/RUN_ID/cycle-N/SUGGESTION_ID``, the probe's under ``…/probe``), and every
  cycle's training slices and candidate version, so every model trained on the sample is listed.

The same seed gives the same sample ids in every run, so an id may be held by several dataset folders
(two runs with one seed): ``trace`` returns one record per folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from envirosense.generation.dataset import MANIFEST_NAME, load_manifest
from envirosense.generation.reader import iter_package_samples, read_run_package
from envirosense.generation.writer import PACKAGE_SUFFIX
from envirosense.learning.state import CycleRecord, DatasetSlice
from envirosense.learning.store import RunStore

__all__ = ["ModelLink", "SampleLineage", "SuggestionLink", "UnknownSampleError", "WeakSpotLink", "trace"]

ID_PREFIX_LENGTH = 24
"""Hex digits of the unit key that begin a sample id (``generation.units.build_samples``)."""


class UnknownSampleError(LookupError):
    """No dataset of the workspace holds the sample id; the message says how to find sample ids."""


class WeakSpotLink(BaseModel):
    """A weak spot the sample was generated for, as the run store recorded it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weak_spot_id: str
    weak_spot_type: str | None = Field(None, description="None when the run store has no record of the spot.")
    sensor_id: str | None = None
    target_class: str | None = None
    strategy: str | None = Field(None, description="Strategy the spot was routed to.")
    utility: float | None = Field(None, description="Its priority under that strategy, 0–1.")


class SuggestionLink(BaseModel):
    """The suggestion whose application generated the sample."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suggestion_id: str
    weak_spot_id: str | None = Field(None, description="The weak spot it was made for (None: exploration).")
    action: str
    samples: int = Field(description="Samples the suggestion was budgeted (count).")
    status: str
    rationale: str = ""


class ModelLink(BaseModel):
    """One model version: the candidate a cycle trained, in its run's registered model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    cycle_index: int | None = Field(None, ge=0, description="Cycle that trained it (None: not recorded).")
    registered_model: str | None = Field(None, description="MLflow registered model (None: not recorded).")
    version: str
    champion: bool = Field(False, description="Whether the cycle promoted it to champion.")


class SampleLineage(BaseModel):
    """The whole chain of one sample in one dataset folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sample_id: str
    dataset: str = Field(description="Dataset folder holding the sample.")
    file: str = Field(description="Package file (Avro) holding the sample.")
    scenario_definition_id: str
    scenario_definition_version: int = Field(ge=1)
    scenario_class_name: str
    parent_scenario_id: str | None = Field(None, description="The definition it varies or was crafted from.")
    unit_seed: int = Field(ge=0, description="Seed of the work unit that simulated it.")
    run_id: str | None = Field(None, description="Run whose cycle asked for it (None: a shared dataset).")
    cycle_index: int | None = Field(None, ge=0)
    weak_spots: list[WeakSpotLink] = Field(default_factory=list)
    suggestion: SuggestionLink | None = None
    answered_model: ModelLink | None = Field(None, description="The champion whose weakness it answered.")
    trained_by: list[ModelLink] = Field(
        default_factory=list, description="Every candidate trained on a training set holding the sample."
    )


def _parse_cycle_id(cycle_id: str | None) -> tuple[str | None, int | None]:
    """``RUN_ID:cycle-N`` → ``(RUN_ID, N)``; anything else → ``(None, None)``."""
    if not cycle_id or ":cycle-" not in cycle_id:
        return None, None
    run_id, _, index = cycle_id.rpartition(":cycle-")
    return (run_id, int(index)) if index.isdigit() else (None, None)


def _registered_model(config: dict[str, Any], run_id: str) -> str | None:
    """The run's registered model name from its stored configuration (runs stored before the whole
    configuration was recorded do not say)."""
    model = config.get("settings", {}).get("model", {})
    name = model.get("registered_model_name") if isinstance(model, dict) else None
    return f"{name}-{run_id}" if name else None


class _Records:
    """What the run store says about every run, read once per trace."""

    def __init__(self, store: RunStore, datasets: Path | None) -> None:
        self.store = store
        self.cycles: dict[str, list[CycleRecord]] = {}
        self.models: dict[str, str | None] = {}
        for run in store.runs():
            self.cycles[run.run_id] = store.cycles(run.run_id)
            self.models[run.run_id] = _registered_model(run.config, run.run_id)
        folders: list[Path] = []
        for records in self.cycles.values():
            for record in records:
                folders.extend(Path(entry.path) for entry in record.state.datasets or [])
                if record.state.probe_dataset:
                    folders.append(Path(record.state.probe_dataset))
        if datasets is not None and datasets.is_dir():
            folders.extend(folder for folder in sorted(datasets.iterdir()) if folder.is_dir())
        self.folders = list(dict.fromkeys(folder.resolve() for folder in folders))

    def packages(self, folder: Path) -> Iterator[tuple[str, Path]]:
        """``(unit key, package file)`` of every package of ``folder``: from its manifest, else from the
        headers of its Avro files."""
        manifest = load_manifest(folder) if (folder / MANIFEST_NAME).exists() else None
        if manifest is not None:
            for entry in manifest.packages:
                yield entry.unit_key, folder / entry.file_name
            return
        for file in sorted(folder.glob(f"*{PACKAGE_SUFFIX}")):
            yield read_run_package(file).run_metadata.get("unit_key", ""), file

    def holding(self, sample_id: str) -> Iterator[tuple[Path, Path]]:
        """``(dataset folder, package file)`` of every package whose unit the id names."""
        prefix = sample_id.rpartition("-")[0]
        if len(prefix) != ID_PREFIX_LENGTH:
            return
        for folder in self.folders:
            if folder.is_dir():
                for unit_key, file in self.packages(folder):
                    if unit_key[:ID_PREFIX_LENGTH] == prefix and file.exists():
                        yield folder, file

    def example_id(self) -> str | None:
        """One sample id of the workspace, to show what ids look like."""
        for folder in reversed(self.folders):
            if folder.is_dir():
                for unit_key, _ in self.packages(folder):
                    return f"{unit_key[:ID_PREFIX_LENGTH]}-0"
        return None

    def trained_by(self, folder: Path, sample_id: str) -> list[ModelLink]:
        """Every cycle candidate whose training slices (cycles 0…its own) hold the sample of ``folder``."""
        models: list[ModelLink] = []
        for run_id, records in self.cycles.items():
            seen = False
            for record in records:
                seen = seen or any(_holds(entry, folder, sample_id) for entry in record.state.datasets or [])
                version = record.state.candidate_version
                if seen and version is not None:
                    summary = record.state.summary
                    models.append(
                        ModelLink(
                            run_id=run_id,
                            cycle_index=record.cycle_index,
                            registered_model=self.models[run_id],
                            version=version,
                            champion=bool(summary and summary.promoted),
                        )
                    )
        return models

    def suggestion(self, run_id: str, cycle_index: int, folder: Path) -> SuggestionLink | None:
        """The suggestion of that cycle whose folder holds ``folder`` (or, for the probe, the one that
        explores from the probe)."""
        rows = self.store.suggestions(run_id, cycle_index)
        parts = set(folder.parts)
        for row in rows:
            if row["suggestion_id"] in parts or (folder.name == "probe" and row["action"] == "probe"):
                return SuggestionLink(
                    suggestion_id=row["suggestion_id"],
                    weak_spot_id=row["weak_spot_id"],
                    action=row["action"],
                    samples=row["samples"],
                    status=row["status"],
                    rationale=str(row["payload"].get("rationale", "")),
                )
        return None

    def weak_spots(self, run_id: str | None, cycle_index: int | None, ids: list[str]) -> list[WeakSpotLink]:
        recorded: dict[str, dict[str, Any]] = {}
        if run_id is not None and run_id in self.cycles:
            recorded = {row["weak_spot_id"]: row for row in self.store.weak_spots(run_id, cycle_index)}
        links = []
        for weak_spot_id in ids:
            row = recorded.get(weak_spot_id)
            if row is None:
                links.append(WeakSpotLink(weak_spot_id=weak_spot_id))
                continue
            links.append(
                WeakSpotLink(
                    weak_spot_id=weak_spot_id,
                    weak_spot_type=row["weak_spot_type"],
                    sensor_id=row["sensor_id"],
                    target_class=row["spot"].get("target_class"),
                    strategy=row["strategy"],
                    utility=row["utility"],
                )
            )
        return links


def _holds(entry: DatasetSlice, folder: Path, sample_id: str) -> bool:
    """Whether the training slice ``entry`` holds the sample ``sample_id`` of the (resolved) ``folder``."""
    if Path(entry.path).resolve() != folder:
        return False
    return entry.sample_ids is None or sample_id in entry.sample_ids


def _read_sample(file: Path, sample_id: str) -> dict[str, Any] | None:
    return next((s for s in iter_package_samples(file, validate=False) if s["sample_id"] == sample_id), None)


def trace(store: RunStore, sample_id: str, *, workspace: Path | None = None) -> list[SampleLineage]:
    """The lineage of ``sample_id``, one record per dataset folder holding it (see the module docstring).

    Searches every dataset folder the runs of ``store`` recorded (training slices and probes) and, with
    ``workspace``, every folder of ``<workspace>/datasets`` (the shared initial and evaluation sets).
    Raises ``UnknownSampleError`` when none holds it.
    """
    known = _Records(store, workspace / "datasets" if workspace is not None else None)
    records: list[SampleLineage] = []
    for folder, file in known.holding(sample_id):
        sample = _read_sample(file, sample_id)
        if sample is None:
            continue
        meta = sample["sample_metadata"]
        definition = read_run_package(file).scenario_definition
        run_id, cycle_index = _parse_cycle_id(meta.get("cycle_id"))
        champion = meta.get("triggering_model_version")
        suggestion = None
        answered = None
        if run_id not in known.cycles:
            run_id = cycle_index = None
        if run_id is not None and cycle_index is not None:
            suggestion = known.suggestion(run_id, cycle_index, folder)
            if champion is not None:
                answered = _answered(known, run_id, champion)
        records.append(
            SampleLineage(
                sample_id=sample_id,
                dataset=str(folder),
                file=str(file),
                scenario_definition_id=meta["scenario_definition_id"],
                scenario_definition_version=meta["scenario_definition_version"],
                scenario_class_name=definition.scenario_class_name,
                parent_scenario_id=definition.parent_scenario_id,
                unit_seed=meta["seed"],
                run_id=run_id,
                cycle_index=cycle_index,
                weak_spots=known.weak_spots(run_id, cycle_index, list(meta.get("weak_spot_ids") or [])),
                suggestion=suggestion,
                answered_model=answered,
                trained_by=known.trained_by(folder, sample_id),
            )
        )
    if not records:
        example = known.example_id()
        shown = f", e.g. {example!r}" if example else ""
        raise UnknownSampleError(
            f"no sample {sample_id!r} in the {len(known.folders)} dataset folders of this workspace's runs; "
            f"a sample id is its unit key's first {ID_PREFIX_LENGTH} hex digits, '-', its position{shown} "
            "(the `sample_id` of a dataset's samples; feedback JSON files list them as `raw_sample_id`)"
        )
    return records


def _answered(known: _Records, run_id: str, version: str) -> ModelLink:
    """The champion version ``version`` of ``run_id``, with the cycle that trained it."""
    for record in known.cycles.get(run_id, []):
        if record.state.candidate_version == version:
            return ModelLink(
                run_id=run_id,
                cycle_index=record.cycle_index,
                registered_model=known.models.get(run_id),
                version=version,
                champion=True,
            )
    return ModelLink(run_id=run_id, registered_model=known.models.get(run_id), version=version, champion=True)
