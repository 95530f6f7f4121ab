"""The ops tests drive the real loop on the tiny configuration of the loop's own tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "learning"))
