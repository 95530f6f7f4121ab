"""What ``envirosense run`` prints at the end (the champion, its held-out metrics, and the commands that
export it for a model server and open the run in the MLflow UI), and the run's HTML report with those
pointers and the parents of the scenarios it created."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from envirosense.learning.history import CycleSummary, RunHistory
from envirosense.learning.settings import RunSettings
from envirosense.models.metrics import absent_classes_warning
from envirosense.ops.tracking import default_tracking_uri, shown_uri, ui_command


def champion_cycle(history: RunHistory) -> CycleSummary | None:
    """The cycle whose model is the run's champion: the last promoted one (None before cycle 0 is done)."""
    promoted = [cycle for cycle in history.cycles if cycle.promoted]
    return promoted[-1] if promoted else None


def pointers(history: RunHistory, settings: RunSettings) -> dict[str, str]:
    """What to do next with the run's champion: title → shell command."""
    workspace = shlex.quote(str(settings.workspace))
    tracking = settings.mlflow_tracking_uri
    where = f" --workspace {workspace}" + (f" --tracking-uri {shlex.quote(shown_uri(tracking))}" if tracking else "")
    return {
        "Export it": f"envirosense models export-mlserver mlserver-repo --run {history.run_id}{where}",
        "Evaluate it": f"envirosense evaluate --run {history.run_id} --data DATA{where}",
        "MLflow UI": ui_command(tracking or default_tracking_uri(Path(settings.workspace))),
    }


def champion_lines(history: RunHistory, settings: RunSettings) -> list[str]:
    """The end-of-run summary as plain lines (empty when the run has no completed cycle)."""
    cycle = champion_cycle(history)
    if cycle is None:
        return []
    model = f"{settings.model.registered_model_name}-{history.run_id}"
    lines = [
        f"Champion: {model}/{cycle.model_version} (cycle {cycle.cycle_index}, {cycle.samples_total} training "
        f"samples): macro-F1 {cycle.macro_f1:.3f}, accuracy {cycle.accuracy:.3f} on the held-out evaluation set",
    ]
    missing = cycle.absent_classes()
    if missing and cycle.confusion_matrix is not None:
        present = len(cycle.confusion_matrix.labels) - len(missing)
        lines.append(f"  note: {absent_classes_warning(missing, present)}")
    lines += [f"{title + ':':13s} {command}" for title, command in pointers(history, settings).items()]
    return lines


def print_champion(history: RunHistory, settings: RunSettings, console: Console | None = None) -> None:
    """Print ``champion_lines`` (to stdout by default)."""
    for line in champion_lines(history, settings):
        (console or Console()).print(line, markup=False, highlight=False, soft_wrap=True)


def write_run_report(
    settings: RunSettings, history: RunHistory, path: Path, compare: Sequence[RunHistory] = ()
) -> Path:
    """``learning.report.write_report`` with the parents of created scenarios (from the workspace's scenario
    database) and the pointers to the MLflow UI and the export command."""
    from envirosense.learning.report import write_report
    from envirosense.learning.scenario_changes import parent_params
    from envirosense.repository import open_repository

    repository = open_repository(settings.database_url, workspace=settings.workspace)
    try:
        parents = parent_params(repository, history)
    finally:
        repository.close()
    return write_report(history, path, compare, parents=parents, pointers=pointers(history, settings))
