"""Progress of ``envirosense run``: the step now running, the elapsed time, samples generated out of the
total with an ETA. A live display on a terminal; plain lines, one per step and per quarter of a
generation, when the output is a file or a pipe."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TaskID
from rich.text import Text

from envirosense.learning.store import CycleStep

_NEXT_STEP = {
    CycleStep.STARTED: "evaluating the champion on a fresh probe set",
    CycleStep.EVALUATED: "finding weak spots",
    CycleStep.IDENTIFIED: "turning weak spots into suggestions",
    CycleStep.SUGGESTED: "reviewing suggestions",
    CycleStep.REVIEWED: "generating the cycle's samples",
    CycleStep.GENERATED: "training the candidate model",
    CycleStep.TRAINED: "scoring the candidate on the evaluation set",
    CycleStep.CANDIDATE_EVALUATED: "comparing the candidate with the champion",
}
"""What a cycle does after it recorded a step (the loop reports steps when they finish)."""


def running_step(cycle: int, finished: CycleStep) -> str:
    """The description of the step that runs after ``finished`` in cycle ``cycle`` (``STARTED``: the cycle
    has just begun, or resumes there)."""
    if finished is CycleStep.DONE:
        return f"cycle {cycle}: done"
    if cycle == 0 and finished in (CycleStep.STARTED, CycleStep.GENERATED):
        return "cycle 0: training the initial model"
    return f"cycle {cycle}: {_NEXT_STEP[finished]}"


def _clock(seconds: float | None) -> str:
    return "-:--:--" if seconds is None else str(timedelta(seconds=int(seconds)))


class _LineColumn(ProgressColumn):
    """One line per task, so that narrow terminals crop its end instead of squeezing every column:
    ``cycle 1: finding weak spots · 0:02:13`` for the step, and
    ``  probe samples ━━━━━━━━━━━━━━━━ 60/120 · 0:00:05 · ETA 0:00:04`` for a generation."""

    def __init__(self, bar_width: int = 16) -> None:
        super().__init__()
        self.bar_width = bar_width

    def render(self, task: Task) -> Text:
        elapsed = _clock(task.elapsed)
        if task.total is None:
            return Text.assemble((task.description, "bold"), f" · {elapsed}")
        filled = int(self.bar_width * min(task.completed / task.total, 1.0)) if task.total else 0
        return Text.assemble(
            f"  {task.description} ",
            ("━" * filled, "bar.complete"),
            ("━" * (self.bar_width - filled), "bar.back"),
            f" {int(task.completed)}/{int(task.total)} · {elapsed} · ETA {_clock(task.time_remaining)}",
        )


class RunProgress:
    """Turns the loop's ``on_event(event, fields)`` callbacks into a progress display on ``console``.

    Parameters
    ----------
    console:
        Where to draw (stderr); a live display when it is a terminal, plain lines otherwise.
    plain_every:
        Without a terminal, a generation prints a line each time this share of its samples is done.
    """

    def __init__(self, console: Console, *, plain_every: float = 0.25) -> None:
        self.console = console
        self.live = console.is_terminal
        self.plain_every = plain_every
        self.step = "preparing the workspace and the shared datasets"
        self._progress: Progress | None = None
        self._step_task: TaskID | None = None
        self._samples_task: TaskID | None = None
        self._generation: tuple[str, float, int] | None = None  # (purpose, start, next plain line share)
        self._started = time.monotonic()

    def __enter__(self) -> RunProgress:
        if self.live:
            self._progress = Progress(SpinnerColumn(), _LineColumn(), console=self.console)
            self._progress.__enter__()
            self._step_task = self._progress.add_task(self.step, total=None)
        else:
            self._started = time.monotonic()
            self._plain(self.step)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, error, trace)

    def note(self, text: str) -> None:
        """A line above the live display (or a plain line)."""
        if self._progress is not None:
            self._progress.console.print(text, highlight=False, markup=False)
        else:
            self._plain(text)

    def on_event(self, event: str, fields: Mapping[str, Any]) -> None:
        """The loop's event callback (``ActiveLearningManager(on_event=...)``)."""
        if event == "cycle_step" and fields["step"] != CycleStep.DONE.value:  # cycle_done says it
            self._set_step(running_step(int(fields["cycle"]), CycleStep(fields["step"])))
        elif event == "cycle_done":
            self.note(f"cycle {fields['cycle']}: macro-F1 {fields['macro_f1']:.3f} on {fields['samples']} samples")
        elif event == "generation_progress":
            self._generated(fields)
        elif event == "targeting_failed":
            self.note(f"targeting fell back: {fields['action']}: {fields['error']}")
        elif event == "run_complete":
            self._set_step(f"run complete: {fields['reason']}")

    def _set_step(self, step: str) -> None:
        self.step = step
        self._finish_generation()
        if self._progress is not None and self._step_task is not None:
            self._progress.update(self._step_task, description=step)
        else:
            self._plain(step)

    def _plain(self, line: str) -> None:
        """``[0:01:05] line``: a plain line stamped with the time since the run started."""
        elapsed = int(time.monotonic() - self._started)
        self.console.print(f"[{timedelta(seconds=elapsed)}] {line}", highlight=False, markup=False)

    def _generated(self, fields: Mapping[str, Any]) -> None:
        purpose = str(fields["purpose"])
        done, total = int(fields["samples_done"]), max(int(fields["samples_planned"]), 1)
        if self._generation is None or self._generation[0] != purpose:
            self._finish_generation()
            self._generation = (purpose, time.monotonic(), 1)
            if self._progress is not None:
                self._samples_task = self._progress.add_task(f"{purpose} samples", total=total)
        if self._progress is not None and self._samples_task is not None:
            self._progress.update(self._samples_task, completed=done, total=total)
            if done >= total:
                self._finish_generation()
            return
        name, started, line = self._generation
        if done / total >= min(line * self.plain_every, 1.0):
            elapsed = time.monotonic() - started
            eta = elapsed / done * (total - done) if done else 0.0
            self._plain(f"  generating {name} samples: {done}/{total}, {elapsed:.0f} s, ETA {eta:.0f} s")
            self._generation = (name, started, int(done / total / self.plain_every) + 1)

    def _finish_generation(self) -> None:
        if self._progress is not None and self._samples_task is not None:
            self._progress.remove_task(self._samples_task)
        self._samples_task = None
        self._generation = None
