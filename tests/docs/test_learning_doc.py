"""The Python examples of docs/learning.md run as written (from the repository root)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def test_learning_doc_examples_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "docs" / "learning.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    monkeypatch.chdir(ROOT)
    from envirosense.learning import policy_registry

    monkeypatch.setattr(policy_registry, "_POLICIES", dict(policy_registry._POLICIES))  # the policy example registers
    for block in blocks:
        exec(compile(block, "docs/learning.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "misclassified_region" in printed or "high_uncertainty_sample" in printed
