"""The HTML report of an active-learning run: plots people would rather look at than read.

Learning curve against baselines, per-class F1 per cycle, confusion matrices of the first and last model,
weak spots per sensor and type, the scenarios the loop created with their parameters, and lineage counts.
Plots are PNG (matplotlib's object API, no pyplot state) embedded in one self-contained HTML file.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from jinja2 import Environment, select_autoescape
from matplotlib.figure import Figure

from envirosense.learning.history import RunHistory
from envirosense.schemas import ConfusionMatrix

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EnviroSense run {{ run.run_id }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85rem; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f4f4f4; } img { max-width: 100%; } code { font-size: 0.8rem; }
</style></head><body>
<h1>Active-learning run <code>{{ run.run_id }}</code></h1>
<p>Strategy <b>{{ run.strategy }}</b>, status <b>{{ run.status }}</b>, {{ run.cycles|length }} cycles
(cycle 0 is the initial model). Final macro-F1 <b>{{ "%.3f"|format(final_f1) }}</b> on
{{ final_samples }} training samples.</p>
<h2>Summary</h2>
<table><tr><th>cycle</th><th>samples</th><th>macro-F1</th><th>accuracy</th><th>mean uncertainty</th>
<th>model</th><th>promoted</th><th>weak spots</th><th>scenarios created</th><th>degraded (service down)</th></tr>
{% for c in run.cycles %}<tr><td>{{ c.cycle_index }}</td><td>{{ c.samples_total }}</td>
<td>{{ "%.3f"|format(c.macro_f1) }}</td><td>{{ "%.3f"|format(c.accuracy) }}</td>
<td>{{ "%.3f"|format(c.mean_uncertainty) if c.mean_uncertainty is not none else "–" }}</td>
<td>{{ c.model_version }}</td><td>{{ "yes" if c.promoted else "no" }}</td><td>{{ c.weak_spots|length }}</td>
<td>{{ c.scenarios|length }}</td><td>{{ c.degraded|join("; ") or "–" }}</td></tr>{% endfor %}</table>
{% for title, image in plots %}<h2>{{ title }}</h2><img alt="{{ title }}" src="data:image/png;base64,{{ image }}">
{% endfor %}
<h2>Lineage: where the training samples came from</h2>
<table><tr><th>action</th><th>scenarios</th><th>samples</th></tr>
{% for action, counts in lineage %}<tr><td>{{ action }}</td><td>{{ counts[0] }}</td><td>{{ counts[1] }}</td></tr>
{% endfor %}</table>
<h2>Scenarios created by the loop</h2>
<table><tr><th>cycle</th><th>scenario</th><th>class</th><th>action</th><th>weak spot</th><th>parent</th>
<th>samples</th><th>parameters</th></tr>
{% for cycle, s in scenarios %}<tr><td>{{ cycle }}</td><td><code>{{ s.scenario_definition_id }}</code></td>
<td>{{ s.scenario_class_name }}</td><td>{{ s.action }}</td><td><code>{{ s.weak_spot_id or "" }}</code></td>
<td><code>{{ s.parent_scenario_id or "" }}</code></td><td>{{ s.samples }}</td>
<td><code>{{ params_text(s.params) }}</code></td></tr>{% endfor %}</table>
</body></html>
"""


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def learning_curve_plot(runs: Sequence[RunHistory]) -> str:
    figure = Figure(figsize=(7, 4))
    axis = figure.subplots()
    for run in runs:
        samples, scores = run.learning_curve()
        axis.plot(samples, scores, marker="o", label=f"{run.strategy} ({run.run_id})")
    axis.set_xlabel("training samples")
    axis.set_ylabel("macro-F1 (best model so far)")
    axis.set_title("Learning curve on the held-out evaluation set")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return _png(figure)


def per_class_plot(run: RunHistory) -> str:
    figure = Figure(figsize=(7, 4))
    axis = figure.subplots()
    labels = sorted({label for cycle in run.cycles for label in cycle.per_class_f1})
    cycles = [cycle.cycle_index for cycle in run.cycles]
    for label in labels:
        axis.plot(cycles, [cycle.per_class_f1.get(label, np.nan) for cycle in run.cycles], marker=".", label=label)
    axis.set_xlabel("cycle")
    axis.set_ylabel("F1")
    axis.set_ylim(0, 1.02)
    axis.set_title("Per-class F1 per cycle")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, ncols=2)
    return _png(figure)


def confusion_plot(first: ConfusionMatrix, last: ConfusionMatrix) -> str:
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
                axis.text(
                    j,
                    i,
                    int(value),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if rates[i, j] > 0.5 else "black",
                )
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        axis.set_title(f"Confusion, {title} (row-normalised colour)")
    return _png(figure)


def weak_spot_plot(run: RunHistory) -> str | None:
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
    axis.set_title("Weak spots per sensor and type")
    axis.tick_params(axis="x", rotation=45, labelsize=7)
    axis.legend(fontsize=8)
    return _png(figure)


def write_report(run: RunHistory, path: Path, compare: Sequence[RunHistory] = ()) -> Path:
    """Write the HTML report of ``run`` (with ``compare`` runs on the learning curve) to ``path``."""
    if not run.cycles:
        raise ValueError(f"run {run.run_id} has no completed cycle to report")
    plots = [("Learning curve", learning_curve_plot([run, *compare])), ("Per-class F1", per_class_plot(run))]
    matrices = [cycle.confusion_matrix for cycle in run.cycles if cycle.confusion_matrix is not None]
    if matrices:
        plots.append(("Confusion matrices, first vs last", confusion_plot(matrices[0], matrices[-1])))
    spots = weak_spot_plot(run)
    if spots is not None:
        plots.append(("Weak spots per sensor and type", spots))
    lineage: dict[str, list[int]] = {}
    for cycle in run.cycles:
        for scenario in cycle.scenarios:
            entry = lineage.setdefault(scenario.action, [0, 0])
            entry[0] += 1
            entry[1] += scenario.samples
    environment = Environment(autoescape=select_autoescape(default=True))
    environment.globals["params_text"] = lambda params: html.unescape(json.dumps(params, sort_keys=True))[:400]
    page = environment.from_string(_TEMPLATE).render(
        run=run,
        plots=plots,
        final_f1=run.learning_curve()[1][-1],
        final_samples=run.cycles[-1].samples_total,
        lineage=sorted(lineage.items()),
        scenarios=[(cycle.cycle_index, s) for cycle in run.cycles for s in cycle.scenarios],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(path)
    return path
