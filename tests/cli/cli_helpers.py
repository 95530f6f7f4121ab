"""A workspace with recorded runs and suggestions, made through the real run store (no loop needed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from envirosense.cli.app import app
from envirosense.learning.assembly import Workspace, prepare_database
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.settings import RunSettings
from envirosense.learning.store import RunStore, SuggestionStatus
from envirosense.repository import make_engine


def invoke(*arguments: str, env: dict[str, str] | None = None) -> Result:
    """``envirosense ARGUMENTS`` in this process; stdout and stderr together in ``.output``."""
    return CliRunner().invoke(app, list(arguments), env=env)


def workspace_with_runs(root: Path, run_ids: tuple[str, ...], suggestion_ids: tuple[str, ...] = ()) -> Path:
    """A workspace at ``root`` whose database holds ``run_ids`` and, for the first run, pending
    suggestions ``suggestion_ids``."""
    workspace = Workspace.from_settings(RunSettings(workspace=root))
    prepare_database(workspace).close()
    engine = make_engine(workspace.database_url)
    store = RunStore(engine)
    for run_id in run_ids:
        store.create_run(run_id, "alm", ActiveLearningConfig().model_dump(mode="json"))
    store.save_suggestions(
        run_ids[0],
        1,
        [
            {
                "suggestion_id": suggestion_id,
                "weak_spot_id": None,
                "action": "random",
                "samples": 20,
                "payload": {"rationale": "exploration"},
                "status": SuggestionStatus.PENDING.value,
            }
            for suggestion_id in suggestion_ids
        ],
    )
    engine.dispose()
    return root
