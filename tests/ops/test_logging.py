"""Library code is silent until logging is configured; --log-level also governs MLflow's own logger.

Each case runs in a fresh interpreter: logging configuration is process-wide.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("MLFLOW_LOGGING_LEVEL", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_unconfigured_library_logs_nothing() -> None:
    result = _python(
        "from envirosense.ops.logging import get_logger\n"
        "log = get_logger('envirosense.simulation.sensors', device='U20')\n"
        "log.debug('device_measured', value=1.0)\n"
        "log.bind(cycle=1).warning('cycle_slow')\n"
        "log.error('failed')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_events_reach_the_standard_logging_module_when_only_it_is_configured() -> None:
    result = _python(
        "import logging\n"
        "logging.basicConfig(level=logging.INFO, format='%(name)s %(message)s')\n"
        "from envirosense.ops.logging import get_logger\n"
        "get_logger('envirosense.learning.manager', run_id='r1').bind(cycle=2).info('cycle_step', step='trained')\n"
        "get_logger('envirosense.learning.manager').debug('hidden')\n"
    )
    assert result.stdout == ""
    assert result.stderr.strip() == "envirosense.learning.manager cycle_step run_id='r1' cycle=2 step='trained'"


@pytest.mark.parametrize(("level", "shown"), [("WARNING", False), ("INFO", True)])
def test_mlflow_info_lines_follow_the_configured_level(level: str, shown: bool) -> None:
    result = _python(
        "from envirosense.ops.logging import configure_logging, get_logger\n"
        f"configure_logging('{level}')\n"
        "import logging, mlflow\n"
        "logging.getLogger('mlflow.store.db.utils').info('Creating initial MLflow database tables...')\n"
        "logging.getLogger('alembic.runtime.migration').info('Running upgrade')\n"
        "get_logger('envirosense.x').info('own_event')\n"
    )
    assert result.returncode == 0, result.stderr
    assert ("Creating initial MLflow database tables" in result.stderr) is shown
    if not shown:
        assert "Running upgrade" not in result.stderr
    assert ("own_event" in result.stderr) is shown
    assert result.stdout == ""
