"""The report's figures (matplotlib's object API, no pyplot state); ``png`` encodes one for the page.

Legends sit outside the axes (right of them), so they never cover data; cycle axes have integer ticks.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from envirosense.learning.history import RunHistory
from envirosense.ops.timing import ordered_profile
from envirosense.schemas import ConfusionMatrix


def png(figure: Figure) -> str:
    """``figure`` as a base64 PNG; the bounding box grows to hold a legend outside the axes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _legend_outside(axis: Axes, fontsize: int = 8) -> None:
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=fontsize, frameon=False)


def learning_curve_plot(
    runs: Sequence[RunHistory], target: float | None = None, aubc_range: tuple[float, float] | None = None
) -> Figure:
    """Champion macro-F1 against training samples per run; the target and the AUBC range when given."""
    figure, axis = _curve_axes([(index, run, run.learning_curve()) for index, run in enumerate(runs)], target)
    if aubc_range is not None and aubc_range[1] > aubc_range[0]:
        axis.axvspan(*aubc_range, color="grey", alpha=0.08, label="AUBC range")
    axis.set_xlabel("training samples")
    axis.set_title("Learning curve on the held-out evaluation set")
    _legend_outside(axis)
    return figure


def simulation_curve_plot(runs: Sequence[RunHistory], target: float | None = None) -> Figure | None:
    """Champion macro-F1 against the samples each run simulated so far (its cost); runs that did not record
    ``samples_simulated`` are left out, and None when no run recorded it."""
    curves = [(index, run, curve) for index, run in enumerate(runs) if (curve := run.simulation_curve()) is not None]
    if not curves:
        return None
    figure, axis = _curve_axes(curves, target)
    axis.set_xlabel("samples simulated (initial set, probes, pools, candidates, exploration)")
    axis.set_title("Learning curve against simulation cost")
    _legend_outside(axis)
    return figure


def _curve_axes(
    curves: Sequence[tuple[int, RunHistory, tuple[list[int], list[float]]]], target: float | None
) -> tuple[Figure, Axes]:
    """One line per (index, run, curve), coloured by the run's index so a run keeps its colour in every curve
    figure; the target; the macro-F1 axis."""
    figure = Figure(figsize=(8, 4))
    axis = figure.subplots()
    for index, run, (samples, scores) in curves:
        axis.plot(samples, scores, marker="o", color=f"C{index % 10}", label=f"{run.strategy} ({run.run_id})")
    if target is not None:
        axis.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"target {target:.3f}")
    axis.set_ylabel("macro-F1 (best model so far)")
    axis.grid(alpha=0.3)
    return figure, axis


def per_class_plot(run: RunHistory) -> Figure:
    """F1 of each class per cycle; a class without evaluation samples in a cycle is left out there."""
    figure = Figure(figsize=(8, 4))
    axis = figure.subplots()
    labels = sorted({label for cycle in run.cycles for label in cycle.per_class_f1})
    cycles = [cycle.cycle_index for cycle in run.cycles]
    for index, label in enumerate(labels):
        values = [
            np.nan if label in cycle.absent_classes() else cycle.per_class_f1.get(label, np.nan) for cycle in run.cycles
        ]
        if not np.isnan(values).all():  # a class never in the evaluation set has no line and no legend entry
            axis.plot(cycles, values, marker=".", label=label, color=f"C{index % 10}")
    axis.set_xlabel("cycle")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_ylabel("F1")
    axis.set_ylim(0, 1.02)
    axis.set_title("Per-class F1 per cycle")
    axis.grid(alpha=0.3)
    _legend_outside(axis, fontsize=7)
    return figure


def confusion_plot(first: ConfusionMatrix, last: ConfusionMatrix) -> Figure:
    figure = Figure(figsize=(11, 4.8), layout="constrained")
    axes = figure.subplots(1, 2)
    for axis, matrix, title in ((axes[0], first, "first model"), (axes[1], last, "last model")):
        counts = np.asarray(matrix.counts, dtype=float)
        rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        axis.set_xticks(range(len(matrix.labels)), matrix.labels, rotation=60, ha="right", fontsize=7)
        axis.set_yticks(range(len(matrix.labels)), matrix.labels, fontsize=7)
        for (i, j), value in np.ndenumerate(counts):
            if value:
                colour = "white" if rates[i, j] > 0.5 else "black"
                axis.text(j, i, int(value), ha="center", va="center", fontsize=6, color=colour)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        axis.set_title(f"Confusion, {title} (row-normalised colour)")
    return figure


def weak_spot_plot(run: RunHistory) -> Figure | None:
    counts: Counter[tuple[str, str]] = Counter(
        (spot.sensor_id or "class-level", spot.weak_spot_type.value)
        for cycle in run.cycles
        for spot in cycle.weak_spots
    )
    if not counts:
        return None
    sensors = sorted({sensor for sensor, _ in counts})
    types = sorted({kind for _, kind in counts})
    figure = Figure(figsize=(8, 4))
    axis = figure.subplots()
    bottom = np.zeros(len(sensors))
    for kind in types:
        heights = np.array([counts[(sensor, kind)] for sensor in sensors], dtype=float)
        axis.bar(sensors, heights, bottom=bottom, label=kind)
        bottom += heights
    axis.set_ylabel("weak spots (all cycles)")
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_title("Weak spots per sensor and type")
    axis.tick_params(axis="x", rotation=45, labelsize=7)
    _legend_outside(axis)
    return figure


def time_profile_plot(run: RunHistory) -> Figure | None:
    """Seconds per step of each cycle as stacked bars; None when no cycle recorded its steps."""
    timed = [cycle for cycle in run.cycles if cycle.step_seconds]
    if not timed:
        return None
    steps = list(ordered_profile(dict.fromkeys((step for cycle in timed for step in cycle.step_seconds), 0.0)))
    figure = Figure(figsize=(8, 4))
    axis = figure.subplots()
    cycles = [cycle.cycle_index for cycle in timed]
    bottom = np.zeros(len(timed))
    for step in steps:
        heights = np.array([cycle.step_seconds.get(step, 0.0) for cycle in timed])
        axis.bar(cycles, heights, bottom=bottom, label=step)
        bottom += heights
    axis.set_xlabel("cycle")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_ylabel("wall time, s")
    axis.set_title("Time per cycle and step")
    _legend_outside(axis, fontsize=7)
    return figure
