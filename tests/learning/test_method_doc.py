"""The example of docs/learning.md, "The method (`alm`)", prints what the text says it prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "learning.md"


def test_the_method_example_prints_what_the_doc_says(capsys: pytest.CaptureFixture[str]) -> None:
    section = DOC.read_text(encoding="utf-8").split("## The method (`alm`)", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    claimed = re.search(r"prints `(.*?)` and `(.*?)`", section)
    assert block is not None and claimed is not None, "docs/learning.md lost the method example"
    exec(compile(block.group(1), str(DOC), "exec"), {"__name__": "docs_method"})
    assert capsys.readouterr().out.splitlines() == [claimed.group(1), claimed.group(2)]
