"""The Python example in docs/sensors.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).parents[3] / "docs" / "sensors.md"


def test_docs_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert blocks, "docs/sensors.md has no python example"
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})
