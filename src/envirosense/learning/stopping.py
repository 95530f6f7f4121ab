"""The stopping rules of a run, as one pure function of its history."""

from __future__ import annotations

from envirosense.learning.config import StoppingConfig
from envirosense.learning.history import RunHistory


def stop_reason(history: RunHistory, rules: StoppingConfig, max_cycles: int) -> str | None:
    """Why the run stops after its last completed cycle, or ``None`` to run another one.

    In order: ``max_cycles`` cycles after the initial model; the champion reached ``target_macro_f1``;
    ``total_sample_budget`` training samples; no gain of ``plateau_min_gain`` over ``plateau_cycles``
    cycles (``plateau``); the mean uncertainty of the probe's uncertain samples below
    ``min_mean_uncertainty`` (``low_uncertainty``). A run without cycles never stops.
    """
    if not history.cycles:
        return None
    last = history.cycles[-1]
    _, curve = history.learning_curve()
    if last.cycle_index >= max_cycles:
        return "max_cycles"
    if rules.target_macro_f1 is not None and curve[-1] >= rules.target_macro_f1:
        return "target_macro_f1"
    if rules.total_sample_budget is not None and last.samples_total >= rules.total_sample_budget:
        return "total_sample_budget"
    plateau = rules.plateau_cycles
    if plateau is not None and len(curve) > plateau and curve[-1] - curve[-plateau - 1] < rules.plateau_min_gain:
        return "plateau"
    if (
        rules.min_mean_uncertainty is not None
        and last.mean_uncertainty is not None
        and last.mean_uncertainty < rules.min_mean_uncertainty
    ):
        return "low_uncertainty"
    return None
