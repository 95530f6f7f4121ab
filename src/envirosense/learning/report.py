"""The HTML report of an active-learning run: does it answer "did it work?"

First the verdict against each baseline (``comparison.compare_runs``: final macro-F1, AUBC, their
differences with 95 % bootstrap intervals over seeds, samples to a target), then the learning curve against
training samples and against simulated samples (what the run paid), per-class F1, confusion matrices of the
first and last model, weak spots per sensor and type, the time profile of each cycle (when recorded), the
scenarios the loop created with the parameters they changed against their parent, lineage counts, and where
to go next (MLflow UI, export). One self-contained HTML file; figures are PNG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, select_autoescape

from envirosense.learning.comparison import Comparison, compare_runs
from envirosense.learning.history import CraftedScenario, RunHistory
from envirosense.learning.report_plots import (
    confusion_plot,
    learning_curve_plot,
    per_class_plot,
    png,
    simulation_curve_plot,
    time_profile_plot,
    weak_spot_plot,
)
from envirosense.learning.scenario_changes import ParameterChange, changes

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EnviroSense run {{ run.run_id }}</title>
<link rel="icon" href="data:,">
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85rem; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f4f4f4; } img { max-width: 100%; } code { font-size: 0.8rem; }
td.num { text-align: right; white-space: nowrap; } .warn { color: #8a5a00; }
ul.changes { margin: 0; padding-left: 1rem; } pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; }
</style></head><body>
<h1>Active-learning run <code>{{ run.run_id }}</code></h1>
<p>Strategy <b>{{ run.strategy }}</b>, status <b>{{ run.status }}</b>, {{ run.cycles|length }} cycles
(cycle 0 is the initial model). Champion: the model of cycle {{ champion.cycle_index }}, macro-F1
<b>{{ "%.3f"|format(champion.macro_f1) }}</b> on {{ champion.samples_total }} training samples{% if
champion.cycle_index != run.cycles[-1].cycle_index %} (the last cycle trained on {{ run.cycles[-1].samples_total }}){%
endif %}.</p>
{% if missing %}<p class="warn">Macro-F1 is over the classes present in the evaluation set; it has no samples of:
{{ missing|join(", ") }}.</p>{% endif %}
<h2>Did it work?</h2>
{% if comparison %}
<p>Against each baseline: the reported strategy's figure minus the baseline's. AUBC is the mean macro-F1 over
{{ "%.0f"|format(comparison.aubc_range[0]) }}–{{ "%.0f"|format(comparison.aubc_range[1]) }} training samples
(the range every run covers); the target is macro-F1 {{ "%.3f"|format(comparison.target_macro_f1) }}.
With several runs of a strategy, figures are means with a 95&nbsp;% bootstrap interval over runs.</p>
<table><tr><th>strategy</th><th>runs</th><th>final macro-F1</th><th>Δ final</th><th>AUBC</th><th>Δ AUBC</th>
<th>samples to target</th></tr>
{% for r in comparison.results %}<tr><td><b>{{ r.strategy }}</b>{% if r.strategy == comparison.reference %}
(this run){% endif %}</td><td>{{ r.run_ids|join(", ") }}</td>
<td class="num">{{ r.final_macro_f1.text() }}</td>
<td class="num">{{ r.final_difference.text(signed=True) if r.final_difference else "–" }}</td>
<td class="num">{{ r.aubc.text() }}</td>
<td class="num">{{ r.aubc_difference.text(signed=True) if r.aubc_difference else "–" }}</td>
<td class="num">{{ r.reach_text() }}</td></tr>{% endfor %}</table>
{% else %}
<p>No baseline given. Run one with the same configuration (e.g. <code>envirosense run --strategy random</code>)
and compare: <code>envirosense report {{ run.run_id }} --compare RANDOM_RUN_ID</code>.</p>
{% endif %}
<h2>Summary</h2>
<p>Training samples are what the cycle's model was trained on; simulated samples are everything the run had
simulated by the end of the cycle (initial set, probes, pools, candidates, exploration), what it paid.</p>
<table><tr><th>cycle</th><th>training samples</th><th>simulated samples</th><th>macro-F1</th><th>accuracy</th>
<th>mean uncertainty</th><th>model</th><th>promoted</th><th>weak spots</th><th>scenarios created</th>
<th>degraded (service down)</th></tr>
{% for c in run.cycles %}<tr><td>{{ c.cycle_index }}</td><td class="num">{{ c.samples_total }}</td>
<td class="num">{{ c.samples_simulated if c.samples_simulated is not none else "–" }}</td>
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
<table><tr><th>cycle</th><th>scenario</th><th>class</th><th>action</th><th>weak spot</th><th>samples</th>
<th>what changed</th></tr>
{% for cycle, s, against, changed, fresh in scenarios %}<tr><td>{{ cycle }}</td>
<td><code>{{ s.scenario_definition_id }}</code></td><td>{{ s.scenario_class_name }}</td><td>{{ s.action }}</td>
<td><code>{{ s.weak_spot_id or "" }}</code></td>
<td class="num">{{ s.samples }}</td><td>{% if fresh %}{{ against }}<details><summary>{{ changed|length }}
parameters</summary><ul class="changes">{% for change in changed %}<li><code>{{ change.value_text() }}</code></li>
{% endfor %}</ul></details>{% else %}{{ against }}{% if changed %}<ul class="changes">{% for change in changed %}
<li><code>{{ change.text() }}</code></li>{% endfor %}</ul>{% else %}: nothing{% endif %}{% endif %}
</td></tr>{% endfor %}</table>
{% if pointers %}<h2>Next steps</h2>
{% for what, command in pointers.items() %}<p>{{ what }}:</p><pre>{{ command }}</pre>{% endfor %}{% endif %}
</body></html>
"""


def _scenario_rows(
    run: RunHistory, parents: Mapping[str, Mapping[str, Any]]
) -> list[tuple[int, CraftedScenario, str, list[ParameterChange], bool]]:
    """Per created scenario: what it is compared against, the changes, and whether it was drawn afresh (no
    parent to compare with: its parameters are listed folded, against nothing)."""
    rows = []
    for cycle in run.cycles:
        for scenario in cycle.scenarios:
            parent = scenario.parent_scenario_id
            if parent is not None and parent in parents:
                changed = changes(scenario.scenario_class_name, scenario.params, parents[parent])
                rows.append((cycle.cycle_index, scenario, f"against parent {parent}", changed, False))
                continue
            drawn = "drawn afresh" if parent is None else f"parent {parent} not found"
            every = changes(scenario.scenario_class_name, scenario.params, {})
            rows.append((cycle.cycle_index, scenario, drawn, every, True))
    return rows


def write_report(
    run: RunHistory,
    path: Path,
    compare: Sequence[RunHistory] = (),
    *,
    parents: Mapping[str, Mapping[str, Any]] | None = None,
    pointers: Mapping[str, str] | None = None,
    target: float | None = None,
    rng: np.random.Generator | None = None,
) -> Path:
    """Write the HTML report of ``run`` to ``path`` (atomically) and return ``path``.

    ``compare``: baseline runs (any number per strategy; several seeds give intervals). ``parents``:
    parameters of the parent scenarios (``scenario_changes.parent_params``), else created scenarios are
    shown against their class defaults. ``pointers``: what to do next, title → shell command.
    ``target``: the macro-F1 of "samples to target" (default: ``comparison.default_target``).
    ``rng``: the bootstrap's generator (default seeded 0, so a report is reproducible).
    """
    if not run.cycles:
        raise ValueError(f"run {run.run_id} has no completed cycle to report")
    comparison: Comparison | None = None
    if compare:
        comparison = compare_runs(run, compare, rng or np.random.default_rng(0), target=target)
    aubc_range = comparison.aubc_range if comparison else None
    curve = learning_curve_plot(
        [run, *compare], comparison.target_macro_f1 if comparison else target, aubc_range=aubc_range
    )
    figures = [("Learning curve", curve)]
    cost = simulation_curve_plot([run, *compare], comparison.target_macro_f1 if comparison else target)
    if cost is not None:
        figures.append(("Learning curve against simulated samples", cost))
    figures.append(("Per-class F1", per_class_plot(run)))
    matrices = [cycle.confusion_matrix for cycle in run.cycles if cycle.confusion_matrix is not None]
    if matrices:
        figures.append(("Confusion matrices, first vs last", confusion_plot(matrices[0], matrices[-1])))
    figures += [
        (title, figure)
        for title, figure in (
            ("Weak spots per sensor and type", weak_spot_plot(run)),
            ("Time per cycle and step", time_profile_plot(run)),
        )
        if figure is not None
    ]
    lineage: dict[str, list[int]] = {}
    for cycle in run.cycles:
        for scenario in cycle.scenarios:
            entry = lineage.setdefault(scenario.action, [0, 0])
            entry[0] += 1
            entry[1] += scenario.samples
    page = (
        Environment(autoescape=select_autoescape(default=True))
        .from_string(_TEMPLATE)
        .render(
            run=run,
            comparison=comparison,
            missing=run.cycles[-1].absent_classes(),
            plots=[(title, png(figure)) for title, figure in figures],
            champion=next((c for c in reversed(run.cycles) if c.promoted), max(run.cycles, key=lambda c: c.macro_f1)),
            lineage=sorted(lineage.items()),
            scenarios=_scenario_rows(run, parents or {}),
            pointers=pointers or {},
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(path)
    return path
