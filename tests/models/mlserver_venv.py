"""The ``mlserver`` executable of the separate MLServer virtualenv, for tests that need a real model server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def mlserver_executable() -> Path:
    """The ``mlserver`` of the separate venv, created by ``scripts/setup_mlserver_venv.sh`` if missing."""
    venv = os.environ.get("ENVIROSENSE_MLSERVER_VENV", str(REPO / ".cache" / "mlserver-venv"))
    completed = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup_mlserver_venv.sh"), venv],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return Path(completed.stdout.strip().splitlines()[-1])
