"""The examples of docs/generation.md run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).parents[2] / "docs" / "generation.md"


def example(kind: str) -> str:
    match = re.search(rf"<!-- example: {kind} -->\n```python\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"no {kind} example in {DOC}"
    return match.group(1)


def test_kept_executor_example_runs(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(
        'if __name__ == "__main__":\n' + "".join(f"    {line}\n" for line in example("kept-executor").splitlines())
    )
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "arcing_event 20" in done.stdout and "cellulose_pyrolysis 20" in done.stdout
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == ["arcing_event", "cellulose_pyrolysis"]
