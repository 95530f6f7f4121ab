"""The examples in docs/simulation.md run as written and name real scenarios."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from envirosense.cli.app import app
from envirosense.simulation import scenario_class, scenario_classes

DOC = Path(__file__).parents[2] / "docs" / "simulation.md"
TEXT = DOC.read_text(encoding="utf-8")


def test_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", TEXT, flags=re.DOTALL)
    assert blocks, "docs/simulation.md has no python example"
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})


def test_cli_example_runs() -> None:
    (command,) = re.findall(r"```bash\nenvirosense (.*?)\n```", TEXT)
    result = CliRunner().invoke(app, command.split(), env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "corona_discharge" in result.output and "sun_heated_metal" in result.output


def test_catalogue_table_lists_every_class_with_its_label_and_category() -> None:
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| (\w+) \|", TEXT, flags=re.MULTILINE)
    assert sorted(name for name, _, _ in rows) == sorted(cls.registry_name() for cls in scenario_classes())
    for name, label, category in rows:
        cls = scenario_class(name)
        assert (label, category) == (cls.class_label.value, cls.category.value)
