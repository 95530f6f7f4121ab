"""``envirosense dataset``: inspect and verify generated datasets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from envirosense.cli.errors import did_you_mean, fail
from envirosense.cli.output import print_json, stdout
from envirosense.generation import GenerationError, verify_package
from envirosense.generation.dataset import MANIFEST_NAME, dataset_files, load_manifest
from envirosense.generation.stats import DatasetStats, dataset_stats
from envirosense.schemas import SENSORS_BY_ID

dataset_app = typer.Typer(help="Inspect and verify generated datasets.", no_args_is_help=True)


def _counter_table(title: str, counts: Counter[str], total: int) -> Table:
    table = Table(title=title)
    table.add_column("value", overflow="fold")
    table.add_column("samples", justify="right")
    table.add_column("share", justify="right")
    for value, count in counts.most_common():
        table.add_row(value, str(count), f"{count / total:.1%}" if total else "-")
    return table


def _tables(stats: DatasetStats, sensor: str | None) -> list[Table]:
    summary = Table(title=f"Dataset {stats.path}", show_header=False)
    summary.add_column("what")
    summary.add_column("value", overflow="fold")
    summary.add_row("dataset id", stats.dataset_id or "(no manifest)")
    summary.add_row("files", str(stats.files))
    summary.add_row("samples", str(stats.samples))
    summary.add_row("anomalous samples", str(stats.anomalies))
    summary.add_row("temporal sequences", str(len(stats.sequences)))
    tables = [
        summary,
        _counter_table("Class labels", stats.class_counts, stats.samples),
        _counter_table("Event types", stats.event_types, stats.samples),
    ]
    lineage = Table(title="Lineage")
    for column in ("kind", "value", "samples"):
        lineage.add_column(column, justify="right" if column == "samples" else "left", overflow="fold")
    for (definition_id, version), count in sorted(stats.definitions.items()):
        lineage.add_row("scenario definition", f"{definition_id} v{version}", str(count))
    for kind, counts in (
        ("generation mode", stats.modes),
        ("weak spot", stats.weak_spot_ids),
        ("cycle", stats.cycle_ids),
        ("model version", stats.model_versions),
    ):
        for value, count in sorted(counts.items()):
            lineage.add_row(kind, value, str(count))
    tables.append(lineage)
    ranges = Table(title="Sensor readings (non-null values)")
    for column in ("sensor", "field", "min", "mean", "max", "nulls", "not OK"):
        ranges.add_column(column, justify="left" if column in ("sensor", "field") else "right")
    for (sensor_id, name), observed in stats.ranges.items():
        if sensor is not None and sensor_id != sensor:
            continue
        not_ok = stats.samples - stats.status_counts[sensor_id]["OK"]
        if observed.count:
            ranges.add_row(
                sensor_id,
                name,
                f"{observed.minimum:.4g}",
                f"{observed.mean:.4g}",
                f"{observed.maximum:.4g}",
                str(observed.nulls),
                str(not_ok),
            )
        else:
            ranges.add_row(sensor_id, name, "-", "-", "-", str(observed.nulls), str(not_ok))
    tables.append(ranges)
    return tables


def stats_document(stats: DatasetStats, sensor: str | None = None) -> dict[str, Any]:
    """``stats`` as a JSON-ready mapping (the content of ``dataset stats --json``)."""
    return {
        "path": str(stats.path),
        "dataset_id": stats.dataset_id,
        "files": stats.files,
        "samples": stats.samples,
        "anomalous_samples": stats.anomalies,
        "temporal_sequences": len(stats.sequences),
        "class_counts": dict(stats.class_counts.most_common()),
        "event_types": dict(stats.event_types.most_common()),
        "lineage": {
            "scenario_definitions": [
                {"scenario_definition_id": definition_id, "version": version, "samples": count}
                for (definition_id, version), count in sorted(stats.definitions.items())
            ],
            "generation_modes": dict(stats.modes),
            "weak_spot_ids": dict(stats.weak_spot_ids),
            "cycle_ids": dict(stats.cycle_ids),
            "model_versions": dict(stats.model_versions),
        },
        "readings": [
            {
                "sensor_id": sensor_id,
                "field": name,
                "count": observed.count,
                "nulls": observed.nulls,
                "min": observed.minimum if observed.count else None,
                "mean": observed.mean,
                "max": observed.maximum if observed.count else None,
                "not_ok": stats.samples - stats.status_counts[sensor_id]["OK"],
            }
            for (sensor_id, name), observed in stats.ranges.items()
            if sensor is None or sensor_id == sensor
        ],
    }


def dataset_paths(path: Path) -> list[Path]:
    """The package files of the dataset folder (or the one package file) ``path``; a path that does not
    exist, or a folder with neither a manifest nor package files, ends the command."""
    if not path.exists():
        fail(f"{path} does not exist")
    if not path.is_dir():
        return [path]
    files = dataset_files(path)
    if not files and load_manifest(path) is None:
        fail(
            f"{path} is not a dataset: it holds neither {MANIFEST_NAME} nor .avro package files; "
            f"`envirosense generate {path} --scenario NAME` writes one"
        )
    return files


@dataset_app.command("stats")
def stats_command(
    path: Annotated[Path, typer.Argument(help="Dataset folder (or one package file).")],
    sensor: Annotated[str | None, typer.Option(help="Show the ranges of this sensor id only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Class counts, sensor reading ranges and the lineage summary of a dataset."""
    dataset_paths(path)
    if sensor is not None and sensor not in SENSORS_BY_ID:
        known = ", ".join(SENSORS_BY_ID)
        fail(f"--sensor: unknown sensor id {sensor!r}{did_you_mean(sensor, SENSORS_BY_ID)}; known: {known}")
    try:
        stats = dataset_stats(path)
    except (GenerationError, OSError) as exc:
        fail(str(exc))
    if as_json:
        print_json(stats_document(stats, sensor))
        return
    console = stdout()
    for table in _tables(stats, sensor):
        console.print(table)


@dataset_app.command("verify")
def verify_command(path: Annotated[Path, typer.Argument(help="Dataset folder (or one package file).")]) -> None:
    """Check every package file: complete blocks, valid samples, content hash equal to its name."""
    console = stdout()
    files = dataset_paths(path)
    try:
        for file in files:
            package = verify_package(file)
            console.print(f"ok  {file.name}  {package.sample_count} samples", highlight=False)
    except (GenerationError, OSError) as exc:
        fail(str(exc))
    console.print(f"{len(files)} files verified")
