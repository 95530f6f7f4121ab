"""Seconds per named step of a piece of work (a cycle of the loop): a time profile that adds up.

``StepTimer`` accumulates the wall time spent inside ``with timer.step(name):`` blocks. Steps may nest;
a nested step's time is counted for it alone and not again for the step around it, so the profile's
values add up to the time spent inside steps at all (no double counting, whatever the nesting)::

    timer = StepTimer(histogram=CYCLE_STEP_SECONDS)
    with timer.step("training"):
        with timer.step("bookkeeping"):   # e.g. the model registry call inside training
            ...
    timer.profile()   # {"training": 1.2, "bookkeeping": 0.1}: seconds spent in each, exclusively

Each finished block is also observed, with its exclusive seconds, by the Prometheus histogram given
(label ``step``), so a dashboard sees the same figures as the profile.

Code deep inside a piece of work times itself without being handed the timer: the work binds its timer
(``with timing(timer):``) and a collaborator writes ``with timed(BOOKKEEPING_DATABASE):`` (or decorates a
method with ``@timed(...)``), which times into the bound timer and does nothing when none is bound. The
binding is a context variable: it holds on the thread (and async task) that bound it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from prometheus_client import Histogram

CYCLE_STEP_SECONDS = Histogram(
    "envirosense_cycle_step_seconds",
    "Wall time of one step of an active-learning cycle (exclusive of the steps nested in it), by step.",
    ["step"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0),
)


PROBE_GENERATION = "probe_generation"
PROBE_EVALUATION = "probe_evaluation"
WEAK_SPOT_IDENTIFICATION = "weak_spot_identification"
PRIORITISATION = "prioritisation"
CRAFTING = "crafting"
TARGETED_GENERATION = "targeted_generation"
SELECTION = "selection"
TRAINING = "training"
CANDIDATE_EVALUATION = "candidate_evaluation"
BOOKKEEPING_DATABASE = "bookkeeping.database"
BOOKKEEPING_MODELS = "bookkeeping.models"
BOOKKEEPING_TRACKING = "bookkeeping.tracking"
OTHER = "other"
BOOKKEEPING = (BOOKKEEPING_DATABASE, BOOKKEEPING_MODELS, BOOKKEEPING_TRACKING)
"""The bookkeeping steps: the database (run store, scenario records), the model registry (MLflow versions,
aliases and model files) and experiment tracking (MLflow runs, metrics, artifacts)."""
CYCLE_STEPS = (
    PROBE_GENERATION,
    PROBE_EVALUATION,
    WEAK_SPOT_IDENTIFICATION,
    PRIORITISATION,
    CRAFTING,
    TARGETED_GENERATION,
    SELECTION,
    TRAINING,
    CANDIDATE_EVALUATION,
    *BOOKKEEPING,
    OTHER,
)
"""The steps of a cycle's time profile, in the order they are shown; ``other`` is the cycle's wall time
outside every timed block (small files, summaries, the loop itself)."""


def ordered_profile(seconds: Mapping[str, float]) -> dict[str, float]:
    """``seconds`` per step in the order of ``CYCLE_STEPS`` (steps it does not know last, as given)."""
    known = {step: seconds[step] for step in CYCLE_STEPS if step in seconds}
    return {**known, **{step: value for step, value in seconds.items() if step not in known}}


class _Frame:
    __slots__ = ("excluded", "name", "started")

    def __init__(self, name: str, started: float) -> None:
        self.name = name
        self.started = started
        self.excluded = 0.0


class StepTimer:
    """Accumulates wall seconds per named step; nested steps are counted exclusively.

    Parameters
    ----------
    histogram:
        A Prometheus histogram with one label, ``step``, that observes every finished block's exclusive
        seconds (``None``: no metrics).
    clock:
        Monotonic clock in seconds (``time.perf_counter``; a test may pass its own).

    ``profile()`` returns ``{step: seconds}`` in the order the steps were first entered. Each thread has
    its own nesting; totals are shared, so blocks timed on several threads add up.
    """

    def __init__(self, histogram: Histogram | None = None, clock: Callable[[], float] = time.perf_counter) -> None:
        self.histogram = histogram
        self.clock = clock
        self._totals: dict[str, float] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def _stack(self) -> list[_Frame]:
        stack: list[_Frame] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as step ``name`` (its time minus that of the steps nested in it)."""
        if not name:
            raise ValueError("a step needs a name")
        with self._lock:
            self._totals.setdefault(name, 0.0)  # keeps the order of first entry
        stack = self._stack()
        frame = _Frame(name, self.clock())
        stack.append(frame)
        try:
            yield
        finally:
            stack.pop()
            elapsed = self.clock() - frame.started
            if stack:
                stack[-1].excluded += elapsed
            self.add(name, elapsed - frame.excluded)

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` (≥ 0) to step ``name``, as if a block of that length had run."""
        if seconds < 0:
            raise ValueError(f"seconds must be 0 or more, got {seconds}")
        with self._lock:
            self._totals[name] = self._totals.get(name, 0.0) + seconds
        if self.histogram is not None:
            self.histogram.labels(step=name).observe(seconds)

    def profile(self) -> dict[str, float]:
        """Seconds per step so far, exclusive of nested steps."""
        with self._lock:
            return dict(self._totals)

    @property
    def total(self) -> float:
        """Seconds inside any step (the sum of the profile)."""
        with self._lock:
            return sum(self._totals.values())


_BOUND: ContextVar[StepTimer | None] = ContextVar("envirosense_step_timer", default=None)


@contextmanager
def timing(timer: StepTimer) -> Iterator[StepTimer]:
    """Bind ``timer`` for the block: ``timed`` steps inside it (at any depth) time into it."""
    token = _BOUND.set(timer)
    try:
        yield timer
    finally:
        _BOUND.reset(token)


@contextmanager
def timed(step: str) -> Iterator[None]:
    """Time the block (or, as a decorator, each call) as ``step`` of the bound timer; nothing when none is
    bound. The timer is looked up when the block starts, so a decorated method times into whichever timer
    is bound at call time."""
    timer = _BOUND.get()
    if timer is None:
        yield
        return
    with timer.step(step):
        yield
