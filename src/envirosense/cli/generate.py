"""``envirosense generate``: scenarios → an Avro dataset folder, with a progress bar and a final table."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from envirosense.cli.output import stdout
from envirosense.cli.simulate import unknown_scenario_message
from envirosense.generation import (
    DatasetConflictError,
    GenerationError,
    GenerationMode,
    InvalidRequestError,
    Lineage,
    MLDataGenerator,
    OutputDirectoryError,
    SchedulerUnavailableError,
)
from envirosense.generation.generator import GenerationReport, UnitEvent
from envirosense.schemas import ClassLabel, ScenarioDefinition
from envirosense.simulation import scenario_class
from envirosense.simulation.registry import UnknownScenarioClassError

DEFAULT_INTERVAL_S = 10.0
"""Seconds between samples when neither --interval nor --samples-per-run is given."""

_DEFINITIONS = TypeAdapter(list[ScenarioDefinition] | ScenarioDefinition)


def parse_definitions(text: str, source: str = "definitions") -> list[ScenarioDefinition]:
    """``ScenarioDefinition`` objects from JSON text holding one definition or a list of them;
    ``InvalidRequestError`` names every bad field (``1.specific_params_json: …``)."""
    try:
        loaded = _DEFINITIONS.validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}" for error in exc.errors()
        )
        raise InvalidRequestError(f"{source}: invalid scenario definitions: {problems}") from exc
    return loaded if isinstance(loaded, list) else [loaded]


def load_definitions(path: Path) -> list[ScenarioDefinition]:
    """``parse_definitions`` of a JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRequestError(f"cannot read definitions file {path}: {exc.strerror}") from exc
    return parse_definitions(text, str(path))


def _parse_quotas(quotas: list[str]) -> dict[ClassLabel, int]:
    parsed: dict[ClassLabel, int] = {}
    known = ", ".join(label.value for label in ClassLabel)
    for item in quotas:
        label, _, count = item.partition("=")
        try:
            parsed[ClassLabel(label.strip())] = int(count)
        except ValueError:
            raise InvalidRequestError(f"--quota {item!r}: expected CLASS=COUNT with CLASS one of {known}") from None
    return parsed


def _definitions(scenarios: list[str], definitions_file: Path | None) -> list[ScenarioDefinition]:
    definitions = load_definitions(definitions_file) if definitions_file is not None else []
    for name in scenarios:
        try:
            definitions.append(scenario_class(name)().to_definition())
        except UnknownScenarioClassError as exc:
            raise InvalidRequestError(unknown_scenario_message(name)) from exc
    if not definitions:
        raise InvalidRequestError("give at least one --scenario or a --definitions file")
    return definitions


def _report_table(report: GenerationReport) -> Table:
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    files: Counter[str] = Counter()
    for entry in report.manifest.packages:
        rows[entry.scenario_definition_id].update(entry.class_counts)
        files[entry.scenario_definition_id] += 1
    table = Table(title=f"Dataset {report.dataset_id} in {report.output_dir}")
    for column in ("scenario definition", "files", "samples", "class counts"):
        table.add_column(column, justify="right" if column in ("files", "samples") else "left", overflow="fold")
    for definition_id, counts in rows.items():
        table.add_row(
            definition_id,
            str(files[definition_id]),
            str(sum(counts.values())),
            ", ".join(f"{label} {count}" for label, count in sorted(counts.items())),
        )
    table.add_section()
    table.add_row(
        "total",
        str(len(report.manifest.packages)),
        str(report.total_samples),
        ", ".join(f"{label} {count}" for label, count in report.manifest.class_counts.items()),
    )
    rate = report.total_samples / report.elapsed_seconds if report.elapsed_seconds else 0.0
    table.caption = (
        f"{report.units_written} files written, {report.units_skipped} already present, "
        f"{report.elapsed_seconds:.1f} s ({rate:,.0f} samples/s)"
    )
    return table


def missing_hazard_warnings(report: GenerationReport, definitions: list[ScenarioDefinition]) -> list[str]:
    """One line per hazard scenario (class label other than normal) of which no sample is labelled as a
    hazard: its samples all fall before or after the hazard, e.g. 20 samples 10 s apart in an 1800 s run."""
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in report.manifest.packages:
        labels[entry.scenario_definition_id].update(entry.class_counts)
    warnings = []
    for definition in definitions:
        label = scenario_class(definition.scenario_class_name).class_label
        counts = labels.get(definition.scenario_definition_id, Counter())
        if label is ClassLabel.NORMAL or not counts or set(counts) != {ClassLabel.NORMAL.value}:
            continue
        warnings.append(
            f"{definition.scenario_definition_id}: no {label.value} sample, all {counts.total()} are normal; "
            "the samples miss the hazard's part of each run: spread them over the run (--samples-per-run "
            "without --interval, or --spread-over-duration) or simulate longer (--duration)"
        )
    return warnings


def generate_command(
    output: Annotated[Path, typer.Argument(help="Dataset folder to write (created if missing; rerun to resume).")],
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario class with default parameters (repeatable)."),
    ] = None,
    definitions: Annotated[
        Path | None, typer.Option(help="JSON file with a ScenarioDefinition or a list of them.")
    ] = None,
    mode: Annotated[GenerationMode, typer.Option(help="How samples are chosen.")] = GenerationMode.TRAINING,
    seed: Annotated[int, typer.Option(help="Run seed; every unit's seed derives from it.")] = 0,
    samples_per_run: Annotated[
        int | None,
        typer.Option(help="Samples per run, spread evenly over the run's duration unless --interval is given."),
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Simulated seconds per run (default: the scenario's).")] = None,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between samples (default: 10, or spread; see --samples-per-run).")
    ] = None,
    spread_over_duration: Annotated[
        bool, typer.Option(help="Spread --samples-per-run evenly over each run's duration (ignores --interval).")
    ] = False,
    runs_per_scenario: Annotated[int, typer.Option(help="Runs (files) per scenario.")] = 1,
    quota: Annotated[list[str] | None, typer.Option(help="class_balanced: CLASS=COUNT samples (repeatable).")] = None,
    per_class: Annotated[
        int | None, typer.Option(help="class_balanced: this many samples of every class among the scenarios.")
    ] = None,
    edge_parameters: Annotated[int, typer.Option(help="edge_case: parameters pushed to an edge per run.")] = 3,
    sequence_length: Annotated[int, typer.Option(help="temporal_sequence: window length, timesteps.")] = 12,
    sequence_stride: Annotated[
        int | None, typer.Option(help="temporal_sequence: window spacing, timesteps (default: the length).")
    ] = None,
    weak_spot_id: Annotated[list[str] | None, typer.Option(help="Lineage: weak spot id (repeatable).")] = None,
    cycle_id: Annotated[str | None, typer.Option(help="Lineage: active-learning cycle id.")] = None,
    model_version: Annotated[str | None, typer.Option(help="Lineage: model version that triggered it.")] = None,
    thermal_image: Annotated[bool, typer.Option(help="Store the downsampled thermal image too.")] = False,
    workers: Annotated[int, typer.Option(help="Local worker processes (0: in this process).")] = 1,
    dask_scheduler: Annotated[
        str | None, typer.Option(help="Run on a Dask cluster: tcp://HOST:PORT of its scheduler.")
    ] = None,
    scheduler_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the Dask scheduler and a worker.")
    ] = 10.0,
) -> None:
    """Simulate scenarios into OUTPUT, one Avro package file per run, plus a manifest."""
    err = Console(stderr=True)
    try:
        definition_list = _definitions(scenario or [], definitions)
        quotas: dict[ClassLabel, int] | None = None
        if quota:
            quotas = _parse_quotas(quota)
        if per_class is not None:
            classes = {scenario_class(item.scenario_class_name).class_label for item in definition_list}
            quotas = {**dict.fromkeys(sorted(classes), per_class), **(quotas or {})}
        try:
            lineage = Lineage(
                weak_spot_ids=tuple(weak_spot_id or ()), cycle_id=cycle_id, triggering_model_version=model_version
            )
        except ValidationError as exc:
            raise InvalidRequestError(f"invalid lineage: {exc}") from exc
        generator = MLDataGenerator(
            workers=workers, dask_scheduler=dask_scheduler, scheduler_timeout_seconds=scheduler_timeout
        )
        with Progress(
            TextColumn("[bold]Generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs · {task.fields[samples]} samples"),
            TimeElapsedColumn(),
            console=err,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task("generate", total=None, samples=0)
            samples = 0

            def on_unit(event: UnitEvent) -> None:
                nonlocal samples
                samples += event.sample_count
                progress.update(task, completed=event.units_done, total=event.units_planned, samples=samples)

            report = generator.generate(
                definition_list,
                output,
                seed=seed,
                mode=mode,
                samples_per_run=samples_per_run,
                duration_seconds=duration,
                interval_seconds=interval or DEFAULT_INTERVAL_S,
                spread_over_duration=spread_over_duration or (samples_per_run is not None and interval is None),
                runs_per_scenario=runs_per_scenario,
                class_quotas=quotas,
                edge_parameters=edge_parameters,
                sequence_length=sequence_length,
                sequence_stride=sequence_stride,
                lineage=lineage,
                include_thermal_image=thermal_image,
                progress=on_unit,
            )
    except (InvalidRequestError, OutputDirectoryError, SchedulerUnavailableError, DatasetConflictError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    except GenerationError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    stdout().print(_report_table(report))
    for warning in missing_hazard_warnings(report, definition_list):
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False, soft_wrap=True)
    if report.unclaimed_files:
        err.print(f"[yellow]note:[/yellow] {len(report.unclaimed_files)} .avro files in {output} are not part of it")
