"""What ``envirosense run`` shows while it works, on a terminal and in a log file."""

from __future__ import annotations

import io
import re

from rich.console import Console

from envirosense.cli.progress import RunProgress, running_step
from envirosense.learning.store import CycleStep


def _events(progress: RunProgress) -> None:
    for done in (40, 80, 120, 160):
        progress.on_event("generation_progress", {"purpose": "initial", "samples_done": done, "samples_planned": 160})
    progress.on_event("cycle_step", {"cycle": 0, "step": "generated"})
    progress.on_event("cycle_done", {"cycle": 0, "macro_f1": 0.4421, "samples": 160})
    progress.on_event("cycle_step", {"cycle": 1, "step": "reviewed"})
    progress.on_event("generation_progress", {"purpose": "variation", "samples_done": 10, "samples_planned": 80})


def test_the_step_shown_is_the_one_now_running() -> None:
    assert running_step(0, CycleStep.GENERATED) == "cycle 0: training the initial model"
    assert running_step(2, CycleStep.REVIEWED) == "cycle 2: generating the cycle's samples"
    assert running_step(2, CycleStep.GENERATED) == "cycle 2: training the candidate model"
    assert running_step(3, CycleStep.STARTED) == "cycle 3: evaluating the champion on a fresh probe set"
    assert running_step(0, CycleStep.STARTED) == "cycle 0: training the initial model"


def test_a_finished_cycle_announces_no_next_cycle() -> None:
    """The loop reports a cycle's start itself; a last cycle's end must not announce one that never runs."""
    out = io.StringIO()
    with RunProgress(Console(file=out, force_terminal=False, width=120)) as progress:
        progress.on_event("cycle_step", {"cycle": 3, "step": "candidate_evaluated"})
        progress.on_event("cycle_done", {"cycle": 3, "macro_f1": 0.5, "samples": 400})
        progress.on_event("cycle_step", {"cycle": 3, "step": "done"})
        progress.on_event("run_complete", {"reason": "max_cycles"})
    lines = [line.split("] ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines[-2:] == ["cycle 3: macro-F1 0.500 on 400 samples", "run complete: max_cycles"]
    assert not any("cycle 4" in line for line in lines)


def test_plain_lines_without_a_terminal() -> None:
    out = io.StringIO()
    with RunProgress(Console(file=out, force_terminal=False, width=120)) as progress:
        _events(progress)
    stamped = out.getvalue().splitlines()
    assert all(re.match(r"\[0:00:0\d\] ", line) for line in stamped), stamped
    lines = [line.split("] ", 1)[1] for line in stamped]
    assert lines[0] == "preparing the workspace and the shared datasets"
    generation = [line for line in lines if line.startswith("  generating initial samples")]
    assert [line.split(",")[0] for line in generation] == [
        f"  generating initial samples: {done}/160" for done in (40, 80, 120, 160)
    ]
    assert all(re.search(r", \d+ s, ETA \d+ s$", line) for line in generation)
    assert "cycle 0: training the initial model" in lines
    assert "cycle 0: macro-F1 0.442 on 160 samples" in lines
    assert "cycle 1: generating the cycle's samples" in lines
    assert not any("\x1b" in line or "━" in line for line in lines)
    assert not any(line.startswith("  generating variation samples") for line in lines)


def test_live_display_on_a_terminal_counts_samples_with_an_eta() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=140)
    with RunProgress(console) as progress:
        _events(progress)
        assert progress.step == "cycle 1: generating the cycle's samples"
        live = progress._progress
        assert live is not None
        tasks = {task.description.strip(): task for task in live.tasks}
        assert tasks["variation samples"].completed == 10
        assert tasks["variation samples"].total == 80
        assert "initial samples" not in tasks
        console.print(live.make_tasks_table(live.tasks))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    assert re.search(r"variation samples ━+ 10/80 · 0:00:0\d · ETA ", text)
    assert re.search(r"cycle 1: generating the cycle's samples · 0:00:0\d", text)
    assert "cycle 0: macro-F1 0.442 on 160 samples" in text
