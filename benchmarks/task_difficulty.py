"""How hard is the simulated classification task, and where is it hard? Also: simulation throughput.

Draws scenario classes uniformly and their parameters uniformly inside the declared ranges
(``sample_params``), simulates short runs, takes a few timesteps of each run as samples, flattens every
numeric reading into a feature vector (a simple stand-in for the real feature extractor), trains a
reference scikit-learn classifier on the training samples and scores held-out samples from *other*
runs (no run contributes to both sets). Prints macro-F1, per-class F1, the confusion matrix, error
rates by physically meaningful parameter bins, and samples per second of simulation on one core.

    python benchmarks/task_difficulty.py            # full: 2,000 training and 5,000 test samples
    python benchmarks/task_difficulty.py --quick    # CI: 600 / 1,200 samples

Targets (issue 2): macro-F1 0.55–0.85; some classes F1 ≥ 0.9 and some ≤ 0.6; errors concentrated at
low intensity, strong wind, far distance, sensor drift and confounders. Issue 15: the equipment-overheat
recall by load band × wind band for connections in NETA's major band (excess rise ≥ 15 °C). Issue 18: the
single-reading giveaway table: per hazard class, the share of its active samples whose reading lies
outside the range all normal and confounder scenarios produce (20 runs per class in both modes). Issue 15's
target cell (load ≥ 0.6, wind ≤ 3 m/s, excess rise ≥ 15 °C) and the two conditions in which a joint stays
hard (load < 0.3, wind ≥ 7 m/s) hold too few runs of the general test set to measure a recall, so
``--cell-runs`` extra overheat runs are drawn inside each and scored by the same model, with 95 % intervals
by bootstrap over runs. "Detected" is an alarm (any hazard class named); the share named
``equipment_overheat`` is printed beside it (docs/simulation.md, *What "detected" means*).
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import confusion_matrix, f1_score

from envirosense.ops.logging import configure_logging
from envirosense.schemas import SENSOR_IDS, ClassLabel
from envirosense.simulation import BaseScenario, SimulationResult, scenario_classes
from envirosense.simulation.parameters import flatten_params, param_ranges, sample_params
from envirosense.simulation.physics.thermal import wind_cooling_factor
from envirosense.simulation.scenarios.electrical import EquipmentOverheatParams, EquipmentOverheatScenario

LABELS: tuple[str, ...] = tuple(label.value for label in ClassLabel)
SKIPPED_FIELDS = frozenset({"downsampled_image_c"})


@dataclass
class SampleSet:
    """Feature rows and, per row, the label and the context the error analysis bins by."""

    features: list[NDArray[np.float64]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    context: list[dict[str, Any]] = field(default_factory=list)
    simulated_steps: int = 0
    simulate_seconds: float = 0.0
    runs: int = 0

    def matrix(self) -> NDArray[np.float64]:
        return np.vstack(self.features)

    def simulate(self, scenario: BaseScenario[Any], steps_per_run: int, rng: np.random.Generator) -> SimulationResult:
        """One run of ``scenario`` over ``steps_per_run`` even timesteps, its steps and seconds counted."""
        times = scenario.sample_times(scenario.params.duration_seconds / steps_per_run, steps_per_run)
        start = time.perf_counter()
        result = scenario.simulate(times, rng)
        self.simulate_seconds += time.perf_counter() - start
        self.simulated_steps += len(result)
        return result


def feature_names(result: SimulationResult) -> list[str]:
    """``sensor_readings_map.<sensor>.<field>`` for every numeric reading, in a fixed order."""
    return [
        f"sensor_readings_map.{sensor_id}.{name}"
        for sensor_id in SENSOR_IDS
        for name in sorted(result.readings[sensor_id])
        if name not in SKIPPED_FIELDS
    ]


def flatten(result: SimulationResult, steps: NDArray[np.int64]) -> NDArray[np.float64]:
    """Rows of every numeric reading (status codes included) at the given timestep indices, NaN = null."""
    columns = [
        np.asarray(result.readings[sensor_id][name], dtype=np.float64)[steps]
        for sensor_id in SENSOR_IDS
        for name in sorted(result.readings[sensor_id])
        if name not in SKIPPED_FIELDS
    ]
    return np.column_stack(columns)


def range_position(scenario: BaseScenario[Any], attribute: str) -> float:
    """Where the parameter named by the class's ``attribute`` (``intensity_parameter`` or
    ``distance_parameter``) sits in its declared range, 0 (lowest) … 1 (highest); NaN when it has none."""
    path = getattr(type(scenario), attribute, None)
    if path is None:
        return float("nan")
    declared = param_ranges(type(scenario).params_model)[path]
    assert declared.lower is not None and declared.upper is not None
    value = float(flatten_params(scenario.params.model_dump())[path])
    return (value - declared.lower) / (declared.upper - declared.lower)


def simulate_samples(
    n_samples: int, seed: int, steps_per_run: int, samples_per_run: int, progress: Callable[[int], None]
) -> SampleSet:
    """Simulate runs until ``n_samples`` samples are drawn; every run has its own child seed."""
    classes = scenario_classes()
    root = np.random.default_rng(seed)
    out = SampleSet()
    run = 0
    while len(out.labels) < n_samples:
        rng = np.random.default_rng([seed, run])
        run += 1
        out.runs = run
        cls = classes[int(rng.integers(len(classes)))]
        scenario = cls(sample_params(cls.params_model, rng))
        result = out.simulate(scenario, steps_per_run, rng)
        take = min(samples_per_run, n_samples - len(out.labels))
        steps = np.sort(root.choice(len(result), size=take, replace=False))
        out.features.extend(flatten(result, steps))
        labels = result.labels
        truth = result.truth
        params = scenario.params
        for i in steps.tolist():
            out.labels.append(str(labels.class_label[i]))
            out.context.append(
                {
                    "scenario": cls.registry_name(),
                    "is_confounder": cls.is_confounder,
                    "hazard_scenario": cls.class_label is not ClassLabel.NORMAL,
                    "severity": float(labels.severity[i]),
                    "intensity": range_position(scenario, "intensity_parameter"),
                    "distance_position": range_position(scenario, "distance_parameter"),
                    "category": cls.category.value,
                    "distance_m": labels.source_distance_m,
                    "wind_m_s": float(truth.ambient.wind_speed_m_s[i]),
                    "days_since_calibration": params.device.days_since_calibration,
                    "grid_load": float(truth.extras["load_fraction"][i]),
                    "excess_rise_c": float(truth.extras.get("connection_rise_c", np.zeros(len(result)))[i]),
                    "hazard_started": bool(labels.is_anomaly[i]),
                }
            )
        progress(len(out.labels))
    return out


def make_classifier(name: str, seed: int) -> Any:
    if name == "hgb":
        return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.08, random_state=seed)
    return RandomForestClassifier(n_estimators=300, n_jobs=1, random_state=seed)


def _bin_table(
    title: str,
    values: Sequence[float | None],
    wrong: NDArray[np.bool_],
    edges: Sequence[float],
    unit: str,
) -> list[str]:
    lines = [title]
    data = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    for low, high in itertools.pairwise(edges):
        inside = (data >= low) & (data < high)
        if inside.sum() == 0:
            continue
        lines.append(f"  {low:>7g} – {high:<7g}{unit:<6s} n={inside.sum():5d}  error {wrong[inside].mean():6.1%}")
    return lines


def report(
    train: SampleSet,
    test: SampleSet,
    classifier_name: str,
    seed: int,
    regions: Sequence[tuple[OverheatRegion, SampleSet]] = (),
) -> list[str]:
    """The whole printed report of a model trained on ``train`` and scored on ``test``; for each of
    ``regions`` (runs from :func:`simulate_cell_runs`) also the region's recall on its dedicated runs."""
    model = make_classifier(classifier_name, seed)
    start = time.perf_counter()
    model.fit(train.matrix(), np.array(train.labels))
    fit_seconds = time.perf_counter() - start
    predicted = model.predict(test.matrix())
    truth = np.array(test.labels)
    present = [label for label in LABELS if label in set(truth) | set(train.labels)]
    per_class = f1_score(truth, predicted, labels=present, average=None, zero_division=0)
    macro = f1_score(truth, predicted, labels=present, average="macro", zero_division=0)
    wrong = predicted != truth
    lines = [
        f"classifier: {type(model).__name__} (fit {fit_seconds:.1f} s on {len(train.labels)} samples, "
        f"{train.matrix().shape[1]} features)",
        f"test samples: {len(truth)}   accuracy {1 - wrong.mean():.3f}   macro-F1 {macro:.3f}",
        "",
        "per-class F1 (support):",
    ]
    support = Counter(truth.tolist())
    for label, score in zip(present, per_class, strict=True):
        lines.append(f"  {label:<22s} {score:5.3f}  ({support.get(label, 0)})")
    lines += ["", "confusion matrix (rows true, columns predicted): " + " ".join(f"{lab[:6]:>6s}" for lab in present)]
    matrix = confusion_matrix(truth, predicted, labels=present)
    for label, row in zip(present, matrix, strict=True):
        lines.append(f"  {label:<22s} " + " ".join(f"{v:6d}" for v in row))
    context = test.context
    hazard = truth != ClassLabel.NORMAL.value
    normal = ~hazard

    def pick(key: str, mask: NDArray[np.bool_]) -> list[Any]:
        return [c[key] for c, m in zip(context, mask, strict=True) if m]

    lines += [""]
    lines += _bin_table(
        "hazard samples, error by source intensity (position in the declared range):",
        pick("intensity", hazard),
        wrong[hazard],
        [0, 1 / 3, 2 / 3, 1.0001],
        "",
    )
    lines += _bin_table(
        "hazard samples, error by severity (growth × strength):",
        pick("severity", hazard),
        wrong[hazard],
        [0, 0.1, 0.3, 0.6, 1.0001],
        "",
    )
    lines += _bin_table(
        "hazard samples, error by source distance:",
        pick("distance_m", hazard),
        wrong[hazard],
        [0, 5, 15, 40, 1e9],
        "m",
    )
    lines += _bin_table(
        "hazard samples, error by wind speed at the sample:",
        pick("wind_m_s", hazard),
        wrong[hazard],
        [0, 3, 7, 100],
        "m/s",
    )
    overheat = hazard & np.array([c["scenario"] == "equipment_overheat" for c in context])
    lines += _bin_table(
        "equipment overheat samples, error by grid load (ΔT ∝ load^1.6–2):",
        pick("grid_load", overheat),
        wrong[overheat],
        [0, 0.4, 0.8, 1.6],
        "",
    )
    lines += _bin_table(
        "equipment overheat samples, error by wind speed (wind cools the hot part):",
        pick("wind_m_s", overheat),
        wrong[overheat],
        [0, 3, 7, 100],
        "m/s",
    )
    lines += _bin_table(
        "all samples, error by days since calibration (drift):",
        [c["days_since_calibration"] for c in context],
        wrong,
        [0, 180, 450, 721],
        "d",
    )
    lines += ["normal samples, false-alarm rate:"]
    confounder = np.array([c["is_confounder"] for c in context])
    hazard_scenario = np.array([c["hazard_scenario"] for c in context])
    for name, mask in (
        ("confounder scenarios", normal & confounder),
        ("other normal scenarios", normal & ~confounder & ~hazard_scenario),
        ("hazard scenarios before onset", normal & hazard_scenario),
    ):
        if mask.sum():
            lines.append(f"  {name:<32s} n={mask.sum():5d}  false alarm {wrong[mask].mean():6.1%}")
    lines += ["", "error rate per scenario class:"]
    scenarios = np.array([c["scenario"] for c in context])
    for name in sorted(set(scenarios.tolist()), key=lambda s: -wrong[scenarios == s].mean()):
        mask = scenarios == name
        lines.append(f"  {name:<28s} n={mask.sum():5d}  error {wrong[mask].mean():6.1%}")
    lines += ["", *overheat_breakdown(context, truth, predicted)]
    for region, cell in regions:
        bootstrap = np.random.default_rng([seed, 40_000 + region.stream - TARGET_CELL.stream])
        lines += ["", *cell_recall(model, cell, bootstrap, region)]
    lines += ["", *_region_table(context, wrong, hazard, normal)]
    lines += ["", *_confounder_effect(model, train, test, classifier_name, seed)]
    return lines


LOAD_BANDS: tuple[tuple[str, float, float], ...] = (("< 0.3", 0.0, 0.3), ("0.3–0.6", 0.3, 0.6), ("≥ 0.6", 0.6, 9.0))
WIND_BANDS: tuple[tuple[str, float, float], ...] = (("≤ 3 m/s", 0.0, 3.0), ("3–7 m/s", 3.0, 7.0), ("> 7 m/s", 7.0, 1e9))
MAJOR_RISE_C = 15.0
"""NETA's "major deficiency" band starts at 15 °C over a similar part at similar load (docs/physics.md §2.5)."""


def overheat_breakdown(
    context: Sequence[dict[str, Any]], truth: NDArray[np.str_], predicted: NDArray[np.str_]
) -> list[str]:
    """Recall of ``equipment_overheat`` by load band × wind band: for connections whose excess rise at the
    sample is ≥ 15 °C, the share named an overheat (the diagnosis) beside the share flagged as any hazard
    (a thermographer's "detected", issue 15's target figure: the box raised an alarm for it), and the same two shares
    for all active overheat samples; what the missed ones were called; and which normal
    scenarios the classifier calls an overheat (sun-heated metal, healthy equipment at high load)."""
    overheat = ClassLabel.EQUIPMENT_OVERHEAT.value
    load = np.array([c["grid_load"] for c in context])
    wind = np.array([c["wind_m_s"] for c in context])
    rise = np.array([c["excess_rise_c"] for c in context])
    active = truth == overheat
    hit = predicted == overheat
    alarm = predicted != ClassLabel.NORMAL.value
    major = active & (rise >= MAJOR_RISE_C)
    lines = ["equipment overheat recall by load band × wind band (at the sample):"]
    for title, subset, shares in (
        (
            f"excess rise ≥ {MAJOR_RISE_C:g} °C: named equipment_overheat / flagged as any hazard (n)",
            major,
            (hit, alarm),
        ),
        ("every active overheat sample: named equipment_overheat / flagged as any hazard (n)", active, (hit, alarm)),
    ):
        lines += [f" {title}", f"  {'load':<9s}" + "".join(f"{name:>24s}" for name, _, _ in WIND_BANDS)]
        for load_name, load_low, load_high in LOAD_BANDS:
            cells = []
            for _, wind_low, wind_high in WIND_BANDS:
                cell = subset & (load >= load_low) & (load < load_high) & (wind >= wind_low) & (wind < wind_high)
                if not cell.any():
                    cells.append("—")
                    continue
                figures = " / ".join(f"{called[cell].mean():6.1%}" for called in shares)
                cells.append(f"{figures} ({cell.sum():3d})")
            lines.append(f"  {load_name:<9s}" + "".join(f"{cell:>24s}" for cell in cells))
    normal = truth == ClassLabel.NORMAL.value
    scenarios = np.array([c["scenario"] for c in context])
    missed = major & ~hit
    if missed.any():
        calls = Counter(predicted[missed].tolist())
        lines.append(
            " rise ≥ 15 °C but not called equipment_overheat, called: "
            + ", ".join(f"{label} {count}" for label, count in calls.most_common())
        )
    lines.append(" normal samples called equipment_overheat, per scenario (false alarms):")
    for name in sorted(set(scenarios[normal].tolist())):
        mask = normal & (scenarios == name)
        if hit[mask].any():
            lines.append(f"  {name:<28s} n={mask.sum():5d}  {hit[mask].mean():6.1%}")
    high_load = normal & (load >= 0.8)
    if high_load.any():
        lines.append(f"  {'any normal sample, load ≥ 0.8':<28s} n={high_load.sum():5d}  {hit[high_load].mean():6.1%}")
    return lines


CELL_MIN_LOAD = 0.6
CELL_MAX_WIND_M_S = 3.0
LIGHT_LOAD = 0.3
STRONG_WIND_M_S = 7.0
CELL_BOOTSTRAP = 2000


def in_cell(load: float, wind_m_s: float, rise_c: float) -> bool:
    """Whether a load fraction, wind speed (m/s) and excess rise (°C) lie in issue 15's target cell, with the
    breakdown's band edges (load ≥ 0.6, wind below 3 m/s, rise ≥ 15 °C)."""
    return load >= CELL_MIN_LOAD and wind_m_s < CELL_MAX_WIND_M_S and rise_c >= MAJOR_RISE_C


@dataclass(frozen=True)
class OverheatRegion:
    """A region of the overheat breakdown, measured on runs of its own.

    ``holds(load, wind_m_s, rise_c)`` says whether a load fraction, a wind speed (m/s) and an excess rise (°C)
    lie inside it. A run is drawn when its set load, mean wind and fully developed rise do; a timestep of it
    is kept when it is active and its own load, wind and rise do. ``stream`` keeps each region's child seeds
    apart from every other draw of the benchmark."""

    name: str
    condition: str
    stream: int
    holds: Callable[[float, float, float], bool]


TARGET_CELL = OverheatRegion(
    "target cell",
    f"load ≥ {CELL_MIN_LOAD:g}, wind ≤ {CELL_MAX_WIND_M_S:g} m/s, excess rise ≥ {MAJOR_RISE_C:g} °C",
    30_000,
    in_cell,
)
LIGHT_LOAD_REGION = OverheatRegion(
    "light load", f"load < {LIGHT_LOAD:g}, any wind and rise", 30_001, lambda load, _wind, _rise: load < LIGHT_LOAD
)
STRONG_WIND_REGION = OverheatRegion(
    "strong wind",
    f"wind ≥ {STRONG_WIND_M_S:g} m/s, any load and rise",
    30_002,
    lambda _load, wind, _rise: wind >= STRONG_WIND_M_S,
)
REGIONS: tuple[OverheatRegion, ...] = (TARGET_CELL, LIGHT_LOAD_REGION, STRONG_WIND_REGION)
"""Issue 15's breakdown: where a joint is to be detected, and the two conditions in which it stays hard."""


def cell_params(
    rng: np.random.Generator, region: OverheatRegion = TARGET_CELL, max_draws: int = 10_000
) -> EquipmentOverheatParams:
    """``equipment_overheat`` parameters drawn as ``sample_params`` draws them, kept only when the run sits in
    ``region``: its load, its mean wind and its fully developed excess rise at that load and wind
    (``rated_rise_c · load^n · wind cooling``). Rejection keeps the benchmark's own (uniform) prior
    restricted to the region; for the target cell about one draw in thirteen is kept."""
    for _ in range(max_draws):
        params = sample_params(EquipmentOverheatParams, rng)
        load = params.device.grid_load_fraction
        wind = params.environment.wind_speed_m_s
        developed = params.rated_rise_c * load**params.load_exponent * float(wind_cooling_factor(np.array(wind)))
        if region.holds(load, wind, developed):
            return params
    raise RuntimeError(f"no equipment_overheat draw fell inside the {region.name} in {max_draws} draws")


def simulate_cell_runs(n_runs: int, seed: int, steps_per_run: int, region: OverheatRegion = TARGET_CELL) -> SampleSet:
    """``n_runs`` runs of ``equipment_overheat`` drawn inside ``region`` (:func:`cell_params`), each on the
    child seed ``[seed, region.stream, run]`` so no other figure's draws change; keeps every timestep that
    is in the region at the sample itself (active, load, wind and excess rise as the breakdown bins them).
    The context holds the run index, for a bootstrap over runs."""
    out = SampleSet()
    for run in range(n_runs):
        rng = np.random.default_rng([seed, region.stream, run])
        result = out.simulate(EquipmentOverheatScenario(cell_params(rng, region)), steps_per_run, rng)
        out.runs += 1
        load = result.truth.extras["load_fraction"]
        wind = result.truth.ambient.wind_speed_m_s
        rise = result.truth.extras["connection_rise_c"]
        active = np.asarray(result.labels.is_anomaly, dtype=bool)
        steps = np.array(
            [
                i
                for i in range(len(result))
                if active[i] and region.holds(float(load[i]), float(wind[i]), float(rise[i]))
            ],
            dtype=np.int64,
        )
        if len(steps) == 0:
            continue
        out.features.extend(flatten(result, steps))
        for i in steps.tolist():
            out.labels.append(str(result.labels.class_label[i]))
            out.context.append(
                {"run": run, "grid_load": float(load[i]), "wind_m_s": float(wind[i]), "excess_rise_c": float(rise[i])}
            )
    return out


RISE_SPLIT_C = 100.0
"""From about this excess rise a joint is as hot as the overheated part under pyrolysing debris that makes a
``fire_precursor_combination`` run (150–350 °C), so the regions' recall is also printed on each side of it."""


def cell_recall(
    model: Any, cell: SampleSet, rng: np.random.Generator, region: OverheatRegion = TARGET_CELL
) -> list[str]:
    """A region's recall (named ``equipment_overheat``) and alarm share (any hazard, the benchmark's
    "detected") on its dedicated runs, each with a 95 % percentile interval from ``CELL_BOOTSTRAP``
    resamples of the runs (the samples of one run fall together), what the misses were called, and the
    recall by excess rise: below the major band, up to ``RISE_SPLIT_C`` and from it (bands with samples)."""
    title = f"{region.name}, dedicated runs ({region.condition})"
    if not cell.labels:
        return [f"{title}: no sample of the {cell.runs} runs fell inside it"]
    predicted = model.predict(cell.matrix())
    run_ids, index = np.unique(np.array([c["run"] for c in cell.context]), return_inverse=True)
    resample = rng.integers(len(run_ids), size=(CELL_BOOTSTRAP, len(run_ids)))
    hit = predicted == ClassLabel.EQUIPMENT_OVERHEAT.value
    alarm = predicted != ClassLabel.NORMAL.value
    everywhere = np.ones(len(predicted), dtype=bool)
    lines = [f"{title}: {len(run_ids)} of {cell.runs} runs with samples in it, {len(predicted)} samples"]
    for name, called in (("named equipment_overheat", hit), ("flagged as any hazard", alarm)):
        share, low, high = _run_share(called, everywhere, index, resample)
        lines.append(f"  {name:<26s} {share:.3f}  (95 % interval over runs {low:.3f}–{high:.3f})")
    calls = Counter(predicted[~hit].tolist())
    lines.append("  misses called: " + (", ".join(f"{label} {n}" for label, n in calls.most_common()) or "none"))
    rise = np.array([c["excess_rise_c"] for c in cell.context])
    for band_name, band in (
        (f"rise < {MAJOR_RISE_C:g} °C", rise < MAJOR_RISE_C),
        (f"rise {MAJOR_RISE_C:g}–{RISE_SPLIT_C:g} °C", (rise >= MAJOR_RISE_C) & (rise < RISE_SPLIT_C)),
        (f"rise ≥ {RISE_SPLIT_C:g} °C", rise >= RISE_SPLIT_C),
    ):
        if not band.any():
            continue
        share, low, high = _run_share(hit, band, index, resample)
        lines.append(
            f"  named, {band_name:<18s} {share:.3f}  (95 % interval over runs {low:.3f}–{high:.3f}; "
            f"{int(band.sum())} samples)"
        )
    return lines


def _run_share(
    called: NDArray[np.bool_], among: NDArray[np.bool_], index: NDArray[np.intp], resample: NDArray[np.int64]
) -> tuple[float, float, float]:
    """Share of the ``among`` samples that are ``called``, and its 2.5 / 97.5 percentiles over the run
    resamples (rows of ``resample`` index the runs; ``index`` maps samples to runs). Resamples holding no
    ``among`` sample are left out."""
    runs = int(index.max()) + 1
    hits = np.bincount(index, weights=(called & among).astype(np.float64), minlength=runs)[resample].sum(axis=1)
    totals = np.bincount(index, weights=among.astype(np.float64), minlength=runs)[resample].sum(axis=1)
    shares = hits[totals > 0] / totals[totals > 0]
    low, high = np.percentile(shares, [2.5, 97.5])
    return float(called[among].mean()), float(low), float(high)


def _confounder_effect(model: Any, train: SampleSet, test: SampleSet, classifier_name: str, seed: int) -> list[str]:
    """How close confounders sit to the hazards: the hazard probability the classifier gives them, and
    the false alarms of the same classifier trained without any confounder scenario."""
    truth = np.array(test.labels)
    confounder = np.array([c["is_confounder"] for c in test.context])
    other = (truth == ClassLabel.NORMAL.value) & ~confounder & ~np.array([c["hazard_scenario"] for c in test.context])
    normal_column = list(model.classes_).index(ClassLabel.NORMAL.value)
    hazard_probability = 1.0 - model.predict_proba(test.matrix())[:, normal_column]
    keep = ~np.array([c["is_confounder"] for c in train.context])
    ablated = make_classifier(classifier_name, seed)
    ablated.fit(train.matrix()[keep], np.array(train.labels)[keep])
    alarms = ablated.predict(test.matrix()) != ClassLabel.NORMAL.value
    lines = ["confounders vs other normal scenarios (test samples):"]
    for name, mask in (("confounder scenarios", confounder), ("other normal scenarios", other)):
        lines.append(
            f"  {name:<24s} mean P(hazard) {hazard_probability[mask].mean():.3f}   "
            f"P(hazard) > 0.3: {(hazard_probability[mask] > 0.3).mean():6.1%}   "
            f"false alarms if trained without confounders: {alarms[mask].mean():6.1%}"
        )
    return lines


HARD_REGIONS: tuple[tuple[str, str, Callable[[dict[str, Any]], bool]], ...] = (
    ("weak source (lowest third of its range)", "hazard", lambda c: c["intensity"] < 1 / 3),
    ("barely started (severity < 0.1)", "hazard", lambda c: c["severity"] < 0.1),
    ("far source (upper third of its distance range)", "hazard", lambda c: c["distance_position"] > 2 / 3),
    ("strong wind (> 10 m/s)", "hazard", lambda c: c["wind_m_s"] > 10),
    ("strong wind (> 10 m/s), plume-borne fire hazards", "fire", lambda c: c["wind_m_s"] > 10),
    ("long since calibration (> 540 d): missed hazards", "hazard", lambda c: c["days_since_calibration"] > 540),
    ("long since calibration (> 540 d): false alarms", "normal", lambda c: c["days_since_calibration"] > 540),
    ("confounder scenario", "normal", lambda c: bool(c["is_confounder"])),
)
"""Physically meaningful hard regions: (name, which samples it applies to, membership test)."""


def _region_table(
    context: Sequence[dict[str, Any]], wrong: NDArray[np.bool_], hazard: NDArray[np.bool_], normal: NDArray[np.bool_]
) -> list[str]:
    """Error rate inside vs outside each hard region, and the share of all errors the regions hold."""
    lines = [
        "where the errors are (error rate inside vs outside each region, among the samples it applies to):",
        f"  {'region':<50s} {'applies to':<10s} {'n in':>6s} {'err in':>7s} {'err out':>8s} {'lift':>5s}",
    ]
    fire = hazard & np.array([c["category"] == "fire" for c in context])
    scope = {"hazard": hazard, "fire": fire, "normal": normal, "all": np.ones_like(hazard)}
    in_any = np.zeros_like(hazard)
    for name, applies, member in HARD_REGIONS:
        inside = scope[applies] & np.array([member(c) for c in context])
        outside = scope[applies] & ~inside
        in_any |= inside
        rate_in = wrong[inside].mean() if inside.any() else float("nan")
        rate_out = wrong[outside].mean() if outside.any() else float("nan")
        lift = rate_in / rate_out if rate_out > 0 else float("inf")
        lines.append(f"  {name:<50s} {applies:<10s} {inside.sum():6d} {rate_in:7.1%} {rate_out:8.1%} {lift:5.1f}")
    error_share = wrong[in_any].sum() / max(wrong.sum(), 1)
    lines.append(
        f"  any of these regions: {in_any.mean():.1%} of the test samples, {error_share:.1%} of the errors "
        f"(error rate {wrong[in_any].mean():.1%} inside, {wrong[~in_any].mean():.1%} outside)"
    )
    return lines


_CAMERA = "sensor_readings_map.U26_Lepton35"
_MICROPHONES = ("sensor_readings_map.U27_SPU0410HR5H", "sensor_readings_map.U28_SPU0410HR5H")
JUSTIFIED_GIVEAWAYS: frozenset[tuple[str, str]] = frozenset(
    [
        (hazard, f"{_CAMERA}.{reading}")
        for hazard in ("fire_precursor", "early_combustion")
        for reading in ("max_temperature_c", "hotspot_delta_c", "std_temperature_c")
    ]
    + [("arcing", f"{microphone}.band_ultrasonic_db") for microphone in _MICROPHONES]
    + [(hazard, f"{_CAMERA}.roi_delta_c") for hazard in ("insulation_breakdown", "equipment_overheat")]
    + [("insulation_breakdown", f"{_CAMERA}.roi_delta_rated_c")]
)
"""(hazard class, reading) pairs whose share may exceed the bound for a physical reason (docs/simulation.md,
*Single-reading giveaways*): a 180–1000 °C smouldering spot or flame in the camera's view reads far
above anything harmless; an arc's crackle is louder at 40 kHz than any harmless sound at the pole; a
failing insulation spot (110–160 °C) or a connection in NETA's major band on the monitored equipment
reads more than 15 °C above its similar parts, which no healthy part does (for insulation breakdown
also the same delta scaled to rated load, which light load only enlarges)."""
GIVEAWAY_BOUND = 0.5


@dataclass
class Giveaways:
    """Per hazard class and reading: the share of the class's active samples whose value lies outside the
    range ``[low, high]`` that every normal and confounder scenario together produce."""

    share: dict[str, dict[str, float]]
    normal_range: dict[str, tuple[float, float]]
    runs_per_class: int

    def worst(self, hazard_class: str) -> tuple[str, float]:
        feature = max(self.share[hazard_class], key=lambda name: self.share[hazard_class][name])
        return feature, self.share[hazard_class][feature]


def single_reading_giveaways(runs_per_class: int, steps_per_run: int, seed: int) -> Giveaways:
    """Simulate ``runs_per_class`` runs of every scenario class (parameters drawn uniformly in their
    ranges) and measure, for each hazard class and each numeric reading, the share of its active samples
    (after onset) outside the whole range of that reading over all normal-labelled scenario classes."""
    hazard_rows: dict[str, list[NDArray[np.float64]]] = {}
    normal_rows: list[NDArray[np.float64]] = []
    names: list[str] = []
    for index, cls in enumerate(scenario_classes()):
        for run in range(runs_per_class):
            rng = np.random.default_rng([seed, 20_000 + index, run])
            scenario = cls(sample_params(cls.params_model, rng))
            times = scenario.sample_times(scenario.params.duration_seconds / steps_per_run, steps_per_run)
            result = scenario.simulate(times, rng)
            names = names or feature_names(result)
            rows = flatten(result, np.arange(len(result)))
            if cls.class_label is ClassLabel.NORMAL:
                normal_rows.append(rows)
            else:
                active = np.asarray(result.labels.is_anomaly, dtype=bool)
                hazard_rows.setdefault(cls.class_label.value, []).append(rows[active])
    normal = np.vstack(normal_rows)
    low, high = np.nanmin(normal, axis=0), np.nanmax(normal, axis=0)
    share: dict[str, dict[str, float]] = {}
    for label, blocks in hazard_rows.items():
        values = np.vstack(blocks)
        present = ~np.isnan(values)
        outside = present & ((values < low) | (values > high))
        counts = np.maximum(present.sum(axis=0), 1)
        share[label] = {name: float(v) for name, v in zip(names, outside.sum(axis=0) / counts, strict=True)}
    normal_range = {name: (float(a), float(b)) for name, a, b in zip(names, low, high, strict=True)}
    return Giveaways(share, normal_range, runs_per_class)


def giveaway_table(giveaways: Giveaways, top: int = 3) -> list[str]:
    """The giveaway table: per hazard class, its readings with the largest out-of-normal-range share."""
    lines = [
        f"single-reading giveaways ({giveaways.runs_per_class} runs per class, every timestep): share of a "
        "hazard's active samples",
        f"whose reading lies outside the range all normal and confounder scenarios produce (bound {GIVEAWAY_BOUND}):",
    ]
    for label, shares in giveaways.share.items():
        ranked = sorted(shares.items(), key=lambda item: -item[1])[:top]
        cells = "   ".join(
            f"{name.removeprefix('sensor_readings_map.')} {value:.2f}"
            + ("*" if value > GIVEAWAY_BOUND and (label, name) in JUSTIFIED_GIVEAWAYS else "")
            for name, value in ranked
        )
        lines.append(f"  {label:<22s} {cells}")
    lines.append("  (* above the bound for a physical reason given in docs/simulation.md, Single-reading giveaways)")
    return lines


def throughput(n_runs: int, steps_per_run: int, seed: int) -> list[str]:
    """Samples per second on one core: ``simulate`` alone, and ``simulate`` + ``MLDataSample`` dicts."""
    classes = scenario_classes()
    simulate_s = 0.0
    convert_s = 0.0
    steps = 0
    for run in range(n_runs):
        rng = np.random.default_rng([seed, 10_000 + run])
        cls = classes[run % len(classes)]
        scenario = cls(sample_params(cls.params_model, rng))
        times = scenario.sample_times(scenario.params.duration_seconds / steps_per_run, steps_per_run)
        start = time.perf_counter()
        result = scenario.simulate(times, rng)
        simulate_s += time.perf_counter() - start
        start = time.perf_counter()
        result.to_sample_dicts(
            scenario_id=scenario.scenario_id,
            sample_ids=[f"s{run}-{i}" for i in range(len(result))],
            metadata=[{} for _ in range(len(result))],
            generation_timestamp_utc=datetime.now(UTC),
        )
        convert_s += time.perf_counter() - start
        steps += len(result)
    return [
        f"throughput over {n_runs} runs × {steps_per_run} timesteps (every class equally, one core):",
        f"  simulate (field + 12 sensor models): {steps / simulate_s:8.0f} samples/s "
        f"({1000 * simulate_s / n_runs:.1f} ms per run)",
        f"  simulate + MLDataSample dicts:       {steps / (simulate_s + convert_s):8.0f} samples/s",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="600 training / 1,200 test samples (CI).")
    parser.add_argument("--train", type=int, default=2000, help="Training samples (full mode).")
    parser.add_argument("--test", type=int, default=5000, help="Test samples (full mode).")
    parser.add_argument("--steps-per-run", type=int, default=24, help="Timesteps simulated per run.")
    parser.add_argument("--samples-per-run", type=int, default=4, help="Timesteps of each run kept as samples.")
    parser.add_argument("--classifier", choices=("rf", "hgb"), default="rf", help="Reference classifier.")
    parser.add_argument("--seed", type=int, default=2026, help="Seed of every draw.")
    parser.add_argument(
        "--cell-runs",
        type=int,
        default=None,
        help="Extra equipment_overheat runs drawn inside each region of issue 15's breakdown (the target cell, "
        "light load, strong wind; default 200 each, 20 with --quick).",
    )
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    n_train, n_test = (600, 1200) if args.quick else (args.train, args.test)
    n_cell = args.cell_runs if args.cell_runs is not None else (20 if args.quick else 200)
    if min(n_train, n_test, args.steps_per_run, args.samples_per_run) < 1 or n_cell < 0:
        parser.error("sample, step and run counts must be positive (--cell-runs may be 0)")

    def progress(label: str, total: int) -> Callable[[int], None]:
        marks = {int(total * k / 4) for k in range(1, 5)}

        def tick(done: int) -> None:
            if done in marks:
                print(f"  {label}: {done}/{total} samples", flush=True)

        return tick

    print(
        f"task difficulty ({'quick' if args.quick else 'full'}): {len(scenario_classes())} scenario classes, "
        f"{args.steps_per_run} timesteps per run, {args.samples_per_run} samples per run, seed {args.seed}"
    )
    train = simulate_samples(n_train, args.seed, args.steps_per_run, args.samples_per_run, progress("train", n_train))
    test = simulate_samples(n_test, args.seed + 1, args.steps_per_run, args.samples_per_run, progress("test", n_test))
    regions = [(region, simulate_cell_runs(n_cell, args.seed, args.steps_per_run, region)) for region in REGIONS]
    print()
    for line in report(train, test, args.classifier, args.seed, regions if n_cell else ()):
        print(line)
    print()
    giveaways = single_reading_giveaways(20, args.steps_per_run, args.seed)
    for line in giveaway_table(giveaways):
        print(line)
    print()
    for line in throughput(32 if args.quick else 160, args.steps_per_run, args.seed):
        print(line)


if __name__ == "__main__":
    main()
