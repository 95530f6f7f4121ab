"""Sample efficiency: does targeted simulation teach the model faster than simulating at random?

Runs the loop with each strategy (``alm`` and the baselines ``random``, ``pool-margin``,
``pool-margin-balanced``, ``pool-margin-matched``, ``cluster-margin``) for several seeds on the same
initial-set recipe, per-cycle budget and fixed held-out evaluation set, then reports per strategy, against
two axes, the training samples and the simulated samples (everything the run simulated: initial set,
probes, pools, candidates):

- the learning curve (macro-F1 of the best model so far), averaged over seeds;
- the area under it (AUBC: trapezoid over the axis, divided by the length of the range every run covers,
  so 1.0 is perfect);
- the samples needed to reach the target macro-F1 (linear interpolation; "not reached" counts as ∞);
- bootstrap 95 % confidence intervals (over seeds) of the AUBC and of its paired differences to ``random``
  and to ``pool-margin``, and paired ones of the samples-to-target ratios to them (``bootstrap_reach_ratio``);
- alm's samples-to-target ratio to pool-margin at 80–100 % of the target (``ratio_by_target``);
- the simulation cost per cycle and the wall time per run;
- per cycle, the quality of the new data: hit rate (share of new training samples the pre-cycle champion
  gets wrong or separates by a top-two margin below ``UNCERTAIN_MARGIN``), and for the scenarios a cycle
  created, parameter-space coverage (share of each parameter's deciles reached, per scenario class) and
  diversity (mean pairwise distance of same-class parameter vectors scaled to [0, 1]).

Two held-out evaluation sets score every run, both drawn from their own seeds and never stored in the
repository (ALM chooses scenarios only from per-cycle probe sets): ``uniform`` (classes and parameters
uniformly, as training draws them) and ``low-intensity`` (weak, distant hazards among many confounders,
``learning.sources.low_intensity_definitions``). The second scores, after the run, the same champion each
cycle picked on the first, so it never influences the run. So does a third with ``--overheat-cell`` (it adds
about 15 % to a quick run's time): ``overheat-cell``, only ``equipment_overheat`` runs drawn inside issue 15's
target cell (``task_difficulty.TARGET_CELL``: load ≥ 0.6, wind ≤ 3 m/s, developed excess rise ≥ 15 °C). It
gives each champion's ``equipment_overheat`` recall there (the share of the set's overheat-labelled samples
named so; pre-onset samples are labelled normal and do not count) and its alarm share (flagged as any
hazard), and the summary their first and last champion's means.

``pool-margin-matched`` gets, on each seed, the samples per cycle that seed's ``alm`` run simulated on
average (measured; ``--matched-simulation`` sets it when alm does not run in the same invocation).

    python benchmarks/sample_efficiency.py --quick --check    # CI-sized regression check (ALM > random)
    python benchmarks/sample_efficiency.py --seeds 10         # the figures in BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).resolve().parent))

from envirosense.generation import MLDataGenerator
from envirosense.learning.assembly import Workspace, open_run, shared_dataset
from envirosense.learning.comparison import aubc, bootstrap_mean, samples_to_reach
from envirosense.learning.config import ActiveLearningConfig
from envirosense.learning.history import RunHistory
from envirosense.learning.manager import ActiveLearningManager
from envirosense.learning.policy_registry import policy_names
from envirosense.learning.settings import RunSettings
from envirosense.learning.sources import DefinitionDraw, drawn_definition, low_intensity_definitions
from envirosense.models.interface import ModelInterface
from envirosense.ops.logging import configure_logging
from envirosense.schemas import ClassLabel, ConfusionMatrix, ScenarioDefinition
from envirosense.simulation.parameters import flatten_params, param_ranges
from envirosense.simulation.registry import scenario_class
from envirosense.simulation.scenarios.electrical import EquipmentOverheatScenario
from task_difficulty import TARGET_CELL, cell_params

STRATEGIES = ("alm", "random", "pool-margin", "pool-margin-balanced", "pool-margin-matched", "cluster-margin")
BALANCED_POOL = "pool-margin-balanced"
"""Margin sampling from alm's label-balanced pool: the table pairs every strategy's AUBC with it as well."""
AXES = {"samples": "training samples", "simulated": "simulated samples"}
EVALUATION_SETS = ("uniform", "low-intensity")
OVERHEAT_CELL = "overheat-cell"
"""The run records' key of the target-cell set's scores (absent in runs stored before it existed)."""
OVERHEAT = ClassLabel.EQUIPMENT_OVERHEAT.value
UNCERTAIN_MARGIN = 0.2
"""A new sample counts as a hit when the pre-cycle champion gets it wrong or its top-two margin is below this."""


SAMPLES_PER_RUN = 10


EVALUATION_SAMPLES = 1500
EVALUATION_SEED = 7
"""Size and seed of every evaluation set unless ``--evaluation-samples`` / ``--evaluation-seed`` say otherwise."""


def settings_for(
    workspace: Path,
    strategy: str,
    seed: int,
    quick: bool,
    simulation_per_cycle: int | None = None,
    evaluation: tuple[int, int] = (EVALUATION_SAMPLES, EVALUATION_SEED),
) -> RunSettings:
    """The benchmark's run settings; ``simulation_per_cycle`` is pool-margin-matched's simulation budget,
    ``evaluation`` the evaluation sets' (samples, seed)."""
    budget: dict[str, Any] = (
        {"samples_per_cycle": 80, "probe_samples": 200, "min_samples_per_spot": 10}
        if quick
        else {"samples_per_cycle": 250, "probe_samples": 500, "min_samples_per_spot": 20}
    )
    budget |= {"samples_per_scenario_run": SAMPLES_PER_RUN, "simulation_samples_per_cycle": simulation_per_cycle}
    return RunSettings.model_validate(
        {
            "workspace": workspace,
            "model": {"n_estimators": 50 if quick else 80},
            "generation": {"workers": 2},
            "datasets": {
                "initial_samples": 200 if quick else 300,
                "evaluation_samples": evaluation[0],
                "initial_seed": 1000 + seed,
                "evaluation_seed": evaluation[1],
            },
            "active_learning": {
                "strategy": strategy,
                "seed": seed,
                "pool_factor": 3 if quick else 5,
                "budget": budget,
                "stopping": {
                    "max_cycles": 3 if quick else 5,
                    "target_macro_f1": None,
                    "plateau_cycles": None,
                },
            },
        }
    )


def bootstrap_ci(values: np.ndarray, rng: np.random.Generator, rounds: int = 2000) -> tuple[float, float]:
    estimate = bootstrap_mean(values, rng, rounds)
    return estimate.low, estimate.high


def mean_with_ci(values: np.ndarray, rng: np.random.Generator) -> list[float]:
    """``[mean, low, high]``: the mean of ``values`` and its bootstrap 95 % interval (as stored in the JSON)."""
    return [float(values.mean()), *bootstrap_ci(values, rng)]


def run_one(
    root: Path,
    strategy: str,
    seed: int,
    quick: bool,
    overrides: dict[str, Any],
    label: str,
    simulation_per_cycle: int | None = None,
    evaluation: tuple[int, int] = (EVALUATION_SAMPLES, EVALUATION_SEED),
    overheat_cell: bool = False,
) -> dict[str, Any]:
    """Run one strategy for one seed; returns its curves on both evaluation sets (against training and
    simulated samples), its wall time and per-cycle data quality, and with ``overheat_cell`` its champions'
    scores on the overheat-cell set."""
    settings = settings_for(root, strategy, seed, quick, simulation_per_cycle, evaluation)
    if overrides:
        learning = settings.active_learning.model_dump()
        for dotted, value in overrides.items():
            node = learning
            *parents, leaf = dotted.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = value
        settings = settings.model_copy(update={"active_learning": ActiveLearningConfig.model_validate(learning)})
    with open_run(settings, f"{label}-s{seed}") as manager:
        started = time.perf_counter()
        history = manager.run()
        seconds = time.perf_counter() - started
    samples, scores = history.learning_curve()
    champions = champion_after_each_cycle(history)
    second = held_out_set(settings, "low-intensity", low_intensity_definitions)
    per_class = {cycle.model_version: cycle.per_class_f1 for cycle in history.cycles}
    scorer = manager.scoring_interface
    on_second = {
        version: scorer.get_model_performance_feedback(str(second), version).overall_metrics.macro_f1_score
        for version in sorted(set(champions))
    }
    record: dict[str, Any] = {
        "seed": seed,
        "evaluation": list(evaluation),
        "samples": samples,
        "simulated": [int(cycle.samples_simulated or 0) for cycle in history.cycles],
        "seconds": seconds,
        "uniform": scores,
        "low-intensity": [on_second[version] for version in champions],
        "per_class_f1": [per_class[version] for version in champions],
        "quality": data_quality(manager, history, champions),
    }
    if overheat_cell:
        record[OVERHEAT_CELL] = overheat_cell_scores(
            scorer, held_out_set(settings, OVERHEAT_CELL, overheat_cell_definitions), champions
        )
    return record


def evaluation_of(record: dict[str, Any]) -> tuple[int, int]:
    """The (samples, seed) of the evaluation sets a stored run was scored on (runs stored before the
    evaluation sets could be chosen used the defaults)."""
    samples, seed = record.get("evaluation", (EVALUATION_SAMPLES, EVALUATION_SEED))
    return int(samples), int(seed)


def held_out_set(settings: RunSettings, name: str, distribution: DefinitionDraw) -> Path:
    """An evaluation set besides the run's own (``evaluation-<name>``, the same size and seed, drawn from
    ``distribution``), generated once per workspace and never stored in the repository."""
    data = settings.datasets
    return shared_dataset(
        MLDataGenerator(workers=settings.generation.workers),
        None,
        Workspace.from_settings(settings),
        f"evaluation-{name}",
        data.evaluation_samples,
        data.evaluation_seed,
        settings.active_learning.budget.samples_per_scenario_run,
        distribution=distribution,
    )


def overheat_cell_definitions(
    rng: np.random.Generator, count: int, id_prefix: str, *, tags: tuple[str, ...] = ()
) -> list[ScenarioDefinition]:
    """``count`` ``equipment_overheat`` definitions drawn inside issue 15's target cell
    (``task_difficulty.cell_params``), ids ``<id_prefix>-0000``…; a ``learning.sources.DefinitionDraw``."""
    return [
        drawn_definition(
            EquipmentOverheatScenario(cell_params(rng, TARGET_CELL)), f"{id_prefix}-{index:04d}", (OVERHEAT_CELL, *tags)
        )
        for index in range(count)
    ]


def overheat_cell_scores(scorer: ModelInterface, cell_set: Path, champions: list[str]) -> dict[str, list[float]]:
    """Each champion's ``equipment_overheat`` recall on ``cell_set`` and its alarm share there (both 0–1,
    NaN when the set holds no overheat-labelled sample; one per cycle, like ``champions``), each distinct
    version scored once."""
    scores: dict[str, tuple[float, float]] = {}
    for version in sorted(set(champions)):
        feedback = scorer.get_model_performance_feedback(str(cell_set), version)
        if feedback.confusion_matrix is None:
            raise ValueError(f"the feedback on {cell_set} for {version} holds no confusion matrix")
        overheat = feedback.per_class_metrics.get(OVERHEAT)
        recall = overheat.recall if overheat is not None and overheat.support else math.nan
        scores[version] = (recall, alarm_share(feedback.confusion_matrix))
    return {
        "recall": [scores[version][0] for version in champions],
        "alarm": [scores[version][1] for version in champions],
    }


def cell_progress(record: dict[str, Any]) -> str:
    """The overheat-cell part of a run's progress line; empty when the run was not scored on it."""
    if OVERHEAT_CELL not in record:
        return ""
    scores = record[OVERHEAT_CELL]
    return (
        f" overheat-cell recall {[round(v, 3) for v in scores['recall']]}"
        f" alarm {[round(v, 3) for v in scores['alarm']]}"
    )


def alarm_share(matrix: ConfusionMatrix, label: str = OVERHEAT) -> float:
    """Share (0–1) of the samples of true ``label`` predicted as any class but ``normal``; NaN without any."""
    row = matrix.counts[matrix.labels.index(label)]
    total = sum(row)
    if total == 0:
        return math.nan
    normal = ClassLabel.NORMAL.value
    called_normal = row[matrix.labels.index(normal)] if normal in matrix.labels else 0
    return (total - called_normal) / total


def champion_after_each_cycle(history: RunHistory) -> list[str]:
    """The champion's model version after each cycle (the last promoted candidate so far)."""
    champions: list[str] = []
    for cycle in history.cycles:
        champions.append(cycle.model_version if cycle.promoted or not champions else champions[-1])
    return champions


def data_quality(manager: ActiveLearningManager, history: RunHistory, champions: list[str]) -> list[dict[str, Any]]:
    """Per cycle ≥ 1: hit rate of its new training samples under the pre-cycle champion, their labels, and
    coverage and diversity of the scenarios it created (see the module docstring)."""
    states = {record.cycle_index: record.state for record in manager.store.cycles(manager.run_id)}
    rows = []
    for cycle in history.cycles[1:]:
        hits = total = 0
        labels: Counter[str] = Counter()
        for entry in states[cycle.cycle_index].datasets or []:
            new, _ = entry.load()
            predictions = manager.model_interface.predict_proba(new, champions[cycle.cycle_index - 1])
            hits += int(np.sum(predictions.wrong() | (predictions.margins() < UNCERTAIN_MARGIN)))
            total += len(predictions.sample_ids)
            labels.update(predictions.labels)
        coverage, diversity = parameter_spread(cycle.scenarios)
        rows.append(
            {
                "cycle": cycle.cycle_index,
                "hit_rate": hits / total if total else math.nan,
                "labels": dict(labels),
                "coverage": coverage,
                "diversity": diversity,
                "scenarios": len(cycle.scenarios),
            }
        )
    return rows


def parameter_spread(scenarios: list[Any]) -> tuple[float, float]:
    """(coverage, diversity) of ``scenarios``' numeric parameters, each scaled to [0, 1] over its declared
    range: coverage is the mean share of the 10 deciles reached per (class, parameter); diversity the mean
    pairwise distance between same-class vectors, divided by √(parameters)."""
    by_class: dict[str, list[dict[str, Any]]] = {}
    for scenario in scenarios:
        by_class.setdefault(scenario.scenario_class_name, []).append(flatten_params(scenario.params))
    coverages: list[float] = []
    distances: list[float] = []
    for name, params in by_class.items():
        ranges = {
            path: declared
            for path, declared in param_ranges(scenario_class(name).params_model).items()
            if declared.choices is None and declared.upper != declared.lower and path in params[0]
        }
        if not ranges:
            continue
        scaled = np.array(
            [
                [
                    (float(p[path]) - float(r.lower or 0)) / (float(r.upper or 0) - float(r.lower or 0))
                    for path, r in ranges.items()
                ]
                for p in params
            ]
        ).clip(0, 1)
        deciles = np.minimum((scaled * 10).astype(int), 9)
        coverages.extend(len(set(deciles[:, j])) / 10 for j in range(scaled.shape[1]))
        if len(scaled) > 1:
            gaps = np.linalg.norm(scaled[:, None, :] - scaled[None, :, :], axis=2) / math.sqrt(scaled.shape[1])
            distances.append(float(gaps[np.triu_indices(len(scaled), 1)].mean()))
    return (float(np.mean(coverages)) if coverages else math.nan, float(np.mean(distances)) if distances else math.nan)


Runs = dict[str, list[dict[str, Any]]]
"""Label → one ``run_one`` record per seed."""


def plot(runs: Runs, path: Path) -> None:
    """Learning curves on both evaluation sets (mean and range over seeds), the uniform set's against
    simulated samples (mean over seeds on both axes), and the hit rate per cycle."""
    figure = Figure(figsize=(17, 4.2), layout="constrained")
    axes = figure.subplots(1, 4)
    for label, records in runs.items():
        samples = np.asarray(records[0]["samples"], dtype=float)
        for axis, evaluation in zip(axes[:2], EVALUATION_SETS, strict=True):
            scores = np.asarray([record[evaluation] for record in records], dtype=float)
            axis.plot(samples, scores.mean(axis=0), marker="o", label=label)
            axis.fill_between(samples, scores.min(axis=0), scores.max(axis=0), alpha=0.12)
        if all("simulated" in record for record in records):
            simulated = np.asarray([record["simulated"] for record in records], dtype=float).mean(axis=0)
            scores = np.asarray([record["uniform"] for record in records], dtype=float)
            axes[2].plot(simulated, scores.mean(axis=0), marker="o", label=label)
        hits = np.asarray([[row["hit_rate"] for row in record["quality"]] for record in records], dtype=float)
        axes[3].plot(samples[1:], hits.mean(axis=0), marker="o", label=label)
    for axis, evaluation in zip(axes[:2], EVALUATION_SETS, strict=True):
        axis.set_title(f"{evaluation} evaluation set")
        axis.set_xlabel("training samples")
        axis.set_ylabel("macro-F1 of the champion")
    axes[2].set_title("uniform set, against simulation cost")
    axes[2].set_xlabel("simulated samples (initial set, probes, pools, candidates)")
    axes[2].set_ylabel("macro-F1 of the champion")
    axes[3].set_title("hit rate of each cycle's new samples")
    axes[3].set_xlabel("training samples after the cycle")
    axes[3].set_ylabel("wrong or uncertain under the pre-cycle champion")
    for axis in axes:
        axis.grid(alpha=0.3)
    axes[0].legend()
    figure.suptitle(f"Sample efficiency, mean and range over {len(next(iter(runs.values())))} seeds")
    figure.savefig(path, dpi=100)


def plot_per_class(runs: Runs, path: Path) -> None:
    """Per-class F1 of the champion on the uniform set against training samples, one panel per class."""
    classes = sorted(
        {label for records in runs.values() for r in records for row in r["per_class_f1"] for label in row}
    )
    columns = 4
    figure = Figure(figsize=(13, 3.0 * math.ceil(len(classes) / columns)), layout="constrained")
    axes = figure.subplots(math.ceil(len(classes) / columns), columns, squeeze=False).ravel()
    for axis, label in zip(axes, classes, strict=False):
        for name, records in runs.items():
            samples = np.asarray(records[0]["samples"], dtype=float)
            scores = np.asarray([[row.get(label, np.nan) for row in r["per_class_f1"]] for r in records], dtype=float)
            axis.plot(samples, np.nanmean(scores, axis=0), marker=".", label=name)
        axis.set_title(label)
        axis.set_ylim(0, 1)
        axis.grid(alpha=0.3)
    for axis in axes[len(classes) :]:
        axis.set_visible(False)
    axes[0].legend(fontsize=7)
    figure.suptitle("Per-class F1 of the champion (uniform evaluation set) against training samples, mean over seeds")
    figure.savefig(path, dpi=90)


def table(
    runs: Runs,
    evaluation: str,
    target: float | None,
    rng: np.random.Generator,
    axis: str = "samples",
    over: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Print and return, on one evaluation set against one ``axis`` (``AXES``), the AUBC (bootstrap CI),
    its paired differences to random and to pool-margin (CI), the samples to target, and their median's
    ratio to random's and pool-margin's (paired bootstrap CI where both medians are finite).

    The AUBC range is the one every run covers, or with ``over`` the one the runs of those labels cover:
    strategies whose runs end before it are left out (on the simulated axis, the cheap ones)."""
    labels = [label for label, records in runs.items() if all(evaluation in r and axis in r for r in records)]
    if not labels:
        print(f"\n{evaluation} evaluation set against {AXES[axis]}: no run records them (stored before they were)")
        return {"target_macro_f1": target, "aubc_range": None, "axis": axis, "labels": {}, "left_out": []}
    start, end = common_range([runs[label] for label in labels if label in over or not over], axis)
    short = [label for label in labels if min(record[axis][-1] for record in runs[label]) < end]
    labels = [label for label in labels if label not in short]
    curves = {label: [(record[axis], record[evaluation]) for record in runs[label]] for label in labels}
    final = [curve[1][-1] for label in labels for curve in curves[label]]
    target = target or round(float(np.median(final)) - 0.01, 3)
    areas = {label: np.array([aubc(*curve, start, end) for curve in curves[label]]) for label in labels}
    reach = {label: np.array([samples_to_reach(*curve, target) for curve in curves[label]]) for label in labels}
    baselines = ("random", "pool-margin")
    baseline_reach = {name: float(np.median(reach[name])) if name in reach else math.nan for name in baselines}
    # a child stream: the AUBC intervals, drawn from rng, stay as they were before the ratios had intervals
    ratio_rng = rng.spawn(1)[0]
    print(
        f"\n{evaluation} evaluation set, against {AXES[axis]}: target macro-F1 {target}; "
        f"AUBC over {start}–{end} {AXES[axis]}"
        + (f" (left out, their runs end earlier: {', '.join(short)})" if short else "")
        + "\n"
    )
    print(
        f"{'strategy':22s} {'seeds':>5s} {'AUBC mean':>9s} {'AUBC 95% CI':>17s} {'Δ vs random (95% CI)':>26s} "
        f"{'Δ vs pool-margin (95% CI)':>26s} {'to target':>11s} "
        f"{'× random (95% CI)':>18s} {'× pool-margin (95% CI)':>22s}"
    )
    entries: dict[str, Any] = {}
    notes: list[str] = []
    for label in labels:
        low, high = bootstrap_ci(areas[label], rng)
        entry: dict[str, Any] = {"aubc": areas[label].tolist(), "aubc_ci": [low, high]}
        deltas = {}
        for name in baselines:
            deltas[name] = ""
            if name in areas and label != name and len(areas[label]) == len(areas[name]):
                mean, d_low, d_high = entry[f"aubc_minus_{name}"] = mean_with_ci(areas[label] - areas[name], rng)
                deltas[name] = f"{mean:+.4f} [{d_low:+.4f}, {d_high:+.4f}]"
        median_reach = float(np.median(reach[label]))
        ratios = {name: reach_ratio(median_reach, value, end) for name, value in baseline_reach.items()}
        entry.update(samples_to_target=reach[label].tolist(), ratio=ratios)
        cells = dict(ratios)
        for name, value in baseline_reach.items():
            if name == label or not (math.isfinite(median_reach) and math.isfinite(value)):
                continue
            check_paired(runs, label, name)
            interval = bootstrap_reach_ratio(reach[label], reach[name], end, ratio_rng)
            entry.setdefault("ratio_ci", {})[name] = [interval.low, interval.high]
            entry.setdefault("ratio_bounded_share", {})[name] = interval.bounded
            cells[name] += f" [{interval.low:.2f}, {interval.high:.2f}]"
            if interval.bounded:
                notes.append(
                    f"{label} × {name}: in {interval.bounded:.1%} of the resamples a median is 'not reached'; "
                    "their ratio counts at an upper bound, so the interval's ends are upper bounds"
                )
        print(
            f"{label:22s} {len(areas[label]):5d} {areas[label].mean():9.4f} [{low:.4f}, {high:.4f}] "
            f"{deltas['random']:>26s} {deltas['pool-margin']:>26s} "
            f"{'not reached' if math.isinf(median_reach) else f'{median_reach:.0f}':>11s} "
            f"{cells['random']:>18s} {cells['pool-margin']:>22s}"
        )
        entries[label] = entry
    for note in notes:
        print(note)
    if BALANCED_POOL in areas:
        # its own child stream, so every interval above is the same with or without this baseline's runs
        balanced_rng = ratio_rng.spawn(1)[0]
        for label in labels:
            if label != BALANCED_POOL and len(areas[label]) == len(areas[BALANCED_POOL]):
                check_paired(runs, label, BALANCED_POOL)
                difference = mean_with_ci(areas[label] - areas[BALANCED_POOL], balanced_rng)
                entries[label][f"aubc_minus_{BALANCED_POOL}"] = difference
                mean, d_low, d_high = difference
                print(
                    f"Δ AUBC {label} − {BALANCED_POOL} (paired over seeds): {mean:+.4f} [{d_low:+.4f}, {d_high:+.4f}]"
                )
    return {"target_macro_f1": target, "aubc_range": [start, end], "axis": axis, "labels": entries, "left_out": short}


def common_range(groups: list[list[dict[str, Any]]], axis: str = "samples") -> tuple[int, int]:
    """The range of ``axis`` every run covers (AUBCs are compared over it)."""
    every = [record for records in groups for record in records]
    return max(record[axis][0] for record in every), min(record[axis][-1] for record in every)


def reach_ratio(samples: float, baseline: float, end: float) -> str:
    """``samples / baseline`` as text; when the baseline never reached the target (it needs more than
    ``end``), an upper bound ``< samples / end``; "–" when neither can be said."""
    if math.isfinite(samples) and math.isfinite(baseline):
        return f"{samples / baseline:.2f}"
    if math.isfinite(samples) and math.isinf(baseline):
        return f"< {samples / end:.2f}"
    return "–"


class RatioInterval(NamedTuple):
    """A bootstrap 95 % interval of a ratio and the share of rounds (0–1) that gave only an upper bound."""

    low: float
    high: float
    bounded: float


def bootstrap_reach_ratio(
    samples: np.ndarray, baseline: np.ndarray, end: float, rng: np.random.Generator, rounds: int = 2000
) -> RatioInterval:
    """Paired bootstrap 95 % interval of ``median(samples) / median(baseline)``: samples to target per seed,
    shape (seeds,), the same seed at the same index, ``inf`` where a run never reached the target.

    Each round resamples seed indices with replacement, the same for both, and takes the ratio of the
    medians; an ``inf`` stays ``inf`` inside a median. Where a median is ``inf`` the ratio is only bounded
    and the round gets a value no smaller than it: a baseline median of ``inf`` (the baseline needs more
    than ``end`` samples) counts as ``end``, a ``samples`` median of ``inf`` makes the ratio ``inf``. With
    such rounds (share ``bounded``) both ends are upper bounds of the ends the runs would give had they run
    until they reached the target: the cautious side for a goal of "at most x×". The ends are order
    statistics of the rounds (``inverted_cdf``), so an ``inf`` end stays ``inf``."""
    index = rng.integers(0, samples.size, size=(rounds, samples.size))
    top = np.median(samples[index], axis=1)
    bottom = np.median(baseline[index], axis=1)
    bounded = np.isinf(top) | np.isinf(bottom)
    ratio = top / np.where(np.isinf(bottom), end, bottom)
    low, high = np.percentile(ratio, [2.5, 97.5], method="inverted_cdf")
    return RatioInterval(low=float(low), high=float(high), bounded=float(bounded.mean()))


def check_paired(runs: Runs, first: str, second: str) -> None:
    """Raise ValueError unless the runs of ``first`` and ``second`` are the same seeds in the same order."""
    seeds = {label: [record["seed"] for record in runs[label]] for label in (first, second)}
    if seeds[first] != seeds[second]:
        raise ValueError(
            f"{first} and {second} are compared paired by seed, but their runs' seeds differ: "
            f"{seeds[first]} against {seeds[second]}"
        )


def cost_table(runs: Runs) -> dict[str, dict[str, float]]:
    """Print and return per strategy what a cycle costs: training and simulated samples added per cycle
    (cycles ≥ 1) and the wall time of a run (the loop only, not the shared set-up), mean over seeds."""
    print(
        f"\n{'strategy':22s} {'trained/cycle':>13s} {'simulated/cycle':>15s} {'simulated/trained':>17s} {'s/run':>7s}"
    )
    costs: dict[str, dict[str, float]] = {}
    for label, records in runs.items():
        if not all("simulated" in record for record in records):
            continue
        trained = float(np.mean([np.diff(record["samples"]).mean() for record in records]))
        simulated = float(np.mean([np.diff(record["simulated"]).mean() for record in records]))
        seconds = float(np.mean([record["seconds"] for record in records]))
        costs[label] = {"trained_per_cycle": trained, "simulated_per_cycle": simulated, "seconds_per_run": seconds}
        print(f"{label:22s} {trained:13.0f} {simulated:15.0f} {simulated / trained:17.2f} {seconds:7.0f}")
    return costs


def matched_simulation(runs: Runs, seed: int) -> int | None:
    """The samples per cycle the ``alm`` run of ``seed`` simulated on average (cycles ≥ 1), in whole
    scenario runs; None when no such run is in ``runs``."""
    record = next((r for r in runs.get("alm", []) if r["seed"] == seed and "simulated" in r), None)
    if record is None:
        return None
    return round(float(np.diff(record["simulated"]).mean()) / SAMPLES_PER_RUN) * SAMPLES_PER_RUN


def overheat_cell_table(runs: Runs, rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    """Print and return per strategy the first and the last champion's ``equipment_overheat`` recall and
    alarm share on the overheat cell: mean over seeds with a bootstrap 95 % CI, and the seeds; and the last
    recall's paired difference (over the same seeds) to random's and pool-margin's. Only records holding the
    ``OVERHEAT_CELL`` key count; a strategy with none is left out."""
    summary: dict[str, dict[str, Any]] = {}
    last_recalls: dict[str, np.ndarray] = {}
    for label, records in runs.items():
        scored = [record for record in records if OVERHEAT_CELL in record]
        if not scored:
            continue
        entry: dict[str, Any] = {"seeds": [record["seed"] for record in scored]}
        for measure in ("recall", "alarm"):
            for position, index in (("first", 0), ("last", -1)):
                values = np.array([record[OVERHEAT_CELL][measure][index] for record in scored], dtype=float)
                entry[f"{position}_{measure}"] = mean_with_ci(values, rng)
        last_recalls[label] = np.array([record[OVERHEAT_CELL]["recall"][-1] for record in scored], dtype=float)
        summary[label] = entry
    differences = []
    for label, entry in summary.items():
        for name in ("random", "pool-margin"):
            paired = name in summary and entry["seeds"] == summary[name]["seeds"]
            if paired and label not in (name, "random"):
                entry[f"last_recall_minus_{name}"] = mean_with_ci(last_recalls[label] - last_recalls[name], rng)
                differences.append((label, name, entry[f"last_recall_minus_{name}"]))
    if summary:
        print(
            f"\noverheat cell ({TARGET_CELL.condition}): equipment_overheat recall and alarm share of the first "
            f"and the last champion, mean [95 % CI] over seeds\n{'strategy':22s} {'seeds':>5s} "
            + " ".join(f"{name:>22s}" for name in ("first recall", "last recall", "first alarm", "last alarm"))
        )
        for label, entry in summary.items():
            cells = (entry[key] for key in ("first_recall", "last_recall", "first_alarm", "last_alarm"))
            print(
                f"{label:22s} {len(entry['seeds']):5d} "
                + " ".join(f"{f'{m:.3f} [{low:.3f}, {high:.3f}]':>22s}" for m, low, high in cells)
            )
        for label, name, (mean, low, high) in differences:
            print(f"last recall, {label} − {name} (paired over seeds): {mean:+.3f} [{low:+.3f}, {high:+.3f}]")
    return summary


def quality_table(runs: Runs) -> dict[str, dict[str, float]]:
    """Print and return per strategy the mean hit rate, coverage and diversity of new data over cycles ≥ 1."""
    print(f"\n{'strategy':22s} {'hit rate':>8s} {'coverage':>8s} {'diversity':>9s} {'scenarios/cycle':>15s}")
    means: dict[str, dict[str, float]] = {}
    for label, records in runs.items():
        rows = [row for record in records for row in record["quality"]]
        means[label] = {
            key: float(np.nanmean([row[key] for row in rows]))
            for key in ("hit_rate", "coverage", "diversity", "scenarios")
        }
        m = means[label]
        print(f"{label:22s} {m['hit_rate']:8.3f} {m['coverage']:8.3f} {m['diversity']:9.3f} {m['scenarios']:15.1f}")
    return means


def label_mix_table(runs: Runs) -> dict[str, dict[str, float]]:
    """Print and return per strategy the share of each class among the samples its cycles added."""
    mixes: dict[str, dict[str, float]] = {}
    for label, records in runs.items():
        counts: Counter[str] = Counter()
        for record in records:
            for row in record["quality"]:
                counts.update(row.get("labels", {}))
        if counts:
            total = sum(counts.values())
            mixes[label] = {name: counts[name] / total for name in sorted(counts)}
    if mixes:
        classes = sorted({name for mix in mixes.values() for name in mix})
        print(f"\nshare of the added samples by class\n{'strategy':22s} " + " ".join(f"{c[:11]:>11s}" for c in classes))
        for label, mix in mixes.items():
            print(f"{label:22s} " + " ".join(f"{mix.get(c, 0.0):11.3f}" for c in classes))
    return mixes


TARGET_FRACTIONS = (0.8, 0.85, 0.9, 0.95, 1.0)
"""``ratio_by_target`` reports the samples-to-target ratio at these fractions of the table's target."""


def ratio_by_target(runs: Runs, evaluation: str, target: float, label: str = "alm") -> dict[str, str]:
    """Print and return ``label``'s samples-to-target ratio to pool-margin's (``reach_ratio`` of the medians
    over seeds) at ``TARGET_FRACTIONS`` of ``target`` on one evaluation set, keyed by the target. The
    table's single target sits just below the median final score, where the curves flatten; this shows
    whether the ratio holds on the way up."""
    _, end = common_range([runs[label], runs["pool-margin"]])
    ratios: dict[str, str] = {}
    for fraction in TARGET_FRACTIONS:
        goal = target * fraction
        mine, theirs = (
            float(np.median([samples_to_reach(r["samples"], r[evaluation], goal) for r in runs[name]]))
            for name in (label, "pool-margin")
        )
        ratios[f"{goal:.3f}"] = reach_ratio(mine, theirs, end)
    cells = "  ".join(f"{goal}: {ratio}" for goal, ratio in ratios.items())
    print(f"{label} × pool-margin samples to target on the {evaluation} set, by target: {cells}")
    return ratios


def ablation_table(runs: Runs, reference: str, variants: list[str]) -> dict[str, Any]:
    """Print and return, per variant, its AUBC minus the ``reference`` runs' on the same seeds (paired), on
    both evaluation sets, with the per-seed differences."""
    start, end = common_range(list(runs.values()))
    by_seed = {record["seed"]: record for record in runs[reference]}
    print(f"\nablations: AUBC minus {reference}'s on the same seeds (mean, then per seed)")
    print(f"{'variant':22s} {'seeds':>5s} {'Δ uniform':>10s} {'Δ low-intensity':>16s}  per seed (uniform)")
    entries: dict[str, Any] = {}
    for label in variants:
        pairs = [(record, by_seed[record["seed"]]) for record in runs[label] if record["seed"] in by_seed]
        deltas = {
            evaluation: [
                aubc(v["samples"], v[evaluation], start, end) - aubc(r["samples"], r[evaluation], start, end)
                for v, r in pairs
            ]
            for evaluation in EVALUATION_SETS
        }
        entries[label] = {"seeds": [v["seed"] for v, _ in pairs], "aubc_minus_reference": deltas}
        print(
            f"{label:22s} {len(pairs):5d} {np.mean(deltas['uniform']):+10.4f} {np.mean(deltas['low-intensity']):+16.4f}"
            f"  {' '.join(f'{d:+.3f}' for d in deltas['uniform'])}"
        )
    return entries


def report(runs: Runs, targets: dict[str, float | None], out: Path, tag: str) -> dict[str, Any]:
    """Print the tables for both evaluation sets (``targets`` by set; None: just below the median final
    macro-F1) for the runs with every seed, the ablation table for runs with fewer seeds (paired with
    ``alm``), and the data-quality tables; write plots and JSON."""
    rng = np.random.default_rng(0)
    seeds = {label: {record["seed"] for record in records} for label, records in runs.items()}
    widest = max(seeds.values(), key=len)
    main = {label: records for label, records in runs.items() if seeds[label] == widest}
    variants = [label for label in runs if label not in main]
    results: dict[str, Any] = {
        evaluation: table(main, evaluation, targets.get(evaluation), rng) for evaluation in EVALUATION_SETS
    }
    results["simulated"] = {
        evaluation: table(
            main,
            evaluation,
            results[evaluation]["target_macro_f1"],  # the same target on both axes
            rng,
            "simulated",
            tuple(set(main) & {"alm", "pool-margin"}),
        )
        for evaluation in EVALUATION_SETS
    }
    if {"alm", "pool-margin"} <= set(main):
        print()
        results["ratio_by_target"] = {
            evaluation: ratio_by_target(main, evaluation, results[evaluation]["target_macro_f1"])
            for evaluation in EVALUATION_SETS
        }
    if variants and "alm" in runs:
        results["ablations"] = ablation_table(runs, "alm", variants)
    results["cost"] = cost_table(runs)
    results["quality"] = quality_table(runs)
    results["label_mix"] = label_mix_table(runs)
    results[OVERHEAT_CELL] = overheat_cell_table(runs, rng)
    results["runs"] = runs
    out.mkdir(parents=True, exist_ok=True)
    plot(main, out / f"sample_efficiency_{tag}.png")
    plot_per_class(main, out / f"sample_efficiency_{tag}_per_class.png")
    (out / f"sample_efficiency_{tag}.json").write_text(json.dumps(results, indent=1))
    print(f"\nplot: {out / f'sample_efficiency_{tag}.png'}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI-sized run")
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="number of seeds (default 2 quick, 10 full; 0 with --merge: only report)",
    )
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are first-seed … first-seed + seeds − 1")
    parser.add_argument("--target", type=float, default=None, help="target macro-F1 on the uniform set")
    parser.add_argument("--target-low-intensity", type=float, default=None, help="target on the low-intensity set")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an active_learning key for the alm runs, e.g. targeting.select_factor=1 (JSON value)",
    )
    parser.add_argument("--label", default="alm", help="name of the alm runs in the table (with --set)")
    parser.add_argument(
        "--matched-simulation",
        type=int,
        default=None,
        help="pool-margin-matched's simulated samples per cycle (default: what the seed's alm run simulated)",
    )
    parser.add_argument(
        "--evaluation-samples",
        type=int,
        default=EVALUATION_SAMPLES,
        help="samples in each evaluation set (uniform, low-intensity, overheat cell)",
    )
    parser.add_argument(
        "--overheat-cell",
        action="store_true",
        help="also score every champion on the overheat-cell set (issue 15's target cell; ~15 %% more time)",
    )
    parser.add_argument("--evaluation-seed", type=int, default=EVALUATION_SEED, help="seed of the evaluation sets")
    parser.add_argument("--merge", type=Path, action="append", default=[], help="add runs from earlier JSON")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="where plots and JSON go")
    parser.add_argument("--tag", default=None, help="file name tag (default: quick or full)")
    parser.add_argument("--keep", type=Path, default=None, help="keep workspaces here instead of a temp dir")
    parser.add_argument("--check", action="store_true", help="exit 1 unless alm's mean AUBC beats random's")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    tag = args.tag or ("quick" if args.quick else "full")
    count = args.seeds if args.seeds is not None else (2 if args.quick else 10)
    seeds = range(args.first_seed, args.first_seed + count)
    overrides = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    root = args.keep or Path(tempfile.mkdtemp(prefix="envirosense-efficiency-"))
    started = time.perf_counter()
    strategies = args.strategies.split(",")
    unknown = sorted(set(strategies) - set(policy_names()))
    if unknown:
        parser.error(f"unknown strategies {', '.join(unknown)}; choose from {', '.join(policy_names())}")
    if "pool-margin-matched" in strategies and "alm" not in strategies and args.matched_simulation is None:
        parser.error("pool-margin-matched needs alm in --strategies or --matched-simulation SAMPLES")
    strategies.sort(key=lambda name: name != "alm")  # alm first: pool-margin-matched is set from its cost
    runs: Runs = {}
    for seed in seeds:
        for strategy in strategies:
            label = args.label if strategy == "alm" else strategy
            t0 = time.perf_counter()
            matched = None
            if strategy == "pool-margin-matched":
                matched = args.matched_simulation or matched_simulation({"alm": runs.get(args.label, [])}, seed)
            options = overrides if strategy == "alm" else {}
            evaluation = (args.evaluation_samples, args.evaluation_seed)
            record = run_one(root, strategy, seed, args.quick, options, label, matched, evaluation, args.overheat_cell)
            runs.setdefault(label, []).append(record)
            args.out.mkdir(parents=True, exist_ok=True)
            partial = args.out / f"sample_efficiency_{tag}.partial.json"
            partial.write_text(json.dumps({"runs": runs}))
            print(
                f"seed {seed} {label:18s} samples {record['samples']} macro-F1 "
                f"{[round(v, 3) for v in record['uniform']]} low-intensity "
                f"{[round(v, 3) for v in record['low-intensity']]}{cell_progress(record)} "
                f"({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    for earlier in args.merge:
        for label, records in json.loads(earlier.read_text())["runs"].items():
            runs.setdefault(label, []).extend(records)
    for records in runs.values():
        records.sort(key=lambda record: record["seed"])
    evaluations = {evaluation_of(record) for records in runs.values() for record in records}
    if len(evaluations) > 1:
        parser.error(f"the runs were scored on different evaluation sets (samples, seed): {sorted(evaluations)}")
    print(f"\n{time.perf_counter() - started:.0f} s of runs")
    targets = {"uniform": args.target, "low-intensity": args.target_low_intensity}
    results = report(runs, targets, args.out, tag)
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    if args.check:
        areas = results["uniform"]["labels"]
        if not np.mean(areas[args.label]["aubc"]) > np.mean(areas["random"]["aubc"]):
            print("CHECK FAILED: alm's mean AUBC does not beat random's", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
