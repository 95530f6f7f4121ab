"""``envirosense train``, ``envirosense models …`` and ``envirosense evaluate``: the model side on the command line.

``--run RUN_ID`` selects the models an active-learning run registered (``<prefix>-<run id>``) instead of the
workspace's own ``envirosense-hazard-classifier``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from envirosense.schemas import ModelPerformanceData

if TYPE_CHECKING:
    from envirosense.models.api import ApiBasedModelInterface
    from envirosense.models.evaluation import EvaluationConfig
    from envirosense.models.registry import ModelRegistry

models_app = typer.Typer(help="List, promote and export registered model versions.", no_args_is_help=True)

WorkspaceOption = Annotated[
    Path,
    typer.Option("--workspace", envvar="ENVIROSENSE_WORKSPACE", help="Workspace folder holding the MLflow store."),
]
TrackingUriOption = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        envvar="MLFLOW_TRACKING_URI",
        help="MLflow tracking/registry URI (default: sqlite:///<workspace>/mlflow.db).",
        show_default=False,
    ),
]
RunOption = Annotated[
    str | None,
    typer.Option(
        "--run",
        help="Use the models the active-learning run RUN_ID registered (`envirosense runs` lists the runs).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON only (no table), for scripts.")]
DEFAULT_WORKSPACE = Path("envirosense-workspace")


def _fail(message: str) -> NoReturn:
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _option_error(exc: ValidationError, options: dict[str, str]) -> str:
    """The first validation error, named by the command-line option that set the field."""
    first = exc.errors()[0]
    field = str(first["loc"][0])
    return f"{options.get(field, '--' + field.replace('_', '-'))}: {first['msg']}"


@contextmanager
def _samples_progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def _sample_total(paths: list[Path]) -> int | None:
    from envirosense.generation.dataset import load_manifest

    total = 0
    for path in paths:
        manifest = load_manifest(path) if path.is_dir() else None
        if manifest is None:
            return None
        total += manifest.total_samples
    return total


def _registry(workspace: Path, tracking_uri: str | None, run: str | None = None, *, read: bool = True) -> ModelRegistry:
    """The registry of the workspace (or ``--tracking-uri``), on the run's model with ``run``.

    A command that only reads refuses a workspace without a model store instead of creating one.
    """
    from envirosense.models.registry import ModelRegistry, ModelVersionNotFoundError

    if read and tracking_uri is None and not (workspace / "mlflow.db").is_file():
        _fail(
            f"no model store in workspace {workspace} ({workspace / 'mlflow.db'} does not exist); pass the "
            "--workspace where `envirosense train` or `envirosense run` ran, or --tracking-uri"
        )
    if run is None:
        return ModelRegistry(tracking_uri, workspace=workspace)
    try:
        return ModelRegistry.for_run(run, tracking_uri, workspace=workspace)
    except ModelVersionNotFoundError as exc:
        _fail(str(exc))


def train_command(
    data: Annotated[list[Path], typer.Option("--data", help="Avro dataset folder or file (repeatable).")],
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="Alias(es) to give the new version, e.g. candidate.")
    ] = None,
    model_type: Annotated[
        str, typer.Option(help="random_forest, extra_trees or bagged_hist_gradient_boosting.")
    ] = "random_forest",
    n_estimators: Annotated[int, typer.Option(help="Ensemble members.")] = 100,
    min_samples_leaf: Annotated[int, typer.Option(help="Samples per leaf.")] = 3,
    validation_fraction: Annotated[float, typer.Option(help="Share of scenario runs held out for metrics.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of every random choice in training.")] = 0,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Train a class-weighted ensemble on DATA and register it as a new version."""
    from envirosense.models.training import ModelTrainer, TrainingConfig

    for path in data:
        if not path.exists():
            _fail(f"--data {path} does not exist")
    try:
        config = TrainingConfig(
            model_type=model_type,
            n_estimators=n_estimators,
            min_samples_leaf=min_samples_leaf,
            validation_fraction=validation_fraction,
            random_state=seed,
        )
    except ValidationError as exc:
        _fail(_option_error(exc, {"random_state": "--seed"}))
    try:
        with _samples_progress("Reading training samples", _sample_total(data)) as advance:
            model = ModelTrainer(config).fit(list(data), on_batch=advance)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    info = _registry(workspace, tracking_uri, read=False).register(model, aliases=tuple(alias or ()))
    table = Table(title=f"Registered {info.tag}" + (f" ({', '.join(info.aliases)})" if info.aliases else ""))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in sorted(info.metrics.items()):
        table.add_row(key, f"{value:.4f}" if not float(value).is_integer() else f"{int(value)}")
    table.add_row("training datasets", ", ".join(info.training_dataset_ids))
    table.add_row("classes", ", ".join(info.class_labels))
    Console().print(table)


@models_app.command("list")
def list_command(
    run: RunOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """List every registered version, newest first (of run RUN_ID's model with --run)."""
    registry = _registry(workspace, tracking_uri, run)
    versions = registry.list_versions()
    if as_json:
        typer.echo(json.dumps([info.model_dump(mode="json") for info in versions], indent=2))
        return
    if not versions:
        if run is None:
            _hint_runs(registry)
        typer.echo(f"{registry.model_name} has no versions in {registry.tracking_uri}")
        return
    table = Table(title=f"Registered versions of {registry.model_name}")
    for column in ("version (aliases)", "created (UTC)", "model type", "val. acc.", "val. F1", "data"):
        table.add_column(column, no_wrap=column != "version (aliases)")
    for info in versions:
        table.add_row(
            f"{info.version} ({', '.join(info.aliases)})" if info.aliases else str(info.version),
            info.created_utc.strftime("%Y-%m-%d %H:%M"),
            info.model_type,
            _metric(info.metrics, "validation_accuracy"),
            _metric(info.metrics, "validation_macro_f1_score"),
            str(len(info.training_dataset_ids)),
        )
    table.caption = "val.: on held-out scenario runs; data: datasets trained on (their ids: --json)"
    Console().print(table)


def _hint_runs(registry: ModelRegistry) -> None:
    """Say where the models are when the workspace's own model has none but runs registered some."""
    prefix = f"{registry.model_name}-"
    runs = [name.removeprefix(prefix) for name in registry.model_names() if name.startswith(prefix)]
    if runs:
        Console(stderr=True).print(
            "the active-learning runs of this workspace registered models of their own: "
            f"{', '.join(runs)} (e.g. envirosense models list --run {runs[-1]})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@models_app.command("promote")
def promote_command(
    version: Annotated[int, typer.Argument(help="Version number to make the champion.")],
    alias: Annotated[str, typer.Option(help="Alias to set.")] = "champion",
    run: RunOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Point an alias (champion by default) at VERSION."""
    from envirosense.models.registry import ModelRegistryError

    try:
        _registry(workspace, tracking_uri, run).set_alias(alias, version)
    except (ModelRegistryError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(f"{alias} -> {version}")


@models_app.command("export-mlserver")
def export_command(
    repository: Annotated[Path, typer.Argument(help="MLServer model repository folder.")],
    model: Annotated[str | None, typer.Option("--model", help="Version or alias (default: champion).")] = None,
    run: RunOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Write a model folder (model.joblib, model-settings.json, envirosense-serving.json) for MLServer."""
    from envirosense.models.registry import ModelRegistryError
    from envirosense.models.serving import export_for_mlserver

    try:
        folder = export_for_mlserver(_registry(workspace, tracking_uri, run), model, repository)
    except ModelRegistryError as exc:
        _fail(str(exc))
    typer.echo(str(folder))


def evaluate_command(
    data: Annotated[Path, typer.Option("--data", help="Avro dataset folder or file to evaluate on.")],
    model: Annotated[str | None, typer.Option("--model", help="Version number or alias (default: champion).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the feedback JSON here instead of stdout.")
    ] = None,
    top_k: Annotated[int, typer.Option(help="Uncertain samples to report.")] = 20,
    measure: Annotated[
        str, typer.Option(help="least_confidence, margin, entropy, epistemic, aleatoric or disagreement.")
    ] = "entropy",
    max_misclassified: Annotated[int, typer.Option(help="Cap on reported misclassified samples.")] = 50,
    server_url: Annotated[
        str | None, typer.Option(help="Evaluate through an Open Inference Protocol V2 server instead.")
    ] = None,
    serving_spec: Annotated[
        Path | None, typer.Option(help="envirosense-serving.json of the served model (with --server-url).")
    ] = None,
    run: RunOption = None,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Evaluate a model version on DATA: a summary table, then the full ModelPerformanceData as JSON.

    With --server-url, --model resolves through the registry (champion, aliases, version numbers) when it
    holds the served model; without one, the default is the version the serving spec describes.
    """
    from envirosense.models.api import ModelServerError
    from envirosense.models.evaluation import EvaluationConfig
    from envirosense.models.interface import ModelInterface
    from envirosense.models.local import LocalModelInterface
    from envirosense.models.metrics import absent_classes, absent_classes_warning
    from envirosense.models.registry import ModelRegistryError

    if not data.exists():
        _fail(f"--data {data} does not exist")
    try:
        config = EvaluationConfig(
            top_k_uncertain=top_k,
            uncertainty_measure=measure,
            max_misclassified=max_misclassified,
        )
    except ValidationError as exc:
        _fail(_option_error(exc, {"top_k_uncertain": "--top-k", "uncertainty_measure": "--measure"}))
    with _samples_progress("Evaluating", _sample_total([data])) as advance:
        interface: ModelInterface
        try:
            if server_url is not None:
                interface, model = _server_interface(
                    server_url, serving_spec, config, model, run, workspace, tracking_uri, advance
                )
            else:
                interface = LocalModelInterface(_registry(workspace, tracking_uri, run), config, on_batch=advance)
            performance = interface.get_model_performance_feedback(data, model)
        except (ModelRegistryError, ModelServerError, ValueError, OSError) as exc:
            _fail(str(exc))
    missing = absent_classes(performance)
    if missing:
        present = len(performance.per_class_metrics) - len(missing)
        Console(stderr=True).print(f"[yellow]warning:[/] {absent_classes_warning(missing, present)}", highlight=False)
    if not as_json:
        Console().print(summary_table(performance))
    text = performance.model_dump_json(indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n")
        Console(stderr=True).print(f"feedback written to {output}")


def _server_interface(
    server_url: str,
    serving_spec: Path | None,
    config: EvaluationConfig,
    model: str | None,
    run: str | None,
    workspace: Path,
    tracking_uri: str | None,
    advance: Callable[[int], None],
) -> tuple[ApiBasedModelInterface, str | None]:
    """The interface to a served model, resolving versions through the registry that holds it (if any)."""
    from envirosense.models.api import ApiBasedModelInterface, ServingSpec
    from envirosense.models.registry import ModelRegistry

    if serving_spec is None:
        _fail("--server-url needs --serving-spec (the envirosense-serving.json of the served model)")
    try:
        spec = ServingSpec.read(serving_spec)
    except (OSError, ValueError) as exc:
        _fail(f"--serving-spec: {exc}")
    registered = spec.registered_name
    registry: ModelRegistry | None = None
    if run is not None:
        registry = _registry(workspace, tracking_uri, run)
        if registered and registered != registry.model_name:
            _fail(f"--serving-spec is of {registered}, but --run {run} selects {registry.model_name}")
    elif registered and (tracking_uri is not None or (workspace / "mlflow.db").is_file()):
        registry = ModelRegistry(tracking_uri, workspace=workspace, model_name=registered)
    if registry is not None and not registry.list_versions():
        registry = None
    if registry is None and model is None:
        model = spec.model_version
    interface = ApiBasedModelInterface.from_serving_spec(
        serving_spec, server_url, config, registry=registry, on_batch=advance
    )
    return interface, model


def summary_table(performance: ModelPerformanceData) -> Table:
    """Overall, per-class and per-sensor figures of one evaluation as a rich table."""
    overall = performance.overall_metrics
    table = Table(
        title=f"{performance.model_version_evaluated} on {performance.dataset_identifier}: "
        f"accuracy {overall.accuracy:.3f}, macro F1 {overall.macro_f1_score:.3f}, "
        f"weighted F1 {overall.weighted_f1_score:.3f}, log loss {overall.log_loss:.3f}"
    )
    for column in ("class / sensor", "precision", "recall", "F1", "support", "reliance"):
        table.add_column(column, justify="left" if column == "class / sensor" else "right")
    for label, metrics in performance.per_class_metrics.items():
        table.add_row(
            label,
            f"{metrics.precision:.3f}",
            f"{metrics.recall:.3f}",
            f"{metrics.f1_score:.3f}",
            str(metrics.support),
            "",
        )
    table.add_section()
    for sensor_id, sensor in performance.sensor_specific_metrics.items():
        table.add_row(
            sensor_id,
            "",
            f"acc {sensor.overall_accuracy:.3f}",
            "",
            str(sensor.valid_sample_count),
            f"{sensor.reliance_score:+.3f}",
        )
    table.caption = (
        f"{len(performance.uncertain_samples)} uncertain and {len(performance.misclassified_samples)} misclassified "
        f"samples reported; uncertainty from {performance.uncertainty_source}"
    )
    return table


def _metric(metrics: dict[str, float], key: str) -> str:
    return f"{metrics[key]:.3f}" if key in metrics else "-"
